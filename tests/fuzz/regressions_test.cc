// Inputs that once crashed or hung the loader under the fuzzer (and the
// fuzzer's seeds): each must load to a verdict, with positions in range.

#include <catch2/catch.hpp>
#include <filesystem>

#include "config/loader.hh"
#include "test_support.hh"

TEST_CASE("fuzzer regressions load to a verdict") {
  auto dir = cwf::test::source_dir() / "tests/fuzz/regressions";
  int n = 0;
  for (const auto& e : std::filesystem::directory_iterator(dir)) {
    if (e.path().filename() == "README.md") continue;
    std::string text = cwf::test::read_file(e.path());
    auto r = cwf::config::load_string(e.path().filename().string(), text);
    INFO(e.path().filename().string());
    CHECK((r.config.has_value() || r.diags.has_errors()));
    for (const auto& d : r.diags.items()) CHECK(d.pos.line >= 0);
    ++n;
  }
  CHECK(n >= 1);
}
