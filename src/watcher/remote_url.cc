#include "watcher/remote_url.hh"

#include <cstdint>
#include <cstdio>

namespace cwf::watcher {
namespace {

std::string without_trailing_slash(std::string s) {
  while (!s.empty() && s.back() == '/') s.pop_back();
  return s;
}

bool under(const std::string& url, const std::string& base) {
  std::string b = without_trailing_slash(base);
  return !b.empty() && url.size() > b.size() && url.compare(0, b.size(), b) == 0 && url[b.size()] == '/';
}

bool is_https(const std::string& url) { return url.rfind("https://", 0) == 0 || url.rfind("http://", 0) == 0; }

}  // namespace

std::string remote_url(const config::Trigger& t, const Forges& f) {
  switch (t.integration) {
    case config::Integration::github: return without_trailing_slash(f.github_url) + "/" + t.repository + ".git";
    case config::Integration::gitlab: return without_trailing_slash(f.gitlab_url) + "/" + t.repository + ".git";
    case config::Integration::git: break;
  }
  return t.repository;
}

std::optional<std::string> local_path(const std::string& url) {
  if (url.rfind("file://", 0) == 0) return url.substr(7);
  if (!url.empty() && url[0] == '/') return url;
  return std::nullopt;
}

std::filesystem::path mirror_path(const std::filesystem::path& data_dir, const std::string& url) {
  std::uint64_t h = 1469598103934665603ull;  // FNV-1a: stable across builds, unlike std::hash
  for (unsigned char c : url) h = (h ^ c) * 1099511628211ull;
  std::string name;
  std::size_t scheme = url.find("://");
  for (char c : url.substr(scheme == std::string::npos ? 0 : scheme + 3)) {
    bool plain = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '.' || c == '-';
    name += plain ? c : '_';
  }
  if (name.size() > 80) name = name.substr(name.size() - 80);
  char hex[17];
  std::snprintf(hex, sizeof hex, "%016llx", static_cast<unsigned long long>(h));
  return data_dir / "mirrors" / (name + "-" + std::string(hex, 8) + ".git");
}

git::Credentials credentials_for(const std::string& url, const Forges& f) {
  git::Credentials c;
  c.ssh_key = f.ssh_key;
  c.ssh_known_hosts = f.ssh_known_hosts;
  if (is_https(url) && under(url, f.github_url)) {
    c.username = "x-access-token";
    c.token = f.github_token;
  } else if (is_https(url) && under(url, f.gitlab_url)) {
    c.username = "oauth2";
    c.token = f.gitlab_token;
  }
  return c;
}

std::optional<std::pair<std::string, std::string>> forge_repository(const std::string& url, const Forges& forges) {
  for (auto [name, base] : {std::pair<const char*, const std::string*>{"github", &forges.github_url},
                            {"gitlab", &forges.gitlab_url}}) {
    std::string prefix = *base + "/";
    if (url.size() <= prefix.size() || url.compare(0, prefix.size(), prefix) != 0) continue;
    std::string repo = url.substr(prefix.size());
    if (repo.size() > 4 && repo.compare(repo.size() - 4, 4, ".git") == 0) repo.resize(repo.size() - 4);
    return std::pair{std::string(name), repo};
  }
  return std::nullopt;
}

}  // namespace cwf::watcher
