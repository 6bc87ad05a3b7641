#pragma once

// A job's log as HTML: the text escaped, its ANSI SGR colours (foreground,
// bold) as styled spans, every other control sequence dropped
// (cli::TerminalFilter's rules: the log is the output of a pushed commit).

#include <string>
#include <string_view>

namespace cwf::server {

std::string log_html(std::string_view log);

}  // namespace cwf::server
