// Every invalid fixture lists the errors it must produce as trailing
// "# expect: LINE:COL: MESSAGE" comments; the loader must report exactly those.

#include <catch2/catch.hpp>
#include <filesystem>

#include "config/loader.hh"
#include "test_support.hh"

using namespace cwf::config;
namespace fs = std::filesystem;

namespace {

std::vector<fs::path> files_in(const fs::path& dir) {
  std::vector<fs::path> out;
  for (const auto& e : fs::directory_iterator(dir))
    if (e.path().extension() == ".yml") out.push_back(e.path());
  std::sort(out.begin(), out.end());
  return out;
}

std::vector<std::string> expectations(const std::string& text) {
  std::vector<std::string> out;
  std::istringstream in(text);
  for (std::string line; std::getline(in, line);)
    if (line.starts_with("# expect: ")) out.push_back(line.substr(10));
  return out;
}

}  // namespace

TEST_CASE("every invalid fixture reports exactly its expected errors") {
  auto files = files_in(cwf::test::source_dir() / "tests/fixtures/invalid");
  REQUIRE(files.size() >= 30);
  for (const auto& path : files) {
    std::string text = cwf::test::read_file(path);
    auto expected = expectations(text);
    if (text.empty()) expected = {"1:1: the file is empty; expected a map with 'version: 1' and 'workflows'"};
    auto result = load_string(path.filename().string(), text);
    std::vector<std::string> got;
    for (const auto& d : result.diags.sorted())
      if (d.severity == Severity::error)
        got.push_back(std::to_string(d.pos.line) + ":" + std::to_string(d.pos.column) + ": " + d.message);
    INFO(path.filename().string());
    CHECK_FALSE(result.config.has_value());
    CHECK(!expected.empty());
    CHECK(got == expected);
  }
}

TEST_CASE("examples and valid fixtures load without errors or warnings") {
  auto root = cwf::test::source_dir();
  auto files = files_in(root / "examples");
  auto valid = files_in(root / "tests/fixtures/valid");
  files.insert(files.end(), valid.begin(), valid.end());
  files.push_back(root / ".convox-workflows.yml.example");
  REQUIRE(files.size() >= 7);
  for (const auto& path : files) {
    auto result = load_string(path.string(), cwf::test::read_file(path));
    INFO(path.string());
    for (const auto& d : result.diags.items()) INFO(format_diagnostic(path.string(), d));
    CHECK(result.config.has_value());
    CHECK(result.diags.items().empty());
  }
}
