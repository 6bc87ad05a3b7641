#pragma once

// The web UI's Mustache templates (web/templates/*.html, in the binary),
// rendered with a JSON view: strings are escaped unless a template asks for
// {{{raw}}}, which only the runner's own HTML (a rendered log, a nested
// template) may fill.

#include <nlohmann/json.hpp>
#include <string>
#include <string_view>

namespace cwf::server {

// NAME is a file under web/templates without ".html". Throws on an unknown
// template or one that does not parse (a build defect the tests catch).
std::string render_template(std::string_view name, const nlohmann::json& view);

}  // namespace cwf::server

namespace cwf::server {

// A hash of web/static's files: pages name their CSS and script with it
// (?v=...), so a browser may keep them for good and a new build still shows.
const std::string& asset_version();

}  // namespace cwf::server
