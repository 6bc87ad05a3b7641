#pragma once

// Forge webhooks as hints: a verified push names a repository, and the
// watcher lists that remote now. The commit always comes from git, never from
// the payload, so a forged, replayed or reordered delivery cannot start a job.

#include <string>
#include <string_view>
#include <vector>

#include "util/result.hh"

namespace cwf::server {

// GitHub's X-Hub-Signature-256 ("sha256=<hex>"): the HMAC-SHA256 of BODY with
// SECRET, compared in constant time. Any other shape is invalid.
bool github_signature_valid(std::string_view secret, std::string_view body, std::string_view header);
// GitLab's X-Gitlab-Token: the secret itself, compared in constant time.
bool gitlab_token_valid(std::string_view secret, std::string_view header);
std::string hmac_sha256_hex(std::string_view key, std::string_view data);

struct PushHint {
  std::string repository;         // owner/name (GitHub), group/sub/name (GitLab)
  std::vector<std::string> urls;  // the clone URLs the payload gives
  std::string ref, after;         // for the log only
};

enum class Forge { github, gitlab };

// The repository a push payload names; an error for malformed JSON or a
// payload without one.
Result<PushHint> parse_push(Forge forge, std::string_view body);

// A commit whose statuses changed: GitHub's `status` and `check_run` events,
// GitLab's `Pipeline Hook`. Only a hint to read the statuses again from the
// API: what the payload says of the state is never believed.
struct StatusHint {
  std::string repository, sha;
};
bool is_status_event(Forge forge, std::string_view event);
Result<StatusHint> parse_status_event(Forge forge, std::string_view event, std::string_view body);

}  // namespace cwf::server
