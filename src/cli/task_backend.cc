#include "cli/task_backend.hh"

#include <CLI/CLI.hpp>

#include <map>

#include "config/duration.hh"
#include "executor/kubernetes_launcher.hh"
#include "executor/podman_launcher.hh"
#include "kube/kube_config.hh"

namespace cwf::cli {

void add_backend_flags(CLI::App& app, BackendFlags& f) {
  auto env = [](CLI::Option* opt, const char* name) { return opt->envname(std::string("CONVOX_WORKFLOWS_") + name); };
  env(app.add_option("--task-backend", f.backend,
                     "where script tasks with an image: run: local (none may have one; default), podman or kubernetes")
          ->check(CLI::IsMember({"local", "podman", "kubernetes"})),
      "TASK_BACKEND");
  env(app.add_option("--podman-bin", f.podman_bin, "the podman program (default: podman on PATH)"), "PODMAN_BIN");
  env(app.add_option("--kubeconfig", f.kubeconfig,
                     "kubernetes: the cluster as this kubeconfig file has it (default: in-cluster, the pod's service account)"),
      "KUBECONFIG");
  env(app.add_option("--kube-context", f.kube_context, "kubernetes: the kubeconfig's context (default: its current one)"),
      "KUBE_CONTEXT");
  env(app.add_option("--k8s-namespace", f.k8s_namespace,
                     "kubernetes: where task Jobs run (default: the context's or the service account's namespace)"),
      "K8S_NAMESPACE");
  env(app.add_option("--k8s-init-image", f.k8s_init_image,
                     "kubernetes: the image that fetches the checkout into a pod; needs sh, wget and tar (default busybox:1.36)"),
      "K8S_INIT_IMAGE");
  env(app.add_option("--k8s-checkout-listen", f.k8s_checkout_listen,
                     "kubernetes: where the runner serves checkouts to task pods (default 0.0.0.0:8081)"),
      "K8S_CHECKOUT_LISTEN");
  env(app.add_option("--k8s-checkout-url", f.k8s_checkout_url,
                     "kubernetes: how pods reach that listener, e.g. http://convox-workflows.ci.svc:8081 (required)"),
      "K8S_CHECKOUT_URL");
  env(app.add_option("--k8s-service-account", f.k8s_service_account,
                     "kubernetes: the task pods' service account (default: the namespace's default; no token is mounted)"),
      "K8S_SERVICE_ACCOUNT");
  env(app.add_option("--k8s-pending-timeout", f.k8s_pending_timeout,
                     "kubernetes: a pod that can't be scheduled or pull its image fails its task after this (default 5m)"),
      "K8S_PENDING_TIMEOUT");
  env(app.add_option("--k8s-ttl", f.k8s_ttl, "kubernetes: a finished Job is deleted by the cluster after this (default 10m)"),
      "K8S_TTL");
}

Result<std::unique_ptr<executor::TaskLauncher>> make_launcher(const BackendFlags& f, const std::filesystem::path& data_dir,
                                                             const std::vector<std::string>& env,
                                                             std::chrono::milliseconds grace) {
  if (f.backend == "local") return std::unique_ptr<executor::TaskLauncher>(std::make_unique<executor::LocalLauncher>());
  if (f.backend == "podman")
    return std::unique_ptr<executor::TaskLauncher>(
        std::make_unique<executor::PodmanLauncher>(executor::podman_options(f.podman_bin, data_dir, env)));

  Result<kube::KubeConfig> config = make_error("");
  if (!f.kubeconfig.empty()) {
    config = kube::load_kubeconfig(f.kubeconfig, f.kube_context);
  } else {
    std::map<std::string, std::string> vars;
    for (const auto& kv : env)
      if (auto eq = kv.find('='); eq != std::string::npos) vars[kv.substr(0, eq)] = kv.substr(eq + 1);
    config = kube::in_cluster_config(vars);
  }
  if (!config) return make_error("--task-backend kubernetes: " + config.error().message);
  executor::KubernetesOptions o;
  o.namespace_ = f.k8s_namespace.empty() ? config->namespace_ : f.k8s_namespace;
  if (o.namespace_.empty()) o.namespace_ = "default";
  o.runner_id = executor::runner_id(data_dir);
  o.init_image = f.k8s_init_image;
  o.service_account = f.k8s_service_account;
  o.grace = grace;
  auto pending = config::parse_duration(f.k8s_pending_timeout);
  auto ttl = config::parse_duration(f.k8s_ttl);
  if (!pending || pending->count() == 0) return make_error("bad --k8s-pending-timeout '" + f.k8s_pending_timeout + "' (e.g. 5m)");
  if (!ttl) return make_error("bad --k8s-ttl '" + f.k8s_ttl + "' (e.g. 10m)");
  o.pending_timeout = std::chrono::duration_cast<std::chrono::seconds>(*pending);
  o.ttl = std::chrono::duration_cast<std::chrono::seconds>(*ttl);
  o.checkout_url = f.k8s_checkout_url;
  while (!o.checkout_url.empty() && o.checkout_url.back() == '/') o.checkout_url.pop_back();
  if (o.checkout_url.rfind("http://", 0) != 0 && o.checkout_url.rfind("https://", 0) != 0)
    return make_error("--task-backend kubernetes needs --k8s-checkout-url: how task pods reach this runner "
                      "(http://host:port of --k8s-checkout-listen, e.g. a Service's name)");
  std::size_t colon = f.k8s_checkout_listen.rfind(':');
  int port = -1;
  if (colon != std::string::npos) {
    try {
      port = std::stoi(f.k8s_checkout_listen.substr(colon + 1));
    } catch (const std::exception&) {
    }
  }
  if (port < 0 || port > 65535) return make_error("bad --k8s-checkout-listen '" + f.k8s_checkout_listen + "' (host:port)");
  auto checkouts = std::make_shared<executor::CheckoutServer>();
  auto bound = checkouts->start(f.k8s_checkout_listen.substr(0, colon), port);
  if (!bound) return bound.error();
  auto api = std::make_shared<kube::KubeClient>(*config, std::chrono::seconds(15));
  return std::unique_ptr<executor::TaskLauncher>(std::make_unique<executor::KubernetesLauncher>(api, checkouts, o));
}

}  // namespace cwf::cli
