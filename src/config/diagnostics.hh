#pragma once

// Errors and warnings about a workflows file, each with a 1-based position,
// printed the way compilers do so editors and CI annotate the right line.

#include <string>
#include <vector>

namespace cwf::config {

struct Position {
  int line = 0;    // 1-based; 0 when unknown
  int column = 0;  // 1-based; 0 when unknown
};

enum class Severity { error, warning };

struct Diagnostic {
  Position pos;
  Severity severity = Severity::error;
  std::string message;
};

class Diagnostics {
 public:
  void error(Position pos, std::string message);
  void warning(Position pos, std::string message);

  const std::vector<Diagnostic>& items() const { return items_; }
  bool has_errors() const { return errors_ > 0; }
  int error_count() const { return errors_; }
  // Sorted by position, so a file's problems read top to bottom.
  std::vector<Diagnostic> sorted() const;

 private:
  std::vector<Diagnostic> items_;
  int errors_ = 0;
};

// "FILE:LINE:COL: error: MESSAGE" (position parts omitted when unknown).
std::string format_diagnostic(const std::string& file, const Diagnostic& d);
const char* severity_name(Severity s);

}  // namespace cwf::config
