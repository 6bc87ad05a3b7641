#include "util/log.hh"

#include <algorithm>
#include <atomic>
#include <chrono>
#include <ctime>
#include <memory>
#include <mutex>
#include <nlohmann/json.hpp>
#include <spdlog/logger.h>
#include <spdlog/sinks/rotating_file_sink.h>
#include <spdlog/sinks/stdout_sinks.h>

#include "util/masker.hh"

namespace cwf::log {
namespace {

constexpr const char* kLevels[] = {"debug", "info", "warn", "error"};

spdlog::level::level_enum to_spdlog(Level l) {
  switch (l) {
    case Level::debug: return spdlog::level::debug;
    case Level::info: return spdlog::level::info;
    case Level::warn: return spdlog::level::warn;
    case Level::error: break;
  }
  return spdlog::level::err;
}

Level from_spdlog(spdlog::level::level_enum l) {
  if (l <= spdlog::level::debug) return Level::debug;
  if (l == spdlog::level::info) return Level::info;
  if (l == spdlog::level::warn) return Level::warn;
  return Level::error;
}

std::string json_string(std::string_view s) {
  return nlohmann::json(std::string(s)).dump(-1, ' ', false, nlohmann::json::error_handler_t::replace);
}

// Callers pass redacted URLs; this is the net under them, for text they
// quote from elsewhere (a library's error naming a remote): the userinfo of
// every URL in a line becomes ***, as config::redact_url does for one URL.
std::string redacted(std::string_view text) {
  std::string s(text);
  for (std::size_t p = s.find("://"); p != std::string::npos; p = s.find("://", p + 3)) {
    std::size_t host = p + 3;
    std::size_t end = std::min(s.size(), s.find_first_of("/ \t\r\n\"'<>`", host));
    // Only within this URL's authority: a line of many "://" costs linear time.
    std::size_t at = std::string_view(s).substr(host, end - host).rfind('@');
    if (at == std::string::npos || std::string_view(s).substr(host, at) == "***") continue;
    s.replace(host, at, "***");
  }
  return s;
}

bool has_control(std::string_view s) {
  return std::any_of(s.begin(), s.end(), [](char c) { return static_cast<unsigned char>(c) < 0x20 || c == 0x7f; });
}

// key=value, quoted when the value has spaces, quotes, control characters or
// nothing at all: a field may come from outside (a webhook's header), and a
// raw ESC or CR in a terminal or a log viewer is a way to forge lines.
void append_text_field(std::string& line, const std::string& key, const std::string& value) {
  line += ' ';
  line += key;
  line += '=';
  bool quote = value.empty() || value.find_first_of(" \t\"=\n") != std::string::npos || has_control(value);
  line += quote ? json_string(value) : value;
}

// A message is the code's own text, but it is escaped the same way if it
// ever carries a control character.
std::string text_message(std::string_view message) {
  if (!has_control(message)) return std::string(message);
  std::string quoted = json_string(message);
  return quoted.substr(1, quoted.size() - 2);
}

// The record's envelope, its time and level, around the body write() made:
// spdlog's pattern flags can't escape structured fields for JSON, so the body
// comes escaped and the formatter only frames it.
class RecordFormatter final : public spdlog::formatter {
 public:
  explicit RecordFormatter(Format format) : format_(format) {}

  void format(const spdlog::details::log_msg& msg, spdlog::memory_buf_t& dest) override {
    auto put = [&dest](std::string_view s) { dest.append(s.data(), s.data() + s.size()); };
    Level level = from_spdlog(msg.level);
    const char* name = kLevels[static_cast<int>(level)];
    if (format_ == Format::json) {
      put("{\"time\":\"");
      put(timestamp(msg.time));
      put("\",\"level\":\"");
      put(name);
      put("\",");
      put({msg.payload.data(), msg.payload.size()});
      put("}\n");
    } else {
      put(timestamp(msg.time));
      put(" ");
      put(name);
      put(level == Level::info || level == Level::warn ? "  " : " ");
      put({msg.payload.data(), msg.payload.size()});
      put("\n");
    }
  }

