#include "server/log_html.hh"

#include "cli/terminal_filter.hh"
#include "server/web_ui.hh"

namespace cwf::server {
namespace {

const char* const kColours[] = {"black", "red", "green", "yellow", "blue", "magenta", "cyan", "white"};

struct Style {
  int fg = -1;  // 0-7, 8-15 bright; -1 default
  bool bold = false;
  bool plain() const { return fg < 0 && !bold; }
  std::string classes() const {
    std::string c;
    if (fg >= 0) c += std::string(fg >= 8 ? "ansi-bright-" : "ansi-") + kColours[fg % 8];
    if (bold) c += std::string(c.empty() ? "" : " ") + "ansi-bold";
    return c;
  }
};

// PARAMS of "ESC [ PARAMS m" applied to S.
void apply(std::string_view params, Style& s) {
  if (params.empty()) {
    s = Style{};
    return;
  }
  std::size_t at = 0;
  while (at <= params.size()) {
    std::size_t end = params.find(';', at);
    if (end == std::string_view::npos) end = params.size();
    int n = 0;
    bool number = end > at && end - at <= 3;
    for (std::size_t i = at; number && i < end; ++i) {
      if (params[i] < '0' || params[i] > '9') number = false;
      else n = n * 10 + (params[i] - '0');
    }
    if (number || end == at) {
      if (end == at || n == 0) s = Style{};
      else if (n == 1) s.bold = true;
      else if (n == 22) s.bold = false;
      else if (n >= 30 && n <= 37) s.fg = n - 30;
      else if (n == 39) s.fg = -1;
      else if (n >= 90 && n <= 97) s.fg = n - 90 + 8;
      else if (n == 38 || n == 48) return;  // 256-colour and RGB forms: the rest of the sequence is theirs
    }
    at = end + 1;
  }
}

}  // namespace

std::string log_html(std::string_view log) {
  cli::TerminalFilter filter(true);
  std::string text = filter.feed(log);
  std::string out;
  out.reserve(text.size() + text.size() / 8);
  Style style;
  bool open = false;
  std::size_t i = 0, plain_from = 0;
  auto flush_text = [&](std::size_t to) {
    if (to > plain_from) out += html_escape(std::string_view(text).substr(plain_from, to - plain_from));
  };
  while ((i = text.find('\x1b', i)) != std::string::npos) {
    flush_text(i);
    // The filter lets only complete SGR sequences through: ESC [ digits and ';' m.
    std::size_t end = text.find('m', i);
    if (end == std::string::npos) {
      plain_from = text.size();  // cannot happen after the filter; never show a bare ESC
      break;
    }
    apply(std::string_view(text).substr(i + 2, end - i - 2), style);
    if (open) out += "</span>";
    open = !style.plain();
    if (open) out += "<span class=\"" + style.classes() + "\">";
    i = plain_from = end + 1;
  }
  flush_text(text.size());
  if (open) out += "</span>";
  return out;
}

}  // namespace cwf::server
