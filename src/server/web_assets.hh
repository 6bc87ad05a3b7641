#pragma once

// The web UI's files (web/templates, web/static), compiled into the binary
// by web/embed.cmake, keyed by their path under web/ ("static/app.css").

#include <map>
#include <string_view>

namespace cwf::server {

const std::map<std::string_view, std::string_view>& web_assets();

}  // namespace cwf::server
