// libFuzzer target: any delivery body, for any event the runner reads, ends
// in a hint or an error, never a crash. The first byte picks the event (see
// webhook_event()), the rest is the body. Crashes go to
// tests/fuzz/regressions/webhook/, which the unit tests replay.

#include <cstddef>
#include <cstdint>
#include <string_view>

#include "fuzz/webhook_event.hh"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  if (size == 0) return 0;
  cwf::fuzz::deliver(data[0], std::string_view(reinterpret_cast<const char*>(data) + 1, size - 1));
  return 0;
}
