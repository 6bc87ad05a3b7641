#include "util/log.hh"

#include <chrono>
#include <cstdio>
#include <ctime>
#include <mutex>
#include <nlohmann/json.hpp>

namespace cwf::log {
namespace {

constexpr const char* kLevels[] = {"debug", "info", "warn", "error"};
Level g_level = Level::info;
Format g_format = Format::text;
std::mutex g_mutex;

std::string timestamp() {
  using namespace std::chrono;
  auto now = system_clock::now();
  std::time_t t = system_clock::to_time_t(now);
  std::tm tm{};
  gmtime_r(&t, &tm);
  char buf[40];
  std::size_t n = std::strftime(buf, sizeof buf, "%Y-%m-%dT%H:%M:%S", &tm);
  auto ms = duration_cast<milliseconds>(now.time_since_epoch()).count() % 1000;
  std::snprintf(buf + n, sizeof buf - n, ".%03dZ", static_cast<int>(ms));
  return buf;
}

// key=value, quoted when the value has spaces, quotes or nothing at all.
void append_text_field(std::string& line, const std::string& key, const std::string& value) {
  line += ' ';
  line += key;
  line += '=';
  bool quote = value.empty() || value.find_first_of(" \t\"=\n") != std::string::npos;
  if (!quote) {
    line += value;
    return;
  }
  line += nlohmann::json(value).dump(-1, ' ', false, nlohmann::json::error_handler_t::replace);
}

}  // namespace

bool parse_level(std::string_view s, Level& out) {
  for (int i = 0; i < 4; ++i)
    if (s == kLevels[i]) {
      out = static_cast<Level>(i);
      return true;
    }
  return false;
}

bool parse_format(std::string_view s, Format& out) {
  if (s == "text") out = Format::text;
  else if (s == "json") out = Format::json;
  else return false;
  return true;
}

void configure(Level level, Format format) {
  std::lock_guard lock(g_mutex);
  g_level = level;
  g_format = format;
}

bool enabled(Level level) { return level >= g_level; }

void write(Level level, std::string_view message, const Fields& fields) {
  if (!enabled(level)) return;
  std::string line;
  if (g_format == Format::json) {
    nlohmann::ordered_json j;
    j["time"] = timestamp();
    j["level"] = kLevels[static_cast<int>(level)];
    j["msg"] = std::string(message);
    for (const auto& [k, v] : fields) j[k] = v;
    line = j.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace);
  } else {
    line = timestamp() + " " + kLevels[static_cast<int>(level)] + (level == Level::info || level == Level::warn ? "  " : " ");
    line.append(message);
    for (const auto& [k, v] : fields) append_text_field(line, k, v);
  }
  line += '\n';
  std::lock_guard lock(g_mutex);
  std::fwrite(line.data(), 1, line.size(), stderr);
  std::fflush(stderr);
}

}  // namespace cwf::log
