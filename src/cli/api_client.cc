#include "cli/api_client.hh"

#include <httplib.h>

#include <cstdlib>
#include <fstream>
#include <nlohmann/json.hpp>
#include <sstream>

#include "config/names.hh"

namespace cwf::cli {

struct ApiClient::Impl {
  std::string server;
  httplib::Client client;
  httplib::Headers headers;
  explicit Impl(const std::string& s) : server(s), client(s) {}
};

ApiClient::ApiClient(std::unique_ptr<Impl> impl) : impl_(std::move(impl)) {}
ApiClient::~ApiClient() = default;

Result<std::unique_ptr<ApiClient>> ApiClient::connect(const std::string& server, const std::string& token_file) {
  if (server.rfind("http://", 0) != 0 && server.rfind("https://", 0) != 0)
    return make_error("--server: an http:// or https:// URL, e.g. http://127.0.0.1:8080");
  auto impl = std::make_unique<Impl>(server);
  if (!impl->client.is_valid()) return make_error("--server: cannot use " + config::redact_url(server));
  impl->client.set_connection_timeout(5, 0);
  impl->client.set_read_timeout(30, 0);
  impl->client.set_write_timeout(30, 0);
  std::string token;
  if (!token_file.empty()) {
    std::ifstream in(token_file, std::ios::binary);
    if (!in) return make_error("cannot read the token file " + token_file);
    std::stringstream ss;
    ss << in.rdbuf();
    token = ss.str();
    while (!token.empty() && (token.back() == '\n' || token.back() == '\r')) token.pop_back();
  } else if (const char* t = std::getenv("CONVOX_WORKFLOWS_API_TOKEN")) {
    token = t;
  }
  if (!token.empty()) impl->headers.emplace("Authorization", "Bearer " + token);
  return std::unique_ptr<ApiClient>(new ApiClient(std::move(impl)));
}

namespace {

Error transport_error(const std::string& server, httplib::Error e) {
  return make_error("cannot reach " + config::redact_url(server) + ": " + httplib::to_string(e));
}

}  // namespace

Result<ApiReply> ApiClient::get(const std::string& path) {
  auto r = impl_->client.Get(path.c_str(), impl_->headers);
  if (!r) return transport_error(impl_->server, r.error());
  return ApiReply{r->status, r->body};
}

Result<ApiReply> ApiClient::post(const std::string& path, const std::string& json_body) {
  auto r = impl_->client.Post(path.c_str(), impl_->headers, json_body, "application/json");
  if (!r) return transport_error(impl_->server, r.error());
  return ApiReply{r->status, r->body};
}

Result<ApiReply> ApiClient::stream(const std::string& path, const std::function<bool(const char*, std::size_t)>& sink) {
  impl_->client.set_read_timeout(24 * 3600, 0);  // a followed log may be quiet for long
  ApiReply reply;
  auto r = impl_->client.Get(
      path.c_str(), impl_->headers,
      [&](const httplib::Response& res) {
        reply.status = res.status;
        return true;
      },
      [&](const char* data, std::size_t n) {
        if (reply.status == 200) return sink(data, n);
        if (reply.body.size() < 65536) reply.body.append(data, n);
        return true;
      });
  if (!r) return transport_error(impl_->server, r.error());
  return reply;
}

store::JobRecord job_from_json(const std::string& text) {
  auto j = nlohmann::json::parse(text);
  auto opt = [&](const nlohmann::json& o, const char* k) -> std::optional<std::int64_t> {
    return o.contains(k) && o[k].is_number() ? std::optional<std::int64_t>(o[k].get<std::int64_t>()) : std::nullopt;
  };
  store::JobRecord r;
  r.id = j.value("id", 0LL);
  r.workflow = j.value("workflow", "");
  r.repository = j.value("repository", "");
  r.branch = j.value("branch", "");
  r.commit_sha = j.value("commit", "");
  r.trigger = j.value("trigger", "");
  r.state = store::parse_job_state(j.value("state", "")).value_or(store::JobState::failed);
  r.reason = j.value("reason", "");
  r.parent_job_id = opt(j, "parent_job_id");
  r.created_at = j.value("created_at", 0LL);
  r.started_at = opt(j, "started_at");
  r.finished_at = opt(j, "finished_at");
  return r;
}

std::string error_of(const ApiReply& reply) {
  auto j = nlohmann::json::parse(reply.body, nullptr, false);
  if (j.is_object() && j.contains("error") && j["error"].is_string())
    return j["error"].get<std::string>() + " (HTTP " + std::to_string(reply.status) + ")";
  return "HTTP " + std::to_string(reply.status) + ": " + reply.body.substr(0, 200);
}

}  // namespace cwf::cli
