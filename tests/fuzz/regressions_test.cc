// Inputs that once crashed or hung the loader under the fuzzer (and the
// fuzzer's seeds): each must load to a verdict, with positions in range.

#include <catch2/catch.hpp>
#include <filesystem>

#include "config/loader.hh"
#include "fuzz/webhook_event.hh"
#include "test_support.hh"

TEST_CASE("fuzzer regressions load to a verdict") {
  auto dir = cwf::test::source_dir() / "tests/fuzz/regressions";
  int n = 0;
  for (const auto& e : std::filesystem::directory_iterator(dir)) {
    if (e.path().filename() == "README.md" || !e.is_regular_file()) continue;
    std::string text = cwf::test::read_file(e.path());
    auto r = cwf::config::load_string(e.path().filename().string(), text);
    INFO(e.path().filename().string());
    CHECK((r.config.has_value() || r.diags.has_errors()));
    for (const auto& d : r.diags.items()) CHECK(d.pos.line >= 0);
    ++n;
  }
  CHECK(n >= 1);
}

TEST_CASE("webhook fuzzer regressions are delivered without a crash") {
  auto dir = cwf::test::source_dir() / "tests/fuzz/regressions/webhook";
  int n = 0;
  for (const auto& e : std::filesystem::directory_iterator(dir)) {
    std::string bytes = cwf::test::read_file(e.path());
    INFO(e.path().filename().string());
    REQUIRE_FALSE(bytes.empty());
    cwf::fuzz::deliver(static_cast<std::uint8_t>(bytes[0]), std::string_view(bytes).substr(1));
    ++n;
  }
  CHECK(n >= 1);
}
