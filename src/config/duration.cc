#include "config/duration.hh"

namespace cwf::config {

std::optional<Seconds> parse_duration(std::string_view text, Seconds max, bool days) {
  static constexpr char kUnits[] = {'d', 'h', 'm', 's'};
  static constexpr long kScale[] = {86400, 3600, 60, 1};
  long total = 0;
  int next_unit = days ? 0 : 1;
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
    while (unit < 4 && kUnits[unit] != text[i]) ++unit;
    if (unit == 4) return std::nullopt;
    total += value * kScale[unit];
    next_unit = unit + 1;
    ++i;
  }
  if (total <= 0 || total > max.count()) return std::nullopt;
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
