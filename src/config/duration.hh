#pragma once

// Durations as users write them in the workflows file: "90s", "10m", "1h30m".

#include <chrono>
#include <optional>
#include <string>
#include <string_view>

namespace cwf::config {

using Seconds = std::chrono::seconds;

// Hours, minutes and seconds (days first too, with DAYS) in that order, each
// at most once, at least one, total above zero and at most MAX. nullopt for
// anything else.
std::optional<Seconds> parse_duration(std::string_view text, Seconds max, bool days = false);
// The canonical spelling: 5400s -> "1h30m".
std::string format_duration(Seconds d);

inline constexpr Seconds kMaxDuration{7 * 24 * 3600};
inline std::optional<Seconds> parse_duration(std::string_view text) { return parse_duration(text, kMaxDuration); }

}  // namespace cwf::config
