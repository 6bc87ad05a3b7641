// A job's log on its page: colours as spans, everything else escaped or dropped.

#include <catch2/catch.hpp>

#include "server/log_html.hh"

using cwf::server::log_html;

TEST_CASE("log HTML: SGR colours and bold become spans; resets close them") {
  CHECK(log_html("plain <b> & text\n") == "plain &lt;b&gt; &amp; text\n");
  CHECK(log_html("\x1b[31mred\x1b[0m back") == "<span class=\"ansi-red\">red</span> back");
  CHECK(log_html("\x1b[1;92mok\x1b[m.") == "<span class=\"ansi-bright-green ansi-bold\">ok</span>.");
  CHECK(log_html("\x1b[1mbold \x1b[34mblue\x1b[22m thin\x1b[39m none") ==
        "<span class=\"ansi-bold\">bold </span><span class=\"ansi-blue ansi-bold\">blue</span>"
        "<span class=\"ansi-blue\"> thin</span> none");
  CHECK(log_html("\x1b[31munclosed") == "<span class=\"ansi-red\">unclosed</span>");
  CHECK(log_html("\x1b[38;5;196mfancy\x1b[0m") == "fancy");  // 256 colours: shown plain
}

TEST_CASE("log HTML: every other control sequence is dropped, never interpreted") {
  CHECK(log_html("a\x1b]0;title\x07" "b") == "ab");                         // a window title
  CHECK(log_html("c\x1b]8;;https://evil.example\x1b\\link\x1b]8;;\x1b\\") == "clink");  // an OSC 8 link
  CHECK(log_html("d\x1b[2J\x1b[Hd") == "dd");                               // clear, home
  CHECK(log_html("e\x1b[31;<script>m") .find("<script>") == std::string::npos);
  CHECK(log_html("\x1b[\"><img src=x onerror=alert(1)>m").find("<img") == std::string::npos);
}

TEST_CASE("log HTML, numbered: a span per line with its anchor; colours closed at a line's end and opened again") {
  using cwf::server::LogHtml;
  using cwf::server::LogPosition;
  LogHtml html(true);
  CHECK(html.feed("one\n\x1b[32mtwo\nthree\x1b[0m\npart", false) ==
        "<span class=\"line\" id=\"L1\"><a class=\"ln\" href=\"#L1\" data-n=\"1\"></a>one\n</span>"
        "<span class=\"line\" id=\"L2\"><a class=\"ln\" href=\"#L2\" data-n=\"2\"></a><span class=\"ansi-green\">two</span>\n</span>"
        "<span class=\"line\" id=\"L3\"><a class=\"ln\" href=\"#L3\" data-n=\"3\"></a><span class=\"ansi-green\">three</span>\n</span>");
  CHECK(html.position().offset == 23);  // "part" is left to the next feed
  CHECK(html.position().line == 4);
  CHECK(html.feed("part", true) == "<span class=\"line\" id=\"L4\"><a class=\"ln\" href=\"#L4\" data-n=\"4\"></a>part</span>");
  // A stream resumes where a page left off: its colour and line number with it.
  LogPosition at;
  at.offset = 100, at.line = 9, at.fg = 9, at.bold = true;
  CHECK(at.to_string() == "100-9-9-1");
  auto back = LogPosition::parse(at.to_string());
  REQUIRE(back);
  CHECK(LogHtml(true, *back).feed("x\n", false) ==
        "<span class=\"line\" id=\"L9\"><a class=\"ln\" href=\"#L9\" data-n=\"9\"></a><span class=\"ansi-bright-red ansi-bold\">x</span>\n</span>");
  CHECK(LogPosition::parse("0-1--1-0"));
  CHECK(LogPosition::parse("0-1--1-0")->fg == -1);
  for (const char* bad : {"", "1-2-3", "a-1--1-0", "0-0--1-0", "0-1-16-0", "0-1--2-0", "0-1--1-2", "-1-1--1-0",
                          "0-1--1-0-9", "99999999999999999999999-1--1-0", "0-1- -0"})
    CHECK_FALSE(LogPosition::parse(bad));
}
