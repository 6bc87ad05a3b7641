#include <catch2/catch.hpp>

#include "cli/terminal_filter.hh"

using cwf::cli::TerminalFilter;

namespace {
std::string filtered(const std::string& in, bool colour, std::size_t chunk = 0) {
  TerminalFilter f(colour);
  if (chunk == 0) return f.feed(in);
  std::string out;
  for (std::size_t i = 0; i < in.size(); i += chunk) out += f.feed(std::string_view(in).substr(i, chunk));
  return out;
}
}  // namespace

TEST_CASE("logs keeps text and, on a terminal, colour - every other control sequence goes") {
  std::string hostile = "ok \x1b[31mred\x1b[0m\n"           // SGR
                        "\x1b]0;pwned title\x07"           // OSC: window title
                        "\x1b]8;;https://evil.example/\x1b\\link\x1b]8;;\x1b\\\n"  // OSC 8 hyperlink
                        "\x1b[2J\x1b[H\x1b[1;1H"           // clear, cursor home
                        "\x1b[6n\x1b" "c\x1b(B\x1bP1$r\x1b\\"  // device query, reset, charset, DCS
                        "bell\x07 back\x08 cr\r\n"         // C0 controls
                        "\xc2\x9b" "31m c1 \xc2\xa9 é\n";  // an 8-bit CSI (U+009B), then real UTF-8
  std::string plain = "ok red\nlink\nbell back cr\n31m c1 \xc2\xa9 é\n";
  std::string coloured = "ok \x1b[31mred\x1b[0m\nlink\nbell back cr\n31m c1 \xc2\xa9 é\n";
  CHECK(filtered(hostile, false) == plain);
  CHECK(filtered(hostile, true) == coloured);
  for (std::size_t chunk : {1u, 2u, 3u, 7u})  // split anywhere, the same result
    CHECK(filtered(hostile, true, chunk) == coloured);
  CHECK(filtered("\x1b[38;5;196mx\x1b[?25l", true) == "\x1b[38;5;196mx");  // a private mode isn't colour
  std::string endless = "\x1b]" + std::string(10000, 'a');
  CHECK(filtered(endless, false).size() < 10000);  // bounded, not swallowed forever
}
