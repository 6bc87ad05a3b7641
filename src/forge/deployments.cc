// The forges' deployment JSON, written and read without I/O: GitHub's
// Deployments API (POST /repos/{r}/deployments and .../statuses) and GitLab's
// environments (POST /projects/:id/environments, .../stop); comments' bodies.
#include <nlohmann/json.hpp>

#include "forge/forge.hh"

namespace cwf::forge {
namespace {

using nlohmann::json;

std::string id_of(const json& j) {
  auto it = j.find("id");
  if (it == j.end() || !it->is_number_integer() || it->get<std::int64_t>() <= 0) return "";
  return std::to_string(it->get<std::int64_t>());
}

}  // namespace

std::string github_deployment_body(const Deployment& d) {
  // No required contexts: the runner deploys what its own gate let through.
  return json{{"ref", d.sha},
              {"environment", d.environment},
              {"description", short_description(d.description)},
              {"transient_environment", true},
              {"production_environment", false},
              {"auto_merge", false},
              {"required_contexts", json::array()}}
      .dump();
}

std::string github_deployment_status_body(const Deployment& d, const char* state) {
  json body = {{"state", state}};
  if (std::string(state) == "success") {
    body["environment_url"] = d.url;
    body["auto_inactive"] = true;  // the PR's earlier deployments become inactive
  }
  if (!d.log_url.empty()) body["log_url"] = d.log_url;
  if (!d.description.empty()) body["description"] = short_description(d.description);
  return body.dump();
}

std::string gitlab_environment_body(const Deployment& d) {
  json body = {{"name", d.environment}, {"tier", "development"}};
  if (!d.url.empty()) body["external_url"] = d.url;
  return body.dump();
}

std::string comment_body(const std::string& text) { return json{{"body", text}}.dump(); }

Created created(const HttpReply& made, const std::string& what) {
  Created out;
  out.id = made.ok() ? created_id(made.body) : "";
  if (out.id.empty()) out.error = what + ": " + (made.ok() ? std::string("no id in the reply") : made.error);
  return out;
}

Created edit_or_make(const std::string& id, const std::function<HttpReply()>& edit,
                     const std::function<HttpReply()>& make, const std::string& what) {
  if (!id.empty()) {
    HttpReply edited = edit();
    if (edited.ok() || edited.status != 404) return {id, edited.ok() ? "" : what + ": " + edited.error};
  }
  return created(make(), what);
}

std::string created_id(std::string_view body) {
  auto j = json::parse(body, nullptr, false);
  return j.is_object() ? id_of(j) : "";
}

std::string gitlab_environment_id(std::string_view body, const std::string& name) {
  auto j = json::parse(body, nullptr, false);
  if (!j.is_array()) return "";
  for (const auto& e : j)
    if (e.is_object() && e.value("name", "") == name) return id_of(e);
  return "";
}

}  // namespace cwf::forge
