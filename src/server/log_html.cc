#include "server/log_html.hh"

#include <charconv>

#include "server/web_ui.hh"

namespace cwf::server {
namespace {

const char* const kColours[] = {"black", "red", "green", "yellow", "blue", "magenta", "cyan", "white"};

bool plain(const LogPosition& s) { return s.fg < 0 && !s.bold; }

std::string classes(const LogPosition& s) {
  std::string c;
  if (s.fg >= 0) c += std::string(s.fg >= 8 ? "ansi-bright-" : "ansi-") + kColours[s.fg % 8];
  if (s.bold) c += std::string(c.empty() ? "" : " ") + "ansi-bold";
  return c;
}

// PARAMS of "ESC [ PARAMS m" applied to S.
void apply(std::string_view params, LogPosition& s) {
  if (params.empty()) {
    s.fg = -1, s.bold = false;
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
      if (end == at || n == 0) s.fg = -1, s.bold = false;
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

template <typename T>
bool number(std::string_view text, T& out) {
  auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), out);
  return ec == std::errc() && end == text.data() + text.size() && !text.empty();
}

}  // namespace

std::string LogPosition::to_string() const {
  return std::to_string(offset) + "-" + std::to_string(line) + "-" + std::to_string(fg) + "-" + (bold ? "1" : "0");
}

std::optional<LogPosition> LogPosition::parse(std::string_view text) {
  if (text.size() > 64) return std::nullopt;
  std::string_view parts[4];
  for (int i = 0; i < 4; ++i) {
    // fg may be "-1": its '-' is a sign, not a separator.
    std::size_t from = (i == 2 && text.substr(0, 1) == "-") ? 1 : 0;
    std::size_t dash = i == 3 ? std::string_view::npos : text.find('-', from);
    if (i < 3 && dash == std::string_view::npos) return std::nullopt;
    parts[i] = text.substr(0, dash);
    text = dash == std::string_view::npos ? std::string_view() : text.substr(dash + 1);
  }
  LogPosition p;
  if (!number(parts[0], p.offset) || !number(parts[1], p.line) || !number(parts[2], p.fg) || p.line < 1 ||
      p.fg < -1 || p.fg > 15 || (parts[3] != "0" && parts[3] != "1"))
    return std::nullopt;
  p.bold = parts[3] == "1";
  return p;
}

LogHtml::LogHtml(bool numbered, LogPosition start) : numbered_(numbered), pos_(start) {}

std::string LogHtml::feed(std::string_view raw, bool at_end) {
  std::size_t upto = at_end ? raw.size() : raw.rfind('\n') + 1;  // npos + 1 == 0: no complete line
  std::string text = filter_.feed(raw.substr(0, upto));
  pos_.offset += upto;
  std::string out;
  out.reserve(text.size() + text.size() / 4);
  std::size_t from = 0;
  while (from < text.size()) {
    std::size_t nl = text.find('\n', from);
    bool newline = nl != std::string::npos;
    line(std::string_view(text).substr(from, (newline ? nl : text.size()) - from), newline, out);
    from = newline ? nl + 1 : text.size();
  }
  return out;
}

void LogHtml::line(std::string_view text, bool newline, std::string& out) {
  if (numbered_) {
    std::string n = std::to_string(pos_.line);
    out += "<span class=\"line\" id=\"L" + n + "\"><a class=\"ln\" href=\"#L" + n + "\" data-n=\"" + n + "\"></a>";
  }
  if (newline) ++pos_.line;
  bool open = !plain(pos_);
  if (open) out += "<span class=\"" + classes(pos_) + "\">";
  std::size_t i = 0, plain_from = 0;
  while ((i = text.find('\x1b', i)) != std::string_view::npos) {
    out += html_escape(text.substr(plain_from, i - plain_from));
    // The filter lets only complete SGR sequences through: ESC [ digits and ';' m.
    std::size_t end = text.find('m', i);
    if (end == std::string_view::npos) {
      plain_from = text.size();  // cannot happen after the filter; never show a bare ESC
      break;
    }
    apply(text.substr(i + 2, end - i - 2), pos_);
    if (open) out += "</span>";
    open = !plain(pos_);
    if (open) out += "<span class=\"" + classes(pos_) + "\">";
    i = plain_from = end + 1;
  }
  if (plain_from < text.size()) out += html_escape(text.substr(plain_from));
  if (open) out += "</span>";
  if (newline) out += '\n';
  if (numbered_) out += "</span>";
}

std::string log_html(std::string_view log) { return LogHtml(false).feed(log, true); }

}  // namespace cwf::server
