#include <catch2/catch.hpp>

#include "config/loader.hh"
#include "config/source.hh"
#include "test_support.hh"

#include <sys/stat.h>

#include <chrono>
#include <fstream>

using namespace cwf::config;

namespace {

Diagnostic first_error(const std::string& text) {
  auto r = load_string("f.yml", text);
  REQUIRE_FALSE(r.config.has_value());
  REQUIRE(r.diags.error_count() == 1);
  return r.diags.items()[0];
}

}  // namespace

TEST_CASE("binary data is refused at the first NUL") {
  auto d = first_error(std::string("version: 1\nwork\0flows: []\n", 26));
  CHECK(d.pos.line == 2);
  CHECK(d.pos.column == 5);
  CHECK(d.message.find("binary data") != std::string::npos);
}

TEST_CASE("invalid UTF-8 is located") {
  for (std::string bad : {"\xff", "\xc3\x28", "\xed\xa0\x80", "\xf4\x90\x80\x80", "\xc0\xaf", "\xe2\x82"}) {
    auto d = first_error("version: 1\n# caf" + bad + "\nworkflows: []\n");
    INFO(d.message);
    CHECK(d.pos.line == 2);
    CHECK(d.pos.column == 6);
    CHECK(d.message.starts_with("invalid UTF-8"));
  }
}

TEST_CASE("valid UTF-8 and a BOM are fine") {
  auto r = load_string("f.yml", "\xef\xbb\xbfversion: 1\n# d\xc3\xa9ploiement \xf0\x9f\x9a\x80\nworkflows: []\n");
  for (const auto& d : r.diags.items()) INFO(d.message);
  CHECK(r.config.has_value());
}

TEST_CASE("control characters are refused") {
  auto d = first_error("version: 1\nworkflows: [] \x07\n");
  CHECK(d.message == "control character U+0007 is not allowed in YAML");
}

TEST_CASE("a file over the size limit is refused before parsing") {
  Source src = source_from_string("big.yml", std::string(kMaxSourceBytes + 1, '#'));
  src.size = 50u << 20;
  auto r = load(src);
  REQUIRE(r.diags.error_count() == 1);
  CHECK(r.diags.items()[0].message == "file is too large (50.0 MiB); the limit is 4.0 MiB");
}

TEST_CASE("tab indentation is found - tabs in values are not") {
  CHECK(find_tab_indentation("a:\n  b: 1\n\tc: 2\n", 100).line == 3);
  CHECK(find_tab_indentation("a:\n  b: \"x\ty\"\n", 100).line == 0);
  CHECK(find_tab_indentation("a:\n  \t# comment\n", 100).line == 0);
  auto r = load_string("f.yml", "version: 1\nworkflows: []\nx-note: \"a\tb\"\n");
  CHECK(r.config.has_value());
}

TEST_CASE("reading a missing file is an I/O error, not a diagnostic") {
  auto r = read_source("/nonexistent/dir/.convox-workflows.yml");
  REQUIRE_FALSE(r.ok());
  CHECK(r.error().message.find("No such file") != std::string::npos);
}

TEST_CASE("only a regular file is read: a FIFO is refused at once, not waited on") {
  cwf::test::TempDir tmp;
  auto fifo = tmp.path() / "wf.yml";
  REQUIRE(::mkfifo(fifo.c_str(), 0600) == 0);
  auto t0 = std::chrono::steady_clock::now();
  auto r = read_source(fifo.string());
  CHECK(std::chrono::steady_clock::now() - t0 < std::chrono::seconds(2));
  REQUIRE_FALSE(r);
  CHECK_THAT(r.error().message, Catch::Contains("is not a regular file"));
  auto dir = read_source(tmp.path().string());
  REQUIRE_FALSE(dir);
  CHECK_THAT(dir.error().message, Catch::Contains("is a directory"));
  auto file = tmp.path() / "ok.yml";
  std::ofstream(file) << "version: 1\n";
  auto ok = read_source(file.string());
  REQUIRE(ok);
  CHECK(ok->text == "version: 1\n");
  CHECK(ok->size == 11);
}
