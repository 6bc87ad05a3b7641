#include "config/racks.hh"

#include "config/map_reader.hh"
#include "config/names.hh"
#include "config/yaml_tree.hh"

namespace cwf::config {
namespace {

// userinfo as RFC 3986 allows it; the convox CLI sends it as written.
std::string percent_encoded(const std::string& s) {
  std::string out;
  for (unsigned char c : s) {
    if (std::isalnum(c) || c == '-' || c == '.' || c == '_' || c == '~') {
      out += static_cast<char>(c);
    } else {
      char buf[4];
      std::snprintf(buf, sizeof buf, "%%%02X", c);
      out += buf;
    }
  }
  return out;
}

std::string percent_decoded(std::string_view s) {
  std::string out;
  for (std::size_t i = 0; i < s.size(); ++i) {
    if (s[i] == '%' && i + 2 < s.size() && std::isxdigit(static_cast<unsigned char>(s[i + 1])) &&
        std::isxdigit(static_cast<unsigned char>(s[i + 2]))) {
      out += static_cast<char>(std::stoi(std::string(s.substr(i + 1, 2)), nullptr, 16));
      i += 2;
    } else {
      out += s[i];
    }
  }
  return out;
}

std::optional<Rack> load_rack(const yaml::Node& node, const std::string& name, Position name_pos, Diagnostics& diags) {
  static const std::vector<std::string> keys = {"url", "password_file"};
  MapReader r(node, "racks: " + name, keys, diags);
  if (!r.ok()) return std::nullopt;
  auto url = r.string("url", true);
  if (!url) return std::nullopt;
  Position url_pos = r.get("url")->pos;
  if (url->rfind("https://", 0) != 0 && url->rfind("http://", 0) != 0) {
    // Not quoted: the value may hold a password.
    diags.error(url_pos, r.what() + ": url: expected https://[convox:PASSWORD@]HOST");
    return std::nullopt;
  }
  std::size_t host = url->find("://") + 3;
  std::size_t end = url->find('/', host);
  std::size_t at = url->rfind('@', end);
  std::string userinfo = at != std::string::npos && at >= host ? url->substr(host, at - host) : "";
  std::string rest = url->substr(userinfo.empty() ? host : at + 1);
  if (rest.empty() || rest[0] == '/' || rest[0] == ':') {
    diags.error(url_pos, r.what() + ": url: no host");
    return std::nullopt;
  }
  Rack rack;
  rack.name = name;
  rack.pos = name_pos;
  std::string user = "convox";
  if (std::size_t colon = userinfo.find(':'); colon != std::string::npos) {
    user = userinfo.substr(0, colon);
    rack.password = percent_decoded(userinfo.substr(colon + 1));
  } else if (!userinfo.empty()) {
    user = userinfo;
  }
  if (auto file = r.string("password_file")) {
    if (!rack.password.empty()) {
      diags.error(r.get("password_file")->pos, r.what() + ": give the password in url or in password_file, not both");
      return std::nullopt;
    }
    auto read = read_source(*file);  // a regular file only: a FIFO would block the start
    if (read) rack.password = std::move(read->text);
    while (!rack.password.empty() && (rack.password.back() == '\n' || rack.password.back() == '\r'))
      rack.password.pop_back();
    if (rack.password.empty()) {
      diags.error(r.get("password_file")->pos, r.what() + ": password_file: cannot read " + quote(*file) + " (or it is empty)");
      return std::nullopt;
    }
  }
  if (rack.password.empty()) {
    diags.error(url_pos, r.what() + ": no password: put it in url (https://convox:PASSWORD@host) or password_file");
    return std::nullopt;
  }
  rack.url = url->substr(0, host) + percent_encoded(user) + ":" + percent_encoded(rack.password) + "@" + rest;
  return rack;
}

}  // namespace

RacksResult load_racks(const Source& src) {
  RacksResult result;
  Diagnostics& diags = result.diags;
  std::unique_ptr<yaml::Document> doc;
  const yaml::Node* root =
      yaml::parse_root(src, doc, "the racks file is empty; expected 'racks:' with a url for each rack", diags);
  if (!root) return result;
  static const std::vector<std::string> keys = {"racks", "default"};
  MapReader top(*root, "racks file", keys, diags);
  if (!top.ok()) return result;
  Racks racks;
  if (const yaml::Node* list = top.require("racks")) {
    if (!list->is_map() || list->map_size() == 0) {
      diags.error(list->pos, "racks: expected a map of rack names (org/rack) to {url: ...}");
    } else {
      for (std::size_t i = 0; i < list->map_size(); ++i) {
        const yaml::Node& key = list->key(i);
        if (!key.is_scalar() || key.value.empty()) {
          diags.error(key.pos, "racks: a rack's name must be a string such as acme/production");
          continue;
        }
        std::string name(key.value);
        if (racks.racks.count(name)) {
          diags.error(key.pos, "racks: " + name + " is named twice");
          continue;
        }
        if (auto rack = load_rack(list->val(i), name, key.pos, diags)) racks.racks.emplace(name, std::move(*rack));
      }
    }
  }
  if (auto d = top.string("default")) {
    if (!racks.racks.count(*d) && !diags.has_errors())
      diags.error(top.get("default")->pos, "default: " + quote(*d) + " is not one of the racks");
    racks.default_rack = *d;
  }
  if (!diags.has_errors()) result.racks = std::move(racks);
  return result;
}

}  // namespace cwf::config
