#pragma once

// What `logs` lets through to the user's terminal from a job's log, which is
// the output of code in a pushed commit: text, newlines and tabs, and colour
// (SGR) only when asked (stdout is a terminal). Every other control character
// and escape sequence - window titles, clearing the screen, OSC 8 links,
// cursor moves, device queries - is dropped, also when split across chunks.

#include <string>
#include <string_view>

namespace cwf::cli {

class TerminalFilter {
 public:
  explicit TerminalFilter(bool keep_colour) : keep_colour_(keep_colour) {}
  // CHUNK's bytes as they may be shown; a sequence cut at the end of a chunk
  // is finished (or dropped) by the next.
  std::string feed(std::string_view chunk);

 private:
  enum class State { text, escape, csi, string, string_escape, c1_lead };
  bool keep_colour_;
  State state_ = State::text;
  std::string pending_;  // the sequence read so far
};

}  // namespace cwf::cli
