#pragma once

// The runner's log: one line per event, as text for people or as JSON lines
// for a log pipeline, to stderr or to a file rotated by size. Thread-safe;
// spdlog writes it (log.cc is the only file that includes spdlog). Values
// should never be secrets (callers pass redacted URLs and no tokens); the
// runner's own secrets, given to mask_secrets(), are masked in every line
// all the same, in case a library's error or a remote's answer quotes one.

#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "util/result.hh"

namespace cwf::log {

enum class Level { debug, info, warn, error };
enum class Format { text, json };
using Fields = std::vector<std::pair<std::string, std::string>>;

struct Options {
  Level level = Level::info;
  Format format = Format::text;
  std::string file;                          // empty: stderr
  std::uint64_t file_max_bytes = 10u << 20;  // the file is rotated past this size
  std::size_t file_keep = 5;                 // rotated files kept: FILE.1 ... FILE.N
};

bool parse_level(std::string_view s, Level& out);
bool parse_format(std::string_view s, Format& out);
// Replaces where and how the log is written. An error (the file can't be
// opened) leaves the log as it was.
Result<bool> configure(const Options& options);
bool enabled(Level level);
// From now on, these values (each line of them; see Masker) are written as ***.
void mask_secrets(const std::vector<std::string>& secrets);

void write(Level level, std::string_view message, const Fields& fields = {});
inline void debug(std::string_view m, const Fields& f = {}) { write(Level::debug, m, f); }
inline void info(std::string_view m, const Fields& f = {}) { write(Level::info, m, f); }
inline void warn(std::string_view m, const Fields& f = {}) { write(Level::warn, m, f); }
inline void error(std::string_view m, const Fields& f = {}) { write(Level::error, m, f); }

}  // namespace cwf::log
