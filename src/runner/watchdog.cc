#include "runner/watchdog.hh"

#include "config/names.hh"

namespace cwf::runner {

std::vector<std::string> stalls(std::int64_t now_ms, std::int64_t loop_turn_ms,
                                const std::vector<watcher::RemoteStatus>& remotes, const WatchdogLimits& limits) {
  std::vector<std::string> out;
  auto seconds = [](std::int64_t ms) { return std::to_string(ms / 1000) + " s"; };
  if (loop_turn_ms > 0 && now_ms - loop_turn_ms > limits.loop.count())
    out.push_back("the main loop has not completed a turn for " + seconds(now_ms - loop_turn_ms) +
                  " (the workflows file is not re-read, state.json not written)");
  for (const auto& r : remotes)
    if (r.in_flight && r.in_flight_since > 0 && now_ms - r.in_flight_since > limits.poll.count())
      out.push_back("listing " + config::redact_url(r.url) + " has taken " + seconds(now_ms - r.in_flight_since) +
                    ", past every timeout");
  return out;
}

}  // namespace cwf::runner
