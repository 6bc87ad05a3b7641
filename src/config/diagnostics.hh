#pragma once

// Errors and warnings about a workflows file, each with a 1-based position,
// printed the way compilers do so editors and CI annotate the right line.

#include <string>
#include <string_view>
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
  std::string message;         // for the file's author: validate on their terminal
  std::string public_message;  // the same, without the file's text: see quote()
};

// Text taken from the file, inside a message (an unknown key, a bad value):
// validate shows it in quotes; the public surfaces (the API, the UI,
// state.json, the runner's log, commit statuses) show '…' instead, so a file
// that is no workflows file (a symlink to /etc/shadow) publishes nothing of
// itself. Messages are built with this; Diagnostics renders both forms.
std::string quote(std::string_view file_text);

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

// "FILE:LINE:COL: error: MESSAGE" (position parts omitted when unknown);
// PUBLIC: with public_message.
std::string format_diagnostic(const std::string& file, const Diagnostic& d, bool public_form = false);
const char* severity_name(Severity s);

}  // namespace cwf::config
