#include "config/diagnostics.hh"

#include <algorithm>

namespace cwf::config {

void Diagnostics::error(Position pos, std::string message) {
  items_.push_back({pos, Severity::error, std::move(message)});
  ++errors_;
}

void Diagnostics::warning(Position pos, std::string message) {
  items_.push_back({pos, Severity::warning, std::move(message)});
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

std::string format_diagnostic(const std::string& file, const Diagnostic& d) {
  std::string out = file;
  if (d.pos.line > 0) {
    out += ":" + std::to_string(d.pos.line);
    if (d.pos.column > 0) out += ":" + std::to_string(d.pos.column);
  }
  out += ": ";
  out += severity_name(d.severity);
  out += ": ";
  out += d.message;
  return out;
}

}  // namespace cwf::config
