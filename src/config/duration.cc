#include "config/duration.hh"

namespace cwf::config {

std::optional<Seconds> parse_duration(std::string_view text) {
  static constexpr char kUnits[] = {'h', 'm', 's'};
  static constexpr long kScale[] = {3600, 60, 1};
  long total = 0;
  int next_unit = 0;
  std::size_t i = 0;
  if (text.empty()) return std::nullopt;
  while (i < text.size()) {
    long value = 0;
    std::size_t digits = 0;
    while (i < text.size() && text[i] >= '0' && text[i] <= '9') {
      if (++digits > 7) return std::nullopt;  // keeps the arithmetic far from overflow
      value = value * 10 + (text[i] - '0');
      ++i;
    }
    if (digits == 0 || i == text.size()) return std::nullopt;
    int unit = next_unit;
    while (unit < 3 && kUnits[unit] != text[i]) ++unit;
    if (unit == 3) return std::nullopt;
    total += value * kScale[unit];
    next_unit = unit + 1;
    ++i;
  }
  if (total <= 0 || total > kMaxDuration.count()) return std::nullopt;
  return Seconds{total};
}

std::string format_duration(Seconds d) {
  long s = d.count();
  std::string out;
  if (s >= 3600) out += std::to_string(s / 3600) + "h";
  if (s % 3600 >= 60) out += std::to_string(s % 3600 / 60) + "m";
  if (s % 60 != 0 || out.empty()) out += std::to_string(s % 60) + "s";
  return out;
}

}  // namespace cwf::config
