#include <catch2/catch.hpp>

#include "config/duration.hh"

using namespace cwf::config;

TEST_CASE("durations parse in h, m, s order") {
  CHECK(parse_duration("90s") == Seconds{90});
  CHECK(parse_duration("10m") == Seconds{600});
  CHECK(parse_duration("1h") == Seconds{3600});
  CHECK(parse_duration("1h30m") == Seconds{5400});
  CHECK(parse_duration("2h0m5s") == Seconds{7205});
  CHECK(parse_duration("168h") == Seconds{168 * 3600});
}

TEST_CASE("bad durations are rejected") {
  for (const char* bad : {"", "90", "s", "1m1h", "1h1h", "0s", "-5s", "1.5h", "1d", "10 m", "169h",
                          "99999999999s", "1hm"}) {
    INFO(bad);
    CHECK_FALSE(parse_duration(bad).has_value());
  }
}

TEST_CASE("durations format canonically") {
  CHECK(format_duration(Seconds{5400}) == "1h30m");
  CHECK(format_duration(Seconds{90}) == "1m30s");
  CHECK(format_duration(Seconds{3600}) == "1h");
  CHECK(format_duration(Seconds{3605}) == "1h5s");
}

TEST_CASE("days, where a longer duration is allowed") {
  using namespace cwf::config;
  CHECK(parse_duration("7d", Seconds{90 * 86400}, true) == Seconds{7 * 86400});
  CHECK(parse_duration("1d12h", Seconds{90 * 86400}, true) == Seconds{36 * 3600});
  CHECK(parse_duration("30d", Seconds{90 * 86400}, true) == Seconds{30 * 86400});
  CHECK_FALSE(parse_duration("91d", Seconds{90 * 86400}, true));
  CHECK_FALSE(parse_duration("1h1d", Seconds{90 * 86400}, true));
  CHECK_FALSE(parse_duration("7d"));  // timeouts stay within hours
}
