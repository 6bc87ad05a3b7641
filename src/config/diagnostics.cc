#include "config/diagnostics.hh"

#include <algorithm>

namespace cwf::config {
namespace {

// quote()'s marks: control characters, which no message of ours holds and
// quote() removes from the file's text.
constexpr char kOpen = '\x01', kClose = '\x02';

Diagnostic make(Position pos, Severity severity, const std::string& marked) {
  Diagnostic d{pos, severity, {}, {}};
  bool inside = false;
  for (char c : marked) {
    if (c == kOpen || c == kClose) {
      inside = c == kOpen;
      d.message += '\'';
      d.public_message += inside ? "'\xE2\x80\xA6" : "'";  // '…'
      continue;
    }
    d.message += c;
    if (!inside) d.public_message += c;
  }
  return d;
}

}  // namespace

std::string quote(std::string_view file_text) {
  std::string out(1, kOpen);
  for (char c : file_text)
    if (c != kOpen && c != kClose) out += c;
  out += kClose;
  return out;
}

void Diagnostics::error(Position pos, std::string message) {
  items_.push_back(make(pos, Severity::error, message));
  ++errors_;
}

void Diagnostics::warning(Position pos, std::string message) {
  items_.push_back(make(pos, Severity::warning, message));
}

std::vector<Diagnostic> Diagnostics::sorted() const {
  std::vector<Diagnostic> out = items_;
  std::stable_sort(out.begin(), out.end(), [](const Diagnostic& a, const Diagnostic& b) {
    if (a.pos.line != b.pos.line) return a.pos.line < b.pos.line;
    return a.pos.column < b.pos.column;
  });
  return out;
}

const char* severity_name(Severity s) { return s == Severity::error ? "error" : "warning"; }

std::string format_diagnostic(const std::string& file, const Diagnostic& d, bool public_form) {
  std::string out = file;
  if (d.pos.line > 0) {
    out += ":" + std::to_string(d.pos.line);
    if (d.pos.column > 0) out += ":" + std::to_string(d.pos.column);
  }
  out += ": ";
  out += severity_name(d.severity);
  out += ": ";
  out += public_form ? d.public_message : d.message;
  return out;
}

}  // namespace cwf::config
