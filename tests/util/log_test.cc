#include <nlohmann/json.hpp>
#include <regex>
#include <thread>

#include "test_support.hh"
#include "util/log.hh"

using namespace cwf;

namespace {

std::vector<std::string> lines_of(const std::filesystem::path& p) {
  std::vector<std::string> out;
  std::istringstream in(test::read_file(p));
  for (std::string l; std::getline(in, l);) out.push_back(l);
  return out;
}

// Points the log at a file for one test, and back at stderr after it.
struct LogToFile {
  std::filesystem::path path;
  LogToFile(const test::TempDir& dir, log::Format format, log::Level level = log::Level::info,
            std::uint64_t max_bytes = 10u << 20, std::size_t keep = 5)
      : path(dir.path() / "runner.log") {
    log::Options o;
    o.format = format;
    o.level = level;
    o.file = path.string();
    o.file_max_bytes = max_bytes;
    o.file_keep = keep;
    REQUIRE(log::configure(o));
  }
  ~LogToFile() { (void)log::configure(log::Options{}); }
};

}  // namespace

TEST_CASE("text records: time, level padded to one width, message, key=value fields") {
  test::TempDir dir;
  {
    LogToFile to(dir, log::Format::text);
    log::info("job started", {{"job", "12"}, {"workflow", "deploy prod"}, {"empty", ""}});
    log::error("fetch failed", {{"error", "say \"no\""}});
    log::warn("w");
    // A webhook's header, say: no raw ESC, CR or BEL reaches the line.
    log::info("webhook delivery", {{"event", "push\x1b]0;owned\x07\rfake line"}});
  }
  auto lines = lines_of(dir.path() / "runner.log");
  REQUIRE(lines.size() == 4);
  CHECK(lines[3].substr(24) == " info  webhook delivery event=\"push\\u001b]0;owned\\u0007\\rfake line\"");
  std::regex stamp(R"(^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z )");
  for (const auto& l : lines) CHECK(std::regex_search(l, stamp));
  for (const auto& l : lines) CHECK(l.find_first_of("\x1b\x07\r") == std::string::npos);
  CHECK(lines[0].substr(24) == " info  job started job=12 workflow=\"deploy prod\" empty=\"\"");
  CHECK(lines[1].substr(24) == " error fetch failed error=\"say \\\"no\\\"\"");
  CHECK(lines[2].substr(24) == " warn  w");
}

TEST_CASE("JSON records: one object a line, time, level and msg first, fields escaped") {
  test::TempDir dir;
  {
    LogToFile to(dir, log::Format::json);
    log::info("delivery {}", {{"delivery", "line\nbreak\t\"q\""}, {"bad", std::string("\xff\xfe", 2)}});
  }
  auto lines = lines_of(dir.path() / "runner.log");
  REQUIRE(lines.size() == 1);
  auto j = nlohmann::ordered_json::parse(lines[0]);
  std::vector<std::string> keys;
  for (const auto& [k, v] : j.items()) keys.push_back(k);
  CHECK(keys == std::vector<std::string>{"time", "level", "msg", "delivery", "bad"});
  CHECK(j["level"] == "info");
  CHECK(j["msg"] == "delivery {}");  // never read as a format string
  CHECK(j["delivery"] == "line\nbreak\t\"q\"");
  CHECK(j["bad"] == "\xEF\xBF\xBD\xEF\xBF\xBD");  // invalid UTF-8 becomes U+FFFD
  CHECK(lines[0].find("\"msg\":\"delivery {}\"") != std::string::npos);  // compact, as before
}

TEST_CASE("levels below --log-level are dropped") {
  test::TempDir dir;
  {
    LogToFile to(dir, log::Format::text, log::Level::warn);
    CHECK_FALSE(log::enabled(log::Level::info));
    log::debug("d");
    log::info("i");
    log::warn("w");
    log::error("e");
  }
  auto lines = lines_of(dir.path() / "runner.log");
  REQUIRE(lines.size() == 2);
  CHECK(lines[0].ends_with("warn  w"));
  CHECK(lines[1].ends_with("error e"));
}

TEST_CASE("the log file rotates by size and keeps the number of files asked for") {
  test::TempDir dir;
  {
    LogToFile to(dir, log::Format::text, log::Level::info, 4096, 2);
    for (int i = 0; i < 400; ++i) log::info("line " + std::to_string(i), {{"pad", std::string(40, 'x')}});
  }
  auto p = dir.path() / "runner.log";
  CHECK(std::filesystem::file_size(p) <= 4096);
  CHECK(std::filesystem::exists(dir.path() / "runner.1.log"));
  CHECK(std::filesystem::exists(dir.path() / "runner.2.log"));
  CHECK_FALSE(std::filesystem::exists(dir.path() / "runner.3.log"));
  auto last = lines_of(p);
  REQUIRE_FALSE(last.empty());
  CHECK(last.back().find("line 399 ") != std::string::npos);
}

