#include "git/known_hosts.hh"

#include "config/source.hh"
#include "util/base64.hh"

#include <openssl/evp.h>
#include <openssl/hmac.h>
#include <openssl/sha.h>

#include <algorithm>
#include <cstdint>
#include <cstring>
#include <filesystem>
#include <optional>
#include <sstream>
#include <vector>

namespace cwf::git {
namespace {

// OpenSSH's pattern: * and ? wildcards, nothing else.
bool glob(std::string_view pattern, std::string_view name) {
  if (pattern.empty()) return name.empty();
  if (pattern[0] == '*') {
    for (std::size_t i = 0; i <= name.size(); ++i)
      if (glob(pattern.substr(1), name.substr(i))) return true;
    return false;
  }
  if (name.empty()) return false;
  if (pattern[0] != '?' && std::tolower(static_cast<unsigned char>(pattern[0])) != std::tolower(static_cast<unsigned char>(name[0])))
    return false;
  return glob(pattern.substr(1), name.substr(1));
}

// |1|base64(salt)|base64(HMAC-SHA1(salt, name))
bool hashed_match(std::string_view entry, const std::string& name) {
  std::string_view rest = entry.substr(3);
  std::size_t bar = rest.find('|');
  if (bar == std::string_view::npos) return false;
  auto salt = base64_decode(rest.substr(0, bar));
  auto hash = base64_decode(rest.substr(bar + 1));
  if (!salt || !hash || hash->size() != SHA_DIGEST_LENGTH) return false;
  unsigned char mac[EVP_MAX_MD_SIZE];
  unsigned int len = 0;
  HMAC(EVP_sha1(), salt->data(), static_cast<int>(salt->size()), reinterpret_cast<const unsigned char*>(name.data()),
       name.size(), mac, &len);
  return len == hash->size() && std::memcmp(mac, hash->data(), len) == 0;
}

// Whether the comma-separated PATTERNS name NAME: a negated pattern that
// matches wins over every other.
bool hosts_match(std::string_view patterns, const std::string& name) {
  if (patterns.starts_with("|1|")) return hashed_match(patterns, name);
  bool matched = false;
  while (!patterns.empty()) {
    std::size_t comma = patterns.find(',');
    std::string_view p = patterns.substr(0, comma);
    patterns = comma == std::string_view::npos ? std::string_view() : patterns.substr(comma + 1);
    bool negated = p.starts_with('!');
    if (negated) p.remove_prefix(1);
    if (glob(p, name)) {
      if (negated) return false;
      matched = true;
    }
  }
  return matched;
}

std::vector<std::string_view> fields(std::string_view line) {
  std::vector<std::string_view> out;
  while (!line.empty()) {
    std::size_t start = line.find_first_not_of(" \t");
    if (start == std::string_view::npos) break;
    line.remove_prefix(start);
    std::size_t end = line.find_first_of(" \t");
    out.push_back(line.substr(0, end));
    line = end == std::string_view::npos ? std::string_view() : line.substr(end);
  }
  return out;
}

}  // namespace

std::string host_key_type(std::string_view key) {
  if (key.size() < 4) return "unknown";
  std::uint32_t n = (static_cast<std::uint32_t>(static_cast<unsigned char>(key[0])) << 24) |
                    (static_cast<std::uint32_t>(static_cast<unsigned char>(key[1])) << 16) |
                    (static_cast<std::uint32_t>(static_cast<unsigned char>(key[2])) << 8) |
                    static_cast<std::uint32_t>(static_cast<unsigned char>(key[3]));
  if (n == 0 || n > 64 || key.size() < 4 + n) return "unknown";
  return std::string(key.substr(4, n));
}

std::string host_key_fingerprint(std::string_view key) {
  unsigned char digest[SHA256_DIGEST_LENGTH];
  SHA256(reinterpret_cast<const unsigned char*>(key.data()), key.size(), digest);
  std::string b64 = base64_encode(std::string_view(reinterpret_cast<const char*>(digest), sizeof digest));
  while (!b64.empty() && b64.back() == '=') b64.pop_back();
  return "SHA256:" + b64;
}

HostKeyCheck check_host_key(const std::string& file, std::string_view host, int port, std::string_view key) {
  // As OpenSSH writes it: the bare host on port 22, [host]:port on any other.
  std::string name = port == 22 || port <= 0 ? std::string(host) : "[" + std::string(host) + "]:" + std::to_string(port);
  std::string where = std::string(host) + " (port " + std::to_string(port > 0 ? port : 22) + ")";
  std::string offered = host_key_type(key) + " key " + host_key_fingerprint(key);
  // A regular file only (a FIFO would hang the poll); one not made yet knows
  // no host, and the message says where to make it.
  std::error_code ec;
  bool missing = !std::filesystem::exists(file, ec) && !ec;
  std::string text;
  if (!missing) {
    auto read = config::read_source(file);
    if (!read) return {HostKeyVerdict::unreadable, "cannot read the known hosts file " + read.error().message};
    text = std::move(read->text);
  }
  std::istringstream in(text);
  bool listed = false;
  for (std::string line; std::getline(in, line);) {
    if (!line.empty() && line.back() == '\r') line.pop_back();
    auto f = fields(line);
    if (f.empty() || f[0].starts_with('#')) continue;
    bool revoked = false;
    if (f[0].starts_with('@')) {
      if (f[0] != "@revoked") continue;  // @cert-authority: host certificates are not supported
      revoked = true;
      f.erase(f.begin());
    }
    if (f.size() < 3 || !hosts_match(f[0], name)) continue;
    auto blob = base64_decode(f[2]);
    bool same = blob && *blob == key;
    if (revoked && same)
      return {HostKeyVerdict::revoked, where + " offered a revoked " + offered + " (@revoked in " + file + ")"};
    if (revoked) continue;
    if (same) return {HostKeyVerdict::known, ""};
    listed = true;
  }
  if (listed)
    return {HostKeyVerdict::changed,
            "the host key of " + where + " has CHANGED: it offered the " + offered + ", and " + file +
                " lists another key for " + name +
                ". Someone may be intercepting the connection; if the change is expected, replace that line in " + file};
  std::string scan = "ssh-keyscan" + std::string(port > 0 && port != 22 ? " -p " + std::to_string(port) : "") + " " +
                     std::string(host);
  return {HostKeyVerdict::unknown, where + " is not a known host: it offered the " + offered +
                                       "; if that is the server's key (check the fingerprint with its owner), add " +
                                       "its line to " + file + " (`" + scan + "` prints it)"};
}

}  // namespace cwf::git
