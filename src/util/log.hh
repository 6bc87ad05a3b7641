#pragma once

// The runner's log: one line per event to stderr, as text for people or as
// JSON lines for a log pipeline. Thread-safe. Values are never secrets: the
// callers pass redacted URLs and no tokens.

#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace cwf::log {

enum class Level { debug, info, warn, error };
enum class Format { text, json };
using Fields = std::vector<std::pair<std::string, std::string>>;

bool parse_level(std::string_view s, Level& out);
bool parse_format(std::string_view s, Format& out);
void configure(Level level, Format format);
bool enabled(Level level);

void write(Level level, std::string_view message, const Fields& fields = {});
inline void debug(std::string_view m, const Fields& f = {}) { write(Level::debug, m, f); }
inline void info(std::string_view m, const Fields& f = {}) { write(Level::info, m, f); }
inline void warn(std::string_view m, const Fields& f = {}) { write(Level::warn, m, f); }
inline void error(std::string_view m, const Fields& f = {}) { write(Level::error, m, f); }

}  // namespace cwf::log
