#pragma once

// Where a trigger's repository lives: `owner/name` on a forge becomes
// `<forge url>/<owner/name>.git`, so GitHub Enterprise, self-hosted GitLab and
// local stand-ins (file:///srv/forge) all work the same way.

#include <filesystem>
#include <optional>
#include <string>

#include "config/model.hh"
#include "git/remote.hh"

namespace cwf::watcher {

struct Forges {
  std::string github_url = "https://github.com";
  std::string gitlab_url = "https://gitlab.com";
  std::string github_token, gitlab_token;  // from GITHUB_TOKEN, GITLAB_TOKEN
  std::string ssh_key;                     // for ssh:// and user@host:path remotes
  std::string ssh_known_hosts;             // their host keys; empty: ~/.ssh/known_hosts
};

std::string remote_url(const config::Trigger& trigger, const Forges& forges);

// The directory of a remote on this machine (file:///x or /x), read in place
// instead of mirrored: libgit2 copies local clones far slower than git does.
std::optional<std::string> local_path(const std::string& url);

// The bare mirror of a remote that is not local, under the data dir: a
// readable name plus a hash of the whole URL, so two URLs never share one.
std::filesystem::path mirror_path(const std::filesystem::path& data_dir, const std::string& url);

// ("github", "acme/ops") when URL is a repository on one of FORGES.
std::optional<std::pair<std::string, std::string>> forge_repository(const std::string& url, const Forges& forges);

// The credentials the remote at URL gets: a forge's token only for its own URLs.
git::Credentials credentials_for(const std::string& url, const Forges& forges);

}  // namespace cwf::watcher
