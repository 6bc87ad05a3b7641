#pragma once

// What is stuck, for /readyz, state.json and `status`: the runner's main loop
// not completing a turn, or a remote's listing running far past its timeout.
// Pure: the runner gives the times, this says what they mean.

#include <chrono>
#include <cstdint>
#include <string>
#include <vector>

#include "watcher/poller.hh"

namespace cwf::runner {

struct WatchdogLimits {
  // The main loop turns every 100 ms and does its work every second.
  std::chrono::milliseconds loop{10000};
  // A listing makes progress or fails within --remote-timeout; one running
  // ten times that long is stuck where no timeout reaches (a local
  // repository on a hung mount, a FIFO in it).
  std::chrono::milliseconds poll{300000};
};

// One line per stuck thing; empty when all is well.
std::vector<std::string> stalls(std::int64_t now_ms, std::int64_t loop_turn_ms,
                                const std::vector<watcher::RemoteStatus>& remotes, const WatchdogLimits& limits);

}  // namespace cwf::runner
