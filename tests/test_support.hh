#pragma once

// Helpers shared by the unit tests: the source tree, throwaway directories
// and the git CLI.

#include <catch2/catch.hpp>
#include <chrono>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <string>
#include <thread>

namespace cwf::test {

inline std::filesystem::path source_dir() { return CWF_SOURCE_DIR; }

inline std::string read_file(const std::filesystem::path& p) {
  std::ifstream in(p, std::ios::binary);
  std::ostringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

// A fresh directory under the system temp dir, removed when it goes out of scope.
class TempDir {
 public:
  TempDir() {
    std::string tmpl = (std::filesystem::temp_directory_path() / "cwf-test-XXXXXX").string();
    path_ = ::mkdtemp(tmpl.data());
  }
  ~TempDir() {
    std::error_code ec;
    std::filesystem::remove_all(path_, ec);
  }
  const std::filesystem::path& path() const { return path_; }

 private:
  std::filesystem::path path_;
};

// Runs CMD with sh in DIR, quietly; the test fails unless it succeeds.
inline void sh(const std::filesystem::path& dir, const std::string& cmd) {
  std::string full = "cd '" + dir.string() + "' && (" + cmd + ") >/dev/null 2>&1";
  REQUIRE(std::system(full.c_str()) == 0);
}

inline void write_file(const std::filesystem::path& p, const std::string& text) {
  std::ofstream(p, std::ios::binary) << text;
}

// Identity and default branch for commits made in tests, whatever the machine's git config says.
inline constexpr const char* kGitInit =
    "git init -q -b main . && git config user.email t@example.com && git config user.name t";

// Polls F every 5 ms until it holds or WITHIN has passed; its last answer.
template <typename F>
bool eventually(F f, std::chrono::milliseconds within = std::chrono::seconds(5)) {
  auto end = std::chrono::steady_clock::now() + within;
  while (std::chrono::steady_clock::now() < end) {
    if (f()) return true;
    std::this_thread::sleep_for(std::chrono::milliseconds(5));
  }
  return f();
}

}  // namespace cwf::test
