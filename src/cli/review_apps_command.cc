// `convox-workflows review-apps`: the review apps the runner made, from the
// data dir or a running runner's API.
#include <CLI/CLI.hpp>
#include <iostream>

#include <nlohmann/json.hpp>

#include "cli/api_client.hh"
#include "cli/commands.hh"
#include "cli/job_output.hh"
#include "store/job_store.hh"

namespace cwf::cli {
namespace {

void print_table(const std::vector<store::ReviewApp>& apps) {
  std::cout << pad("PR", 8) << pad("APP", 32) << pad("RACK", 20) << pad("STATE", 10) << pad("COMMIT", 14) << "URL\n";
  for (const auto& a : apps)
    std::cout << pad("#" + std::to_string(a.pull_request), 8) << pad(a.app, 32) << pad(a.rack.empty() ? "-" : a.rack, 20)
              << pad(a.state, 10) << pad(a.last_commit.empty() ? "-" : a.last_commit.substr(0, 12), 14)
              << (a.url.empty() ? "-" : a.url) << "\n";
}

store::ReviewApp from_json(const nlohmann::json& j) {
  store::ReviewApp a;
  auto text = [&](const char* k) { return j.contains(k) && j[k].is_string() ? j[k].get<std::string>() : ""; };
  a.pull_request = j.contains("pull_request") && j["pull_request"].is_number_integer() ? j["pull_request"].get<int>() : 0;
  a.app = text("app");
  a.rack = text("rack");
  a.state = text("state");
  a.last_commit = text("last_commit");
  a.url = text("url");
  return a;
}

}  // namespace

int run_review_apps(const Args& args) {
  CLI::App app("List the review apps the runner made for pull requests, newest first.", "convox-workflows review-apps");
  std::string data_dir, server, token_file, state;
  app.add_option("--state", state, "only those in this state (active, deleting, deleted)")
      ->check(CLI::IsMember({"active", "deleting", "deleted"}));
  app.add_option("--data-dir", data_dir, "where jobs are kept (default $XDG_STATE_HOME/convox-workflows)");
  app.add_option("--server", server, "ask a running runner's API instead (http://host:port)");
  app.add_option("--token-file", token_file, "the API token, if the runner wants one");
  if (int rc = parse_args(app, args); rc >= 0) return rc;
  std::vector<store::ReviewApp> apps;
  if (!server.empty()) {
    auto client = ApiClient::connect(server, token_file);
    if (!client) {
      std::cerr << "convox-workflows review-apps: " << client.error().message << "\n";
      return kExitUsage;
    }
    auto reply = (*client)->get("/api/review-apps" + (state.empty() ? "" : "?state=" + state));
    if (!reply || reply->status != 200) {
      std::cerr << "convox-workflows review-apps: " << (reply ? error_of(*reply) : reply.error().message) << "\n";
      return kExitFailure;
    }
    auto body = nlohmann::json::parse(reply->body, nullptr, false);
    if (body.is_object() && body["review_apps"].is_array())
      for (const auto& j : body["review_apps"]) apps.push_back(from_json(j));
  } else {
    auto opened = store::JobStore::open(data_dir_or_default(data_dir), true);
    if (!opened) {
      std::cerr << "convox-workflows review-apps: " << opened.error().message << "\n";
      return kExitFailure;
    }
    for (auto& a : (*opened)->review_apps())
      if (state.empty() || a.state == state) apps.push_back(std::move(a));
  }
  print_table(apps);
  return kExitOk;
}

}  // namespace cwf::cli
