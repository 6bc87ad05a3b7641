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
