#pragma once

// Reading a workflows file and the byte-level checks made before any YAML
// parser sees it: size, binary data, UTF-8, control characters.

#include <cstdint>
#include <string>
#include <string_view>

#include "config/diagnostics.hh"
#include "util/result.hh"

namespace cwf::config {

// Far above any real workflows file (1,000 workflows is ~0.5 MB), far below
// what would let a hostile file eat the runner's memory.
inline constexpr std::uint64_t kMaxSourceBytes = 4u << 20;

struct Source {
  std::string name;   // as shown in diagnostics; "<stdin>" for "-"
  std::string text;   // at most kMaxSourceBytes + 1 bytes
  std::uint64_t size = 0;  // the real size, which may exceed text.size()
  bool size_at_least = false;  // a stream too long to count to its end: SIZE is a lower bound
};

// Reads PATH ("-" for stdin) without ever holding more than the limit.
Result<Source> read_source(const std::string& path);
Source source_from_string(std::string name, std::string text);

// Reports what makes the bytes unfit for parsing; false if any.
bool check_source_bytes(const Source& src, Diagnostics& diags);

// The first line at or before LINE (1-based) whose indentation holds a tab.
Position find_tab_indentation(std::string_view text, int up_to_line);

}  // namespace cwf::config
