#include "kube/kube_config.hh"

#include <yaml-cpp/yaml.h>

#include <fstream>
#include <sstream>

#include "util/base64.hh"

namespace cwf::kube {
namespace {

Result<std::string> read_text(const std::filesystem::path& p) {
  std::ifstream in(p, std::ios::binary);
  if (!in) return make_error("cannot read " + p.string());
  std::ostringstream s;
  s << in.rdbuf();
  return s.str();
}

std::string trimmed(std::string s) {
  while (!s.empty() && (s.back() == '\n' || s.back() == '\r' || s.back() == ' ')) s.pop_back();
  return s;
}

// The entry named NAME of LIST (clusters, users, contexts), its inner map.
YAML::Node named(const YAML::Node& list, const std::string& key, const std::string& name) {
  if (!list || !list.IsSequence()) return YAML::Node();
  for (const auto& item : list)
    if (item.IsMap() && item["name"] && item["name"].as<std::string>("") == name) return item[key];
  return YAML::Node();
}

std::string text(const YAML::Node& map, const char* key) {
  if (!map || !map.IsMap() || !map[key] || !map[key].IsScalar()) return "";
  return map[key].as<std::string>("");
}

// FIELD-data (base64) or FIELD (a file, relative to the kubeconfig's folder).
Result<std::string> data_or_file(const YAML::Node& map, const std::string& field, const std::filesystem::path& dir) {
  std::string data = text(map, (field + "-data").c_str());
  if (!data.empty()) {
    auto decoded = base64_decode(data);
    if (!decoded) return make_error(field + "-data is not base64");
    return *decoded;
  }
  std::string file = text(map, field.c_str());
  if (file.empty()) return std::string();
  std::filesystem::path p = file;
  return read_text(p.is_absolute() ? p : dir / p);
}

}  // namespace

Result<KubeConfig> in_cluster_config(const std::map<std::string, std::string>& env, const std::filesystem::path& dir) {
  auto host = env.find("KUBERNETES_SERVICE_HOST"), port = env.find("KUBERNETES_SERVICE_PORT");
  if (host == env.end() || host->second.empty() || port == env.end() || port->second.empty())
    return make_error("not in a Kubernetes pod: KUBERNETES_SERVICE_HOST and KUBERNETES_SERVICE_PORT are unset "
                      "(give --kubeconfig)");
  KubeConfig c;
  // An IPv6 service address needs brackets in a URL.
  std::string h = host->second.find(':') != std::string::npos ? "[" + host->second + "]" : host->second;
  c.server = "https://" + h + ":" + port->second;
  c.token_file = dir / "token";
  auto token = read_text(c.token_file);
  if (!token) return make_error("in-cluster: " + token.error().message + " (is a service account token mounted?)");
  auto ca = read_text(dir / "ca.crt");
  if (!ca) return make_error("in-cluster: " + ca.error().message);
  c.ca_pem = *ca;
  if (auto ns = read_text(dir / "namespace")) c.namespace_ = trimmed(*ns);
  c.source = "in-cluster";
  return c;
}

Result<KubeConfig> load_kubeconfig(const std::filesystem::path& path, const std::string& context) {
  YAML::Node root;
  try {
    root = YAML::LoadFile(path.string());
  } catch (const YAML::Exception& e) {
    return make_error(path.string() + ":" + std::to_string(e.mark.line + 1) + ":" + std::to_string(e.mark.column + 1) +
                      ": error: " + e.msg);
  }
  if (!root.IsMap()) return make_error(path.string() + ": error: not a kubeconfig (no map at the top)");
  std::string name = context.empty() ? text(root, "current-context") : context;
  if (name.empty()) return make_error(path.string() + ": error: no current-context (give --kube-context)");
  YAML::Node ctx = named(root["contexts"], "context", name);
  if (!ctx || !ctx.IsMap()) return make_error(path.string() + ": error: no context named '" + name + "'");
  std::string cluster_name = text(ctx, "cluster"), user_name = text(ctx, "user");
  YAML::Node cluster = named(root["clusters"], "cluster", cluster_name);
  if (!cluster || !cluster.IsMap())
    return make_error(path.string() + ": error: context '" + name + "' names cluster '" + cluster_name +
                      "', which is not in the file");
  std::filesystem::path dir = path.parent_path();
  KubeConfig c;
  c.source = "kubeconfig " + path.string() + " (context " + name + ")";
  c.server = text(cluster, "server");
  while (!c.server.empty() && c.server.back() == '/') c.server.pop_back();
  if (c.server.rfind("https://", 0) != 0 && c.server.rfind("http://", 0) != 0)
    return make_error(path.string() + ": error: cluster '" + cluster_name + "' has no http(s) server");
  if (c.server.find('/', c.server.find("//") + 2) != std::string::npos)
    return make_error(path.string() + ": error: cluster '" + cluster_name +
                      "': a server URL with a path is not supported");
  c.insecure = text(cluster, "insecure-skip-tls-verify") == "true";
  auto ca = data_or_file(cluster, "certificate-authority", dir);
  if (!ca) return make_error(path.string() + ": error: cluster '" + cluster_name + "': " + ca.error().message);
  c.ca_pem = *ca;
  c.namespace_ = text(ctx, "namespace");
  YAML::Node user = named(root["users"], "user", user_name);
  if (user && user.IsMap()) {
    if (user["exec"] || user["auth-provider"])
      return make_error(path.string() + ": error: user '" + user_name +
                        "': exec and auth-provider credentials are not supported; use a token or a client certificate");
    c.token = text(user, "token");
    std::string token_file = text(user, "tokenFile");
    if (!token_file.empty()) {
      std::filesystem::path p = token_file;
      c.token_file = p.is_absolute() ? p : dir / p;
      auto t = read_text(c.token_file);
      if (!t) return make_error(path.string() + ": error: user '" + user_name + "': " + t.error().message);
    }
    auto cert = data_or_file(user, "client-certificate", dir);
    auto key = data_or_file(user, "client-key", dir);
    if (!cert) return make_error(path.string() + ": error: user '" + user_name + "': " + cert.error().message);
    if (!key) return make_error(path.string() + ": error: user '" + user_name + "': " + key.error().message);
    c.client_cert_pem = *cert;
    c.client_key_pem = *key;
    if (c.client_cert_pem.empty() != c.client_key_pem.empty())
      return make_error(path.string() + ": error: user '" + user_name + "': a client certificate needs its key");
  }
  return c;
}

}  // namespace cwf::kube
