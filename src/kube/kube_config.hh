#pragma once

// Where a Kubernetes API server is and how to authenticate to it: from a
// pod's service account (in-cluster), or from a kubeconfig file as kubectl
// reads one (its current context, or a named one).

#include <filesystem>
#include <map>
#include <string>

#include "util/result.hh"

namespace cwf::kube {

struct KubeConfig {
  std::string server;     // scheme://host[:port], no path
  std::string ca_pem;     // the server's CA (PEM); empty: the system's store
  bool insecure = false;  // insecure-skip-tls-verify
  std::string token;      // a bearer token, or:
  std::filesystem::path token_file;  // re-read now and then: bound service account tokens rotate
  std::string client_cert_pem, client_key_pem;
  std::string namespace_;  // the context's, or the service account's; may be empty
  std::string source;      // for messages: "in-cluster" or "kubeconfig PATH (context C)"
};

inline const char* kServiceAccountDir = "/var/run/secrets/kubernetes.io/serviceaccount";

// In a pod: KUBERNETES_SERVICE_HOST and _PORT from ENV, the token, CA and
// namespace from DIR.
Result<KubeConfig> in_cluster_config(const std::map<std::string, std::string>& env,
                                     const std::filesystem::path& dir = kServiceAccountDir);

// PATH's CONTEXT (empty: its current-context). Relative file names in it are
// relative to the file, as kubectl has them.
Result<KubeConfig> load_kubeconfig(const std::filesystem::path& path, const std::string& context = "");

}  // namespace cwf::kube
