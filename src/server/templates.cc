// The one file that includes kainjow's Mustache.
#include "server/templates.hh"

#include <kainjow/mustache.hpp>
#include <cstdint>
#include <cstdio>
#include <stdexcept>

#include "server/web_assets.hh"
#include "server/web_ui.hh"

namespace cwf::server {
namespace {

namespace mustache = kainjow::mustache;

mustache::data to_data(const nlohmann::json& j) {
  switch (j.type()) {
    case nlohmann::json::value_t::object: {
      mustache::data d;
      for (const auto& [k, v] : j.items()) d.set(k, to_data(v));
      return d;
    }
    case nlohmann::json::value_t::array: {
      mustache::data list{mustache::data::type::list};
      for (const auto& v : j) list.push_back(to_data(v));
      return list;
    }
    // An empty string is false, as in JavaScript's Mustache: {{#title}} ... {{/title}}
    // shows nothing for no title (and {{title}} of false is empty too).
    case nlohmann::json::value_t::string:
      return j.get_ref<const std::string&>().empty() ? mustache::data{false} : mustache::data{j.get<std::string>()};
    case nlohmann::json::value_t::boolean: return mustache::data{j.get<bool>()};
    case nlohmann::json::value_t::null: return mustache::data{false};
    default: return mustache::data{j.dump()};  // numbers, as JSON writes them
  }
}

}  // namespace

std::string render_template(std::string_view name, const nlohmann::json& view) {
  const auto& assets = web_assets();
  auto it = assets.find("templates/" + std::string(name) + ".html");
  if (it == assets.end()) throw std::runtime_error("no template " + std::string(name));
  // Parsed per render: a parsed template is not safe to share between the
  // server's threads (rendering writes its error state), and parsing one of
  // these takes microseconds.
  mustache::mustache tmpl{std::string(it->second)};
  tmpl.set_custom_escape([](const std::string& s) { return html_escape(s); });  // ' too, unlike the library's
  std::string out = tmpl.is_valid() ? tmpl.render(to_data(view)) : "";
  if (!tmpl.is_valid()) throw std::runtime_error("template " + std::string(name) + ": " + tmpl.error_message());
  return out;
}

}  // namespace cwf::server

namespace cwf::server {

const std::string& asset_version() {
  static const std::string version = [] {
    std::uint64_t h = 1469598103934665603ull;  // FNV-1a
    for (const auto& [name, text] : web_assets())
      if (name.rfind("static/", 0) == 0)
        for (char c : text) h = (h ^ static_cast<unsigned char>(c)) * 1099511628211ull;
    char buf[17];
    std::snprintf(buf, sizeof buf, "%016llx", static_cast<unsigned long long>(h));
    return std::string(buf, 12);
  }();
  return version;
}

}  // namespace cwf::server
