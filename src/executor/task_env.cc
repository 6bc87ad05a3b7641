#include "executor/task_env.hh"

#include <algorithm>

#include "config/names.hh"

namespace cwf::executor {
namespace {

using config::runner_own_variable;

// Every task: enough to find programs and write text, nothing that grants access.
bool minimal(std::string_view name) {
  static const char* const names[] = {"PATH", "HOME", "USER", "LOGNAME", "LANG", "LANGUAGE", "TZ", "TMPDIR"};
  return name.starts_with("LC_") || std::find(std::begin(names), std::end(names), name) != std::end(names);
}

// What the convox CLI reads (its racks and credentials, its settings, how it
// reaches them), for build, promote and run.
bool convox_cli(std::string_view name) {
  static const char* const names[] = {"RACK_URL",   "HTTPS_PROXY",   "https_proxy",  "HTTP_PROXY",
                                      "http_proxy", "NO_PROXY",      "no_proxy",     "SSL_CERT_FILE",
                                      "SSL_CERT_DIR"};
  return name.starts_with("CONVOX_") || std::find(std::begin(names), std::end(names), name) != std::end(names);
}

constexpr const char* kDefaultPath = "/usr/local/bin:/usr/bin:/bin";

}  // namespace

EnvMap environment_for_tasks(const std::vector<std::string>& env) {
  EnvMap out;
  for (const auto& kv : env) {
    std::size_t eq = kv.find('=');
    if (eq == std::string::npos || eq == 0) continue;
    std::string name = kv.substr(0, eq);
    if (!runner_own_variable(name)) out[std::move(name)] = kv.substr(eq + 1);  // the last one wins, as with setenv
  }
  return out;
}

Result<std::vector<std::string>> task_environment(const config::Task& task, const EnvMap& runner, const EnvMap& job) {
  bool script = task.type == config::TaskType::script;
  EnvMap env;
  // A rack from the racks file comes as the job's RACK_URL; nothing of the
  // runner's may pick another.
  bool own_rack = job.count("RACK_URL") > 0;
  auto picks_rack = [](const std::string& k) {
    return k == "RACK_URL" || k == "CONVOX_HOST" || k == "CONVOX_PASSWORD" || k == "CONVOX_RACK";
  };
  for (const auto& [k, v] : runner)
    if (!runner_own_variable(k) && (minimal(k) || (!script && convox_cli(k))) && !(own_rack && picks_rack(k)))
      env[k] = v;
  if (!env.count("PATH")) env["PATH"] = kDefaultPath;
  if (script) {
    for (const auto& [k, v] : task.env) env[k] = v;
    for (const auto& name : task.secrets) {
      auto it = runner.find(name);
      if (it == runner.end() || runner_own_variable(name))
        return make_error("secrets: " + name + " is not set in the runner's environment");
      env[name] = it->second;
    }
  }
  for (const auto& [k, v] : job) env[k] = v;
  std::vector<std::string> out;
  out.reserve(env.size());
  for (const auto& [k, v] : env) out.push_back(k + "=" + v);
  return out;
}

}  // namespace cwf::executor
