#include <catch2/catch.hpp>

#include "executor/job_log.hh"
#include "test_support.hh"

using namespace cwf::executor;
using cwf::Masker;

namespace {

std::string strip_stamps(const std::string& log) {
  std::string out;
  std::size_t start = 0;
  while (start < log.size()) {
    std::size_t end = log.find('\n', start);
    if (end == std::string::npos) end = log.size();
    std::string line = log.substr(start, end - start);
    out += line.size() > 25 ? line.substr(25) : line;
    out += '\n';
    start = end + 1;
  }
  return out;
}

std::string run_log(const std::vector<std::string>& chunks, Masker masker, std::uint64_t cap = JobLog::kDefaultCap) {
  cwf::test::TempDir tmp;
  std::string rel;
  {
    JobLog log(tmp.path(), 7, std::move(masker), cap, nullptr);
    log.open_task();
    rel = log.path();
    for (const auto& c : chunks) log.output(c, 1764331200123);
    log.close_task(1764331200123);
  }
  return cwf::test::read_file(tmp.path() / rel);
}

}  // namespace

TEST_CASE("each line is stamped with the time it arrived") {
  std::string log = run_log({"one\ntw", "o\nthree"}, Masker());
  CHECK(log == "2025-11-28T12:00:00.123Z one\n2025-11-28T12:00:00.123Z two\n2025-11-28T12:00:00.123Z three\n");
}

TEST_CASE("a secret split at any point between two reads is masked") {
  const std::string secret = "hunter2-secret-value";
  const std::string text = "before " + secret + " after\n";
  for (std::size_t split = 0; split <= text.size(); ++split) {
    std::string log = strip_stamps(run_log({text.substr(0, split), text.substr(split)}, Masker({secret})));
    INFO("split at " << split);
    CHECK(log == "before *** after\n");
  }
}

TEST_CASE("a line too long to hold is written in pieces, still masked") {
  const std::string secret = "0123456789-SECRET";
  for (std::size_t offset : {65536 - 8, 65536 - 1, 65536, 65536 + 3, 200000}) {
    std::string line(300000, 'x');
    line.replace(offset, secret.size(), secret);
    std::vector<std::string> chunks;
    for (std::size_t i = 0; i < line.size(); i += 4096) chunks.push_back(line.substr(i, 4096));
    chunks.push_back("\n");
    std::string log = run_log(chunks, Masker({secret}));
    INFO("secret at " << offset);
    CHECK(log.find("SECRET") == std::string::npos);
    CHECK(log.find("***") != std::string::npos);
    CHECK(std::count(log.begin(), log.end(), '\n') == 1);  // still one line
  }
}

TEST_CASE("a multi-line secret is masked line by line, however the output is split") {
  const std::string key =
      "-----BEGIN OPENSSH PRIVATE KEY-----\n"
      "b3BlbnNzaC1rZXktdjEAAAAABG5vbmUAAAAEbm9uZQAAAAAAAAABAAAAMwAAAAtzc2gtZW\n"
      "QyNTUxOQAAACBdXq6pZ2yLd0lJ3Vh3qf5m5TQ1h0yZr0t8dH0l6+2rQAAAJgkqJmzJKiZ\n"
      "-----END OPENSSH PRIVATE KEY-----\n";
  const std::string text = "key follows:\n" + key + "done\n";
  for (std::size_t split = 0; split <= text.size(); split += 7) {
    std::string log = strip_stamps(run_log({text.substr(0, split), text.substr(split)}, Masker({key})));
    INFO("split at " << split);
    CHECK(log == "key follows:\n***\n***\n***\n***\ndone\n");
  }
  // One byte at a time, and with the lines indented by the task.
  std::vector<std::string> bytes;
  std::string indented = "  b3BlbnNzaC1rZXktdjEAAAAABG5vbmUAAAAEbm9uZQAAAAAAAAABAAAAMwAAAAtzc2gtZW\n";
  for (char c : indented) bytes.emplace_back(1, c);
  CHECK(strip_stamps(run_log(bytes, Masker({key}))) == "  ***\n");
}

TEST_CASE("the cap stops the log with a note") {
  std::vector<std::string> chunks(100, std::string(1000, 'y') + "\n");
  std::string log = run_log(chunks, Masker(), 10000);
  CHECK(log.size() < 12000);
  CHECK(log.find("[log truncated") != std::string::npos);
}

TEST_CASE("sanitizing keeps valid UTF-8 and replaces the rest") {
  CHECK_FALSE(sanitize_utf8("plain ascii").has_value());
  CHECK_FALSE(sanitize_utf8("caf\xc3\xa9").has_value());
  CHECK(sanitize_utf8(std::string("a\0b", 3)) == "a\xEF\xBF\xBD" "b");
  CHECK(sanitize_utf8("\xff") == "\xEF\xBF\xBD");
  CHECK(sanitize_utf8("\xe2\x82") == "\xEF\xBF\xBD\xEF\xBF\xBD");
}

TEST_CASE("a chunk of many lines: plain ones in one go, the rest masked and repaired") {
  std::string chunk = "plain one\nwith hunter2-secret inside\ncaf\xc3\xa9\nnul_byte\nplain two\n";
  chunk[chunk.find("nul") + 3] = '\0';
  std::string log = strip_stamps(run_log({chunk}, Masker({"hunter2-secret"})));
  CHECK(log == "plain one\nwith *** inside\ncaf\xc3\xa9\nnul\xEF\xBF\xBD" "byte\nplain two\n");
  std::string plain = strip_stamps(run_log({"a\nb\nc\n", "d\n"}, Masker({"zzz-secret"})));
  CHECK(plain == "a\nb\nc\nd\n");
}
