// libFuzzer target: any bytes given to the loader end in a verdict, never a
// crash, a hang or unbounded memory. Crashes it finds are copied into
// tests/fuzz/regressions/, which the unit tests replay.

#include <cstddef>
#include <cstdint>
#include <string>

#include "config/loader.hh"
#include "config/plan.hh"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  std::string text(reinterpret_cast<const char*>(data), size);
  auto result = cwf::config::load_string("fuzz.yml", std::move(text));
  if (result.config) {
    // A valid config must also diff cleanly against itself and against nothing.
    auto same = cwf::config::diff(*result.config, *result.config);
    if (!same.empty()) __builtin_trap();
    cwf::config::diff(cwf::config::Config{}, *result.config);
  }
  return 0;
}
