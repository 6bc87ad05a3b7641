#include "server/webhook.hh"

#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/hmac.h>

#include <optional>

#include <nlohmann/json.hpp>

namespace cwf::server {

std::string hmac_sha256_hex(std::string_view key, std::string_view data) {
  unsigned char mac[EVP_MAX_MD_SIZE];
  unsigned int len = 0;
  HMAC(EVP_sha256(), key.data(), static_cast<int>(key.size()), reinterpret_cast<const unsigned char*>(data.data()),
       data.size(), mac, &len);
  static const char* hex = "0123456789abcdef";
  std::string out;
  for (unsigned int i = 0; i < len; ++i) {
    out += hex[mac[i] >> 4];
    out += hex[mac[i] & 15];
  }
  return out;
}

bool github_signature_valid(std::string_view secret, std::string_view body, std::string_view header) {
  constexpr std::string_view prefix = "sha256=";
  if (secret.empty() || header.substr(0, prefix.size()) != prefix) return false;
  std::string_view given = header.substr(prefix.size());
  std::string want = hmac_sha256_hex(secret, body);
  if (given.size() != want.size()) return false;
  return CRYPTO_memcmp(given.data(), want.data(), want.size()) == 0;
}

bool gitlab_token_valid(std::string_view secret, std::string_view header) {
  if (secret.empty() || header.size() != secret.size()) return false;
  return CRYPTO_memcmp(header.data(), secret.data(), secret.size()) == 0;
}

Result<PushHint> parse_push(Forge forge, std::string_view body) {
  auto j = nlohmann::json::parse(body, nullptr, false);
  if (j.is_discarded() || !j.is_object()) return make_error("the body is not a JSON object");
  const char* holder = forge == Forge::github ? "repository" : "project";
  const char* name_key = forge == Forge::github ? "full_name" : "path_with_namespace";
  auto it = j.find(holder);
  if (it == j.end() || !it->is_object() || !it->contains(name_key) || !(*it)[name_key].is_string())
    return make_error(std::string("no ") + holder + "." + name_key + " in the payload");
  PushHint hint;
  hint.repository = (*it)[name_key].get<std::string>();
  const auto url_keys = forge == Forge::github ? std::vector<const char*>{"clone_url", "ssh_url", "git_url"}
                                               : std::vector<const char*>{"git_http_url", "git_ssh_url"};
  for (const char* k : url_keys)
    if (it->contains(k) && (*it)[k].is_string()) hint.urls.push_back((*it)[k].get<std::string>());
  if (j.contains("ref") && j["ref"].is_string()) hint.ref = j["ref"].get<std::string>();
  if (j.contains("after") && j["after"].is_string()) hint.after = j["after"].get<std::string>();
  return hint;
}

bool is_status_event(Forge forge, std::string_view event) {
  return forge == Forge::github ? event == "status" || event == "check_run" : event == "Pipeline Hook";
}

Result<StatusHint> parse_status_event(Forge forge, std::string_view event, std::string_view body) {
  auto j = nlohmann::json::parse(body, nullptr, false);
  if (j.is_discarded() || !j.is_object()) return make_error("the body is not a JSON object");
  // Where each event keeps the repository's name and the commit.
  using Path = std::vector<const char*>;
  Path repo_path = forge == Forge::gitlab ? Path{"project", "path_with_namespace"} : Path{"repository", "full_name"};
  Path sha_path = forge == Forge::gitlab ? Path{"object_attributes", "sha"}
                  : event == "check_run" ? Path{"check_run", "head_sha"}
                                         : Path{"sha"};
  auto find = [&](const Path& path) -> std::optional<std::string> {
    const nlohmann::json* at = &j;
    for (const char* k : path) {
      if (!at->is_object() || !at->contains(k)) return std::nullopt;
      at = &(*at)[k];
    }
    if (!at->is_string()) return std::nullopt;
    return at->get<std::string>();
  };
  auto dotted = [](const Path& path) {
    std::string out;
    for (const char* k : path) out += (out.empty() ? "" : ".") + std::string(k);
    return out;
  };
  auto repo = find(repo_path);
  auto sha = find(sha_path);
  if (!repo || repo->empty()) return make_error("no " + dotted(repo_path) + " in the payload");
  if (!sha || sha->size() != 40 || sha->find_first_not_of("0123456789abcdef") != std::string::npos)
    return make_error("no commit SHA at " + dotted(sha_path) + " in the payload");
  return StatusHint{*repo, *sha};
}

}  // namespace cwf::server
