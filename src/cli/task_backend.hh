#pragma once

// --task-backend and what each backend needs, for `run` and `exec` alike:
// the flags, and the launcher they make.

#include <chrono>
#include <filesystem>
#include <memory>
#include <string>
#include <vector>

#include "executor/process.hh"
#include "util/result.hh"

namespace CLI {
class App;
}

namespace cwf::cli {

struct BackendFlags {
  std::string backend = "local", podman_bin = "podman";
  std::string kubeconfig, kube_context, k8s_namespace, k8s_init_image = "busybox:1.36";
  std::string k8s_checkout_listen = "0.0.0.0:8081", k8s_checkout_url, k8s_service_account;
  std::string k8s_pending_timeout = "5m", k8s_ttl = "10m";
};

// The flags on APP, each also read from CONVOX_WORKFLOWS_<NAME>.
void add_backend_flags(CLI::App& app, BackendFlags& flags);

// The launcher FLAGS ask for: a runner (or exec) keeping its data in
// DATA_DIR, whose own environment is ENV, stopping tasks with GRACE.
Result<std::unique_ptr<executor::TaskLauncher>> make_launcher(const BackendFlags& flags,
                                                             const std::filesystem::path& data_dir,
                                                             const std::vector<std::string>& env,
                                                             std::chrono::milliseconds grace);

}  // namespace cwf::cli
