#include <CLI/CLI.hpp>
#include <csignal>
#include <fstream>
#include <iostream>
#include <nlohmann/json.hpp>
#include <sstream>

#include "cli/commands.hh"
#include "cli/output.hh"
#include "store/job_store.hh"

namespace cwf::cli {
namespace {

// heartbeat_at moves in steps of 5 s; three missed steps and more is no hiccup.
constexpr std::int64_t kStaleMs = 20000;

std::string ago(std::int64_t at_ms, std::int64_t now_ms) {
  if (at_ms <= 0) return "never";
  std::int64_t s = (now_ms - at_ms) / 1000;
  if (s < 120) return std::to_string(s) + "s ago";
  if (s < 7200) return std::to_string(s / 60) + "m ago";
  return std::to_string(s / 3600) + "h ago";
}

std::string from_now(std::int64_t at_ms, std::int64_t now_ms) {
  if (at_ms <= 0) return "now";
  std::int64_t s = std::max<std::int64_t>(0, (at_ms - now_ms + 999) / 1000);
  return s < 120 ? "in " + std::to_string(s) + "s" : "in " + std::to_string(s / 60) + "m";
}

}  // namespace

int run_status(const Args& args) {
  CLI::App app(
      "Show what the runner using this data dir is doing: its workflows file (ready or not, and why), its remotes "
      "and its jobs. Exit 0 when the workflows file is ready, 1 when the last revision was rejected or no runner "
      "state is there.",
      "convox-workflows status");
  std::string data_dir, format = "text";
  app.add_option("--data-dir", data_dir, "the runner's data dir (default $XDG_STATE_HOME/convox-workflows)");
  app.add_option("--format", format, "text or json");
  if (int rc = parse_args(app, args); rc >= 0) return rc;
  if (!valid_format(format)) {
    std::cerr << "convox-workflows status: --format is text or json\n";
    return kExitUsage;
  }
  auto path = data_dir_or_default(data_dir) / "state.json";
  std::ifstream in(path);
  std::stringstream text;
  text << in.rdbuf();
  nlohmann::json state = nlohmann::json::parse(text.str(), nullptr, false);
  if (!in || state.is_discarded() || !state.is_object()) {
    std::cerr << "convox-workflows status: no runner state at " << path.string()
              << " (no `convox-workflows run` has used this --data-dir)\n";
    return kExitFailure;
  }
  std::int64_t now = store::now_ms();
  long pid = state.value("pid", 0L);
  bool alive = pid > 0 && ::kill(static_cast<pid_t>(pid), 0) == 0;
  // A live runner rewrites the file at least every 5 s; a stuck main loop can't.
  std::int64_t heartbeat = state.value("heartbeat_at", 0LL);
  std::vector<std::string> stalled;
  for (const auto& s : state.value("stalled", nlohmann::json::array()))
    if (s.is_string()) stalled.push_back(s.get<std::string>());
  if (alive && heartbeat > 0 && now - heartbeat > kStaleMs)
    stalled.insert(stalled.begin(), "state.json was last written " + ago(heartbeat, now) + ": the main loop is stuck");
  bool ready = state["config"].value("ready", false) && (!alive || stalled.empty());
  if (format == "json") {
    state["stalled"] = stalled;
    std::cout << state.dump(2) << "\n";
    return ready ? kExitOk : kExitFailure;
  }
  const auto& c = state["config"];
  std::cout << "runner: "
            << (!alive ? "not running (last state shown)"
                : stalled.empty() ? "running (pid " + std::to_string(pid) + ")"
                                  : "STALLED (pid " + std::to_string(pid) + ")");
  for (const auto& s : stalled) std::cout << "\n  stalled: " << s;
  std::cout
            << "\nworkflows file: " << c.value("source", "") << "\n"
            << "  ready: " << (ready ? "yes" : "NO: the last good revision keeps running") << "\n"
            << "  workflows: " << c.value("workflows", 0) << "\n"
            << "  last applied revision:   " << c.value("last_applied_revision", "(none)") << " ("
            << ago(c.value("last_applied_at", 0LL), now) << ")\n"
            << "  last attempted revision: " << c.value("last_attempted_revision", "(none)") << " ("
            << ago(c.value("last_attempted_at", 0LL), now) << ")\n";
  for (const auto& e : c.value("errors", nlohmann::json::array())) std::cout << "  " << e.get<std::string>() << "\n";
  for (const auto& w : state.value("warnings", nlohmann::json::array()))
    if (w.is_string()) std::cout << "warning: " << w.get<std::string>() << "\n";
  const auto& remotes = state["remotes"];
  int failing = 0;
  for (const auto& r : remotes) failing += r.value("failures", 0) > 0;
  std::cout << "remotes: " << remotes.size() << (failing ? " (" + std::to_string(failing) + " failing)" : "") << "\n";
  for (const auto& r : remotes) {
    std::cout << "  " << r.value("url", "") << ": ";
    if (r.value("failures", 0) > 0)
      std::cout << "FAILING (" << r.value("failures", 0) << " in a row, last ok " << ago(r.value("last_ok_at", 0LL), now)
                << ", next try " << from_now(r.value("next_poll_at", 0LL), now) << "): " << r.value("last_error", "") << "\n";
    else
      std::cout << "ok, listed " << ago(r.value("last_poll_at", 0LL), now) << " in " << r.value("last_duration_ms", 0)
                << " ms\n";
  }
  std::cout << "jobs: " << state["jobs"].value("running", 0) << " running, " << state["jobs"].value("queued", 0)
            << " queued, " << state["jobs"].value("waiting", 0) << " waiting for their commit's status\n";
  if (const auto& n = state.value("notifications", nlohmann::json::object()); n.is_object() && !n.empty()) {
    std::cout << "notifications: " << n.value("delivered", 0) << " delivered, " << n.value("pending", 0) << " pending, "
              << n.value("failed", 0) << " failed\n";
    if (const auto& f = n.value("last_failed", nlohmann::json::object()); f.is_object() && !f.empty())
      std::cout << "  last failed: job " << f.value("job", 0) << " " << f.value("event", "") << " to "
                << f.value("target", "") << ": " << f.value("last_error", "") << "\n";
  }
  return ready ? kExitOk : kExitFailure;
}

}  // namespace cwf::cli
