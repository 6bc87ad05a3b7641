// `convox-workflows notifications`: the notifications of jobs' events and
// their delivery, from the data dir or a running runner's API; --retry sends
// a given-up one again (over the API: the runner's workers send it).
#include <CLI/CLI.hpp>
#include <iostream>

#include <nlohmann/json.hpp>

#include "cli/api_client.hh"
#include "cli/commands.hh"
#include "cli/job_output.hh"
#include "server/api_json.hh"
#include "store/job_store.hh"

namespace cwf::cli {
namespace {

// The API's shape: the same whether read from the store or over HTTP.
void print_table(const nlohmann::json& list) {
  std::cout << pad("ID", 8) << pad("JOB", 8) << pad("EVENT", 17) << pad("STATE", 11) << pad("TRIES", 7)
            << pad("TARGET", 36) << "LAST ERROR\n";
  auto text = [](const nlohmann::json& j, const char* k) {
    return j.contains(k) && j[k].is_string() ? j[k].get<std::string>() : std::string();
  };
  auto number = [](const nlohmann::json& j, const char* k) {
    return j.contains(k) && j[k].is_number_integer() ? std::to_string(j[k].get<std::int64_t>()) : std::string("-");
  };
  for (const auto& n : list) {
    std::string error = text(n, "last_error");
    for (char& c : error)
      if (static_cast<unsigned char>(c) < 0x20 || c == 0x7f) c = ' ';  // a receiver's words reach a terminal
    std::cout << pad(number(n, "id"), 8) << pad(number(n, "job"), 8) << pad(text(n, "event"), 17)
              << pad(text(n, "state"), 11) << pad(number(n, "attempts"), 7) << pad(text(n, "target"), 36)
              << (error.empty() ? "-" : error.substr(0, 200)) << "\n";
  }
}

}  // namespace

int run_notifications(const Args& args) {
  CLI::App app("List the notifications of jobs' events, newest first, with their delivery state and last error.",
               "convox-workflows notifications");
  std::string data_dir, server, token_file, state, format = "table";
  int limit = 20;
  std::int64_t retry = 0;
  app.add_option("--state", state, "only those in this state (pending, delivered, failed)")
      ->check(CLI::IsMember({"pending", "delivered", "failed"}));
  app.add_option("--limit", limit, "at most this many (default 20)")->check(CLI::Range(1, 1000));
  app.add_option("--format", format, "table or json (default table)")->check(CLI::IsMember({"table", "json"}));
  app.add_option("--data-dir", data_dir, "where jobs are kept (default $XDG_STATE_HOME/convox-workflows)");
  app.add_option("--server", server, "ask a running runner's API instead (http://host:port)")
      ->envname("CONVOX_WORKFLOWS_SERVER");
  app.add_option("--token-file", token_file, "the API token, if the runner wants one");
  app.add_option("--retry", retry, "send this given-up notification again (needs --server)");
  if (int rc = parse_args(app, args); rc >= 0) return rc;
  auto fail = [](const std::string& why, int code) {
    std::cerr << "convox-workflows notifications: " << why << "\n";
    return code;
  };
  nlohmann::json list = nlohmann::json::array();
  if (!server.empty()) {
    auto client = ApiClient::connect(server, token_file);
    if (!client) return fail(client.error().message, kExitUsage);
    if (retry > 0) {
      auto reply = (*client)->post("/api/notifications/" + std::to_string(retry) + "/retry", "{}");
      if (!reply) return fail(reply.error().message, kExitFailure);
      if (reply->status >= 300) return fail(error_of(*reply), kExitFailure);
      std::cout << "notification " << retry << " queued again\n";
      return kExitOk;
    }
    std::string path = "/api/notifications?limit=" + std::to_string(limit) + (state.empty() ? "" : "&state=" + state);
    auto reply = (*client)->get(path);
    if (!reply || reply->status != 200) return fail(reply ? error_of(*reply) : reply.error().message, kExitFailure);
    auto body = nlohmann::json::parse(reply->body, nullptr, false);
    if (body.is_object() && body["notifications"].is_array()) list = body["notifications"];
  } else {
    if (retry > 0) return fail("--retry needs --server: the runner sends it", kExitUsage);
    auto opened = store::JobStore::open(data_dir_or_default(data_dir), true);
    if (!opened) return fail(opened.error().message, kExitFailure);
    for (const auto& n : (*opened)->list_notifications({state, limit, std::nullopt}))
      list.push_back(nlohmann::json::parse(server::notification_json(n).dump()));
  }
  if (format == "json") std::cout << list.dump(2, ' ', false, nlohmann::json::error_handler_t::replace) << "\n";
  else print_table(list);
  return kExitOk;
}

}  // namespace cwf::cli