  std::unique_ptr<spdlog::formatter> clone() const override { return std::make_unique<RecordFormatter>(format_); }

 private:
  // 2026-12-01T20:02:20.123Z
  std::string_view timestamp(spdlog::log_clock::time_point t) {
    using namespace std::chrono;
    std::time_t secs = spdlog::log_clock::to_time_t(t);
    auto ms = duration_cast<milliseconds>(t.time_since_epoch()).count() % 1000;
    if (secs != cached_secs_) {
      std::tm tm{};
      gmtime_r(&secs, &tm);
      cached_len_ = std::strftime(buf_, sizeof buf_, "%Y-%m-%dT%H:%M:%S", &tm);
      cached_secs_ = secs;
    }
    std::snprintf(buf_ + cached_len_, sizeof buf_ - cached_len_, ".%03dZ", static_cast<int>(ms));
    return {buf_, cached_len_ + 5};
  }

  Format format_;
  char buf_[40] = {};
  std::time_t cached_secs_ = -1;
  std::size_t cached_len_ = 0;
};

struct Sink {
  std::shared_ptr<spdlog::logger> logger;
  Format format = Format::text;
  std::shared_ptr<const Masker> masker;
};

std::mutex g_mutex;
std::atomic<int> g_level{static_cast<int>(Level::info)};

std::shared_ptr<spdlog::logger> make_logger(spdlog::sink_ptr sink, Format format) {
  // Not registered with spdlog: no global registry, no flusher thread.
  auto logger = std::make_shared<spdlog::logger>("convox-workflows", std::move(sink));
  logger->set_formatter(std::make_unique<RecordFormatter>(format));
  logger->set_level(spdlog::level::trace);  // write() filters by our level
  logger->flush_on(spdlog::level::trace);   // each line reaches the terminal or file at once
  return logger;
}

Sink& current() {  // under g_mutex
  static Sink sink{make_logger(std::make_shared<spdlog::sinks::stderr_sink_mt>(), Format::text), Format::text, nullptr};
  return sink;
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

Result<bool> configure(const Options& options) {
  spdlog::sink_ptr sink;
  if (options.file.empty()) {
    sink = std::make_shared<spdlog::sinks::stderr_sink_mt>();
  } else {
    try {
      sink = std::make_shared<spdlog::sinks::rotating_file_sink_mt>(
          options.file, static_cast<std::size_t>(options.file_max_bytes), options.file_keep);
    } catch (const spdlog::spdlog_ex& e) {
      return make_error(e.what());
    }
  }
  auto logger = make_logger(std::move(sink), options.format);
  std::lock_guard lock(g_mutex);
  current() = {std::move(logger), options.format, current().masker};
  g_level = static_cast<int>(options.level);
  return true;
}

void mask_secrets(const std::vector<std::string>& secrets) {
  auto masker = std::make_shared<const Masker>(secrets);
  std::lock_guard lock(g_mutex);
  current().masker = masker->empty() ? nullptr : std::move(masker);
}

bool enabled(Level level) { return static_cast<int>(level) >= g_level.load(std::memory_order_relaxed); }

void write(Level level, std::string_view message, const Fields& fields) {
  if (!enabled(level)) return;
  Sink sink;
  {
    std::lock_guard lock(g_mutex);
    sink = current();
  }
  auto clean = [&sink](std::string_view text) {
    std::string s = redacted(text);
    return sink.masker && sink.masker->contains_secret(s) ? sink.masker->mask(s) : s;
  };
  std::string body;
  if (sink.format == Format::json) {
    body = "\"msg\":" + json_string(clean(message));
    for (const auto& [k, v] : fields) body += "," + json_string(k) + ":" + json_string(clean(v));
  } else {
    body = text_message(clean(message));
    for (const auto& [k, v] : fields) append_text_field(body, k, clean(v));
  }
  // The string_view overload: the body is never read as a format string.
  sink.logger->log(to_spdlog(level), spdlog::string_view_t(body.data(), body.size()));
}

}  // namespace cwf::log
