#include "cli/terminal_filter.hh"

namespace cwf::cli {
namespace {

constexpr std::size_t kMaxSequence = 4096;  // longer: dropped, whatever it was

bool is_sgr(std::string_view seq) {  // ESC [ digits and ';' only, then 'm'
  if (seq.size() < 3 || seq.back() != 'm') return false;
  for (char c : seq.substr(2, seq.size() - 3))
    if (!(c >= '0' && c <= '9') && c != ';') return false;
  return true;
}

}  // namespace

std::string TerminalFilter::feed(std::string_view chunk) {
  std::string out;
  out.reserve(chunk.size());
  for (char ch : chunk) {
    auto c = static_cast<unsigned char>(ch);
    switch (state_) {
      case State::text:
        if (c == 0x1b) {
          state_ = State::escape;
          pending_.assign(1, ch);
        } else if (c == 0xc2) {
          state_ = State::c1_lead;  // maybe U+0080..U+009F, the C1 controls
        } else if (c == '\n' || c == '\t' || (c >= 0x20 && c != 0x7f)) {
          out += ch;
        }  // other C0 controls and DEL: dropped
        break;
      case State::c1_lead:
        state_ = State::text;
        if (c >= 0x80 && c <= 0x9f) break;  // a C1 control: dropped
        out += '\xc2';
        if (c == 0x1b) {
          state_ = State::escape;
          pending_.assign(1, ch);
        } else if (c == '\n' || c == '\t' || c >= 0x20) {
          out += ch;
        }
        break;
      case State::escape:
        pending_ += ch;
        if (c == '[') state_ = State::csi;
        else if (c == ']' || c == 'P' || c == 'X' || c == '^' || c == '_') state_ = State::string;  // OSC, DCS, ...
        else if (c >= 0x20 && c <= 0x2f && pending_.size() < 16) break;  // ESC ( B and the like go on
        else state_ = State::text;               // ESC c, ESC 7, ...: two bytes, dropped
        break;
      case State::csi:
        pending_ += ch;
        if (c >= 0x40 && c <= 0x7e) {
          if (keep_colour_ && is_sgr(pending_)) out += pending_;
          state_ = State::text;
        } else if (c < 0x20 || pending_.size() > kMaxSequence) {
          state_ = State::text;  // not a sequence after all, or an endless one
        }
        break;
      case State::string:  // until BEL or ESC \ (ST)
        if (c == 0x07) state_ = State::text;
        else if (c == 0x1b) state_ = State::string_escape;
        else if (pending_ += ch; pending_.size() > kMaxSequence) state_ = State::text;
        break;
      case State::string_escape:
        state_ = c == '\\' ? State::text : State::string;
        break;
    }
  }
  return out;
}

}  // namespace cwf::cli
