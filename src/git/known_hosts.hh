#pragma once

// SSH host keys checked against a known_hosts file (OpenSSH's format: plain,
// [host]:port, wildcard, negated and hashed |1|salt|hash names; @revoked
// lines). libgit2 hands the server's key to remote.cc's certificate check,
// which asks this; the file is read at each connection, so an added line
// applies at the next poll.

#include <string>
#include <string_view>

namespace cwf::git {

enum class HostKeyVerdict { known, unknown, changed, revoked, unreadable };

struct HostKeyCheck {
  HostKeyVerdict verdict = HostKeyVerdict::unknown;
  std::string message;  // for every verdict but known: what and where, for a person to act on
};

// KEY: the server's public key blob (the SSH wire format, what a known_hosts
// line holds in base64).
HostKeyCheck check_host_key(const std::string& known_hosts_file, std::string_view host, int port,
                            std::string_view key);

// "ssh-ed25519", "ecdsa-sha2-nistp256", "ssh-rsa", ...: the type a key blob names.
std::string host_key_type(std::string_view key);
// "SHA256:..." as ssh-keygen -l prints it.
std::string host_key_fingerprint(std::string_view key);

}  // namespace cwf::git
