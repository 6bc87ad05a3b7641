#pragma once

// A job's log as HTML: the text escaped, its ANSI SGR colours (foreground,
// bold) as styled spans, every other control sequence dropped
// (cli::TerminalFilter's rules: the log is the output of a pushed commit).

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

#include "cli/terminal_filter.hh"

namespace cwf::server {

// Where a rendering of a log stands: the byte offset it has read to (always
// just after a newline, or the log's end), the next line's number and the
// colour then in force. A live page resumes from one (its stream's event id),
// so it must survive a trip through the browser: to_string / parse.
struct LogPosition {
  std::uint64_t offset = 0;
  std::int64_t line = 1;
  int fg = -1;  // 0-7, 8-15 bright; -1 default
  bool bold = false;
  std::string to_string() const;  // "offset-line-fg-bold"
  // Anything else (the text comes from a request) is nullopt.
  static std::optional<LogPosition> parse(std::string_view text);
};

class LogHtml {
 public:
  // NUMBERED: each line a <span class="line" id="L12"> with an anchor, its
  // colours closed at its end and opened again on the next.
  explicit LogHtml(bool numbered, LogPosition start = {});
  // RAW's lines through its last newline as HTML; with AT_END all of it.
  // position().offset moves past what was rendered; the caller keeps the rest.
  std::string feed(std::string_view raw, bool at_end);
  const LogPosition& position() const { return pos_; }

 private:
  void line(std::string_view text, bool newline, std::string& out);
  bool numbered_;
  LogPosition pos_;
  cli::TerminalFilter filter_{true};
};

// All of LOG, unnumbered.
std::string log_html(std::string_view log);

}  // namespace cwf::server