TEST_CASE("lines from many threads are never interleaved") {
  test::TempDir dir;
  {
    LogToFile to(dir, log::Format::json);
    std::vector<std::thread> threads;
    for (int t = 0; t < 8; ++t)
      threads.emplace_back([t] {
        for (int i = 0; i < 200; ++i) log::info("t", {{"thread", std::to_string(t)}, {"i", std::to_string(i)}});
      });
    for (auto& th : threads) th.join();
  }
  auto lines = lines_of(dir.path() / "runner.log");
  REQUIRE(lines.size() == 1600);
  for (const auto& l : lines) CHECK_NOTHROW(nlohmann::json::parse(l));
}

TEST_CASE("a log file that can't be opened is an error and leaves the log as it was") {
  test::TempDir dir;
  std::ofstream(dir.path() / "file") << "x";  // spdlog creates missing directories, but not under a file
  log::Options o;
  o.file = (dir.path() / "file" / "runner.log").string();
  auto r = log::configure(o);
  REQUIRE_FALSE(r);
  CHECK(r.error().message.find(o.file) != std::string::npos);
  log::info("still writes to stderr");  // no crash: the old sink stays
}

TEST_CASE("no URL's credentials reach the log, whatever a caller passes") {
  test::TempDir dir;
  for (auto format : {log::Format::text, log::Format::json}) {
    {
      LogToFile to(dir, format);
      log::error("cannot fetch from https://x-access-token:ghs_secret1@github.com/acme/web.git: 401",
                 {{"remote", "https://user:hunter2@git.example/a.git"},
                  {"error", "failed 'http://tok3n@10.0.0.1:8080/x' and ssh://deploy:pw@host"},
                  {"already", "https://***@github.com/acme/web.git"},
                  {"plain", "see https://example.com/path?a=b@c"}});
    }
    std::string text = test::read_file(dir.path() / "runner.log");
    INFO(text);
    for (const char* secret : {"ghs_secret1", "hunter2", "tok3n", "deploy:pw", "x-access-token"})
      CHECK(text.find(secret) == std::string::npos);
    CHECK(text.find("https://***@github.com/acme/web.git: 401") != std::string::npos);
    CHECK(text.find("https://***@git.example/a.git") != std::string::npos);
    CHECK(text.find("a=b@c") != std::string::npos);  // an @ past the host is no credential
    std::filesystem::remove(dir.path() / "runner.log");
  }
}

TEST_CASE("redaction stays linear on a hostile line") {
  test::TempDir dir;
  std::string hostile;
  for (int i = 0; i < 100000; ++i) hostile += "a://b";  // 500 KB of URLs without credentials
  auto start = std::chrono::steady_clock::now();
  {
    LogToFile to(dir, log::Format::text);
    log::info("delivery", {{"event", hostile}});
  }
  CHECK(std::chrono::steady_clock::now() - start < std::chrono::seconds(5));  // quadratic: minutes
  CHECK(test::read_file(dir.path() / "runner.log").find(hostile) != std::string::npos);
}

TEST_CASE("the runner's own secrets are masked in every record, message and fields, text and JSON") {
  test::TempDir dir;
  for (auto format : {log::Format::text, log::Format::json}) {
    {
      LogToFile to(dir, format);
      log::mask_secrets({"ghp_runner_token_123", "-----BEGIN KEY-----\nkey-line-AAAA\n-----END KEY-----"});
      log::warn("remote said: bad credentials ghp_runner_token_123", {{"error", "x key-line-AAAA y"}});
      log::mask_secrets({});
      log::info("after ghp_runner_token_123");
    }
    auto lines = lines_of(dir.path() / "runner.log");
    REQUIRE(lines.size() == 2);
    CHECK(lines[0].find("ghp_runner_token_123") == std::string::npos);
    CHECK(lines[0].find("key-line-AAAA") == std::string::npos);
    CHECK(lines[0].find("bad credentials ***") != std::string::npos);
    CHECK(lines[0].find("x *** y") != std::string::npos);
    CHECK(lines[1].find("after ghp_runner_token_123") != std::string::npos);  // unset again
    std::filesystem::remove(dir.path() / "runner.log");
  }
}
