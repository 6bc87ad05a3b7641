#include "git/remote.hh"

#include <set>

#include "config/names.hh"
#include "git/handles.hh"
#include "git/known_hosts.hh"
#include "util/utf8.hh"

namespace cwf::git {
namespace {

struct CredentialState {
  const Credentials* creds;
  int ssh_port = 22;  // libgit2 gives the certificate check the host, not the port
  bool offered = false;
};

// ssh://[user@]host[:port]/path: its port; user@host:path (scp-like): 22.
int ssh_port(const std::string& url) {
  if (url.rfind("ssh://", 0) != 0) return 22;
  std::size_t start = url.find('@', 6) < url.find('/', 6) ? url.find('@', 6) + 1 : 6;
  std::size_t end = url.find('/', start);
  std::string authority = url.substr(start, end == std::string::npos ? std::string::npos : end - start);
  std::size_t colon = authority.rfind(':');
  if (colon == std::string::npos || authority.find(']', colon) != std::string::npos) return 22;
  int port = 0;
  for (char c : authority.substr(colon + 1)) {
    if (c < '0' || c > '9' || port > 65535) return 22;
    port = port * 10 + (c - '0');
  }
  return port > 0 && port <= 65535 ? port : 22;
}

// An SSH server's key, checked against the known hosts file, with a refusal
// that says which host, which key and where to add it. TLS stays libgit2's.
int check_certificate(git_cert* cert, int valid, const char* host, void* payload) {
  if (cert->cert_type != GIT_CERT_HOSTKEY_LIBSSH2) return GIT_PASSTHROUGH;
  const auto* state = static_cast<const CredentialState*>(payload);
  const std::string& configured = state->creds->ssh_known_hosts;
  // libgit2 checked ~/.ssh/known_hosts itself; a key it knows there stays known.
  if (configured.empty() && valid) return 0;
  const auto* key = reinterpret_cast<const git_cert_hostkey*>(cert);
  if (!(key->type & GIT_CERT_SSH_RAW) || !key->hostkey) {
    git_error_set_str(GIT_ERROR_SSH, "the ssh server's host key could not be read");
    return GIT_ECERTIFICATE;
  }
  const char* home = std::getenv("HOME");
  std::string file = !configured.empty() ? configured : std::string(home ? home : "") + "/.ssh/known_hosts";
  auto check = check_host_key(file, host ? host : "", state->ssh_port, std::string_view(key->hostkey, key->hostkey_len));
  if (check.verdict == HostKeyVerdict::known) return 0;
  std::string message = check.message;
  if (configured.empty()) message += " (or give --ssh-known-hosts FILE)";
  git_error_set_str(GIT_ERROR_SSH, message.c_str());
  return GIT_ECERTIFICATE;
}

// Offers the configured credential once: a second call means it was refused,
// and asking again would loop.
int acquire_credential(git_credential** out, const char* /*url*/, const char* user_from_url, unsigned int allowed,
                       void* payload) {
  auto* state = static_cast<CredentialState*>(payload);
  const Credentials& c = *state->creds;
  if (state->offered) {
    git_error_set_str(GIT_ERROR_NET, "the remote refused the credentials");
    return GIT_EUSER;
  }
  state->offered = true;
  const char* user = user_from_url && *user_from_url ? user_from_url : nullptr;
  if ((allowed & GIT_CREDENTIAL_USERPASS_PLAINTEXT) && !c.token.empty())
    return git_credential_userpass_plaintext_new(out, user ? user : c.username.c_str(), c.token.c_str());
  if ((allowed & GIT_CREDENTIAL_SSH_KEY) && !c.ssh_key.empty()) {
    std::string pub = c.ssh_key + ".pub";
    std::error_code ec;
    bool has_pub = std::filesystem::exists(pub, ec);
    return git_credential_ssh_key_new(out, user ? user : "git", has_pub ? pub.c_str() : nullptr, c.ssh_key.c_str(),
                                      nullptr);
  }
  if (allowed & GIT_CREDENTIAL_USERNAME) return git_credential_username_new(out, user ? user : "git");
  git_error_set_str(GIT_ERROR_NET, "the remote wants credentials and none are configured for it");
  return GIT_EUSER;
}

git_remote_callbacks callbacks(CredentialState& state) {
  // The _init functions, not the *_INIT macros: the macros leave fields to
  // zero-initialisation, which clang's -Wmissing-field-initializers reports.
  git_remote_callbacks cb;
  git_remote_init_callbacks(&cb, GIT_REMOTE_CALLBACKS_VERSION);
  cb.credentials = acquire_credential;
  cb.certificate_check = check_certificate;
  cb.payload = &state;
  return cb;
}

// libgit2's message, with the URL's credentials and the token taken out.
Error remote_failure(const std::string& what, const std::string& url, const Credentials& creds) {
  std::string message = git_failure(what + " " + config::redact_url(url)).message;
  if (creds.token.size() >= 3) {
    for (std::size_t at; (at = message.find(creds.token)) != std::string::npos;)
      message.replace(at, creds.token.size(), "***");
  }
  return make_error(message);
}

Result<TreeHandle> tree_of(git_repository* repo, const std::string& sha, CommitHandle* commit_out) {
  git_oid oid;
  git_commit* raw = nullptr;
  if (git_oid_fromstr(&oid, sha.c_str()) != 0 || git_commit_lookup(&raw, repo, &oid) != 0)
    return git_failure("no commit " + sha);
  CommitHandle commit(raw);
  git_tree* tree = nullptr;
  if (git_commit_tree(&tree, commit.get()) != 0) return git_failure("cannot read the tree of " + sha);
  if (commit_out) *commit_out = std::move(commit);
  return TreeHandle(tree);
}

}  // namespace

Result<RemoteRefs> list_refs(const std::string& url, const Credentials& creds) {
  ensure_library();
  git_remote* raw = nullptr;
  if (git_remote_create_detached(&raw, url.c_str()) != 0) return remote_failure("bad remote", url, creds);
  RemoteHandle remote(raw);
  CredentialState state{&creds, ssh_port(url)};
  git_remote_callbacks cb = callbacks(state);
  if (git_remote_connect(remote.get(), GIT_DIRECTION_FETCH, &cb, nullptr, nullptr) != 0)
    return remote_failure("cannot list the branches of", url, creds);
  const git_remote_head** heads = nullptr;
  size_t count = 0;
  if (git_remote_ls(&heads, &count, remote.get()) != 0) return remote_failure("cannot list the branches of", url, creds);
  RemoteRefs out;
  constexpr std::string_view prefix = "refs/heads/";
  for (size_t i = 0; i < count; ++i) {
    std::string_view name = heads[i]->name;
    if (name.substr(0, prefix.size()) == prefix) {
      out.branches.push_back({std::string(name.substr(prefix.size())), oid_string(&heads[i]->oid)});
      continue;
    }
    for (std::string_view pulls : {std::string_view("refs/pull/"), std::string_view("refs/merge-requests/")}) {
      if (name.substr(0, pulls.size()) != pulls) continue;
      std::string_view rest = name.substr(pulls.size());
      std::size_t slash = rest.find('/');
      if (slash == std::string_view::npos || rest.substr(slash) != "/head" || slash == 0 || slash > 9) continue;
      int number = 0;
      bool digits = rest[0] != '0';
      for (char c : rest.substr(0, slash)) {
        digits = digits && c >= '0' && c <= '9';
        number = number * 10 + (c - '0');
      }
      if (digits) out.pull_requests[number] = oid_string(&heads[i]->oid);
    }
  }
  git_remote_disconnect(remote.get());
  return out;
}

Result<std::vector<BranchHead>> list_branches(const std::string& url, const Credentials& creds) {
  auto refs = list_refs(url, creds);
  if (!refs) return refs.error();
  return std::move(refs->branches);
}

std::string pull_request_ref(int number, bool gitlab) {
  return (gitlab ? "refs/merge-requests/" : "refs/pull/") + std::to_string(number) + "/head";
}

std::optional<Error> fetch_refs(const std::filesystem::path& mirror, const std::string& url,
                                const std::vector<std::string>& refs, const Credentials& creds) {
  ensure_library();
  git_repository* raw = nullptr;
  if (git_repository_open_bare(&raw, mirror.c_str()) != 0 && git_repository_init(&raw, mirror.c_str(), 1) != 0)
    return git_failure("cannot create the mirror " + mirror.string());
  RepoHandle repo(raw);
  git_remote* remote_raw = nullptr;
  if (git_remote_create_anonymous(&remote_raw, repo.get(), url.c_str()) != 0)
    return remote_failure("bad remote", url, creds);
  RemoteHandle remote(remote_raw);
  std::vector<std::string> specs;
  for (const auto& r : refs) specs.push_back("+" + r + ":" + r);
  std::vector<char*> ptrs;
  for (auto& s : specs) ptrs.push_back(s.data());
  git_strarray refspecs{ptrs.data(), ptrs.size()};
  CredentialState state{&creds, ssh_port(url)};
  git_fetch_options opts;
  git_fetch_options_init(&opts, GIT_FETCH_OPTIONS_VERSION);
  opts.callbacks = callbacks(state);
  opts.download_tags = GIT_REMOTE_DOWNLOAD_TAGS_NONE;
  opts.update_fetchhead = 0;
  if (git_remote_fetch(remote.get(), &refspecs, &opts, nullptr) != 0)
    return remote_failure("cannot fetch from", url, creds);
  return std::nullopt;
}

std::optional<Error> fetch_branches(const std::filesystem::path& mirror, const std::string& url,
                                    const std::vector<std::string>& branches, const Credentials& creds) {
  std::vector<std::string> refs;
  for (const auto& b : branches) refs.push_back("refs/heads/" + b);
  return fetch_refs(mirror, url, refs, creds);
}

namespace {

// TEXT's first line, invalid bytes and control characters replaced or
// dropped, at most MAX bytes on a character boundary.
std::string one_line(std::string_view text, std::size_t max) {
  std::string out;
  for (std::size_t i = 0; i < text.size() && out.size() < max;) {
    unsigned char c = static_cast<unsigned char>(text[i]);
    if (c == '\n' || c == '\r') break;
    std::size_t n = utf8_sequence_length(text.substr(i));
    if (n == 0) {
      out += "\xEF\xBF\xBD";  // U+FFFD
      ++i;
      continue;
    }
    if (n == 1 && (c < 0x20 || c == 0x7F)) c = ' ';
    if (out.size() + n > max) break;
    if (n == 1) out += static_cast<char>(c);
    else out.append(text.substr(i, n));
    i += n;
  }
  while (!out.empty() && out.back() == ' ') out.pop_back();
  return out;
}

// The repository at exactly DIR (a mirror, or a local remote in place).
Result<RepoHandle> open_at(const std::string& dir) {
  ensure_library();
  git_repository* raw = nullptr;
  if (git_repository_open_ext(&raw, dir.c_str(), GIT_REPOSITORY_OPEN_NO_SEARCH, nullptr) != 0)
    return git_failure("cannot open " + dir);
  return RepoHandle(raw);
}

}  // namespace

Result<CommitSummary> commit_summary(const std::string& repo_dir, const std::string& sha) {
  auto repo = open_at(repo_dir);
  if (!repo) return repo.error();
  CommitHandle commit;
  if (auto tree = tree_of(repo->get(), sha, &commit); !tree) return tree.error();
  CommitSummary out;
  const char* message = git_commit_message(commit.get());
  std::string_view m = message ? message : "";
  while (!m.empty() && (m.front() == '\n' || m.front() == ' ')) m.remove_prefix(1);
  out.title = one_line(m, 200);
  if (const git_signature* a = git_commit_author(commit.get()); a && a->name) out.author = one_line(a->name, 100);
  return out;
}

bool has_commit(const std::string& repo_dir, const std::string& sha) {
  auto repo = open_at(repo_dir);
  CommitHandle commit;
  return repo && sha.size() == GIT_OID_HEXSZ && tree_of(repo->get(), sha, &commit).ok();
}

Result<std::vector<std::string>> changed_files(const std::string& repo_dir, const std::string& old_sha,
                                               const std::string& new_sha) {
  auto opened = open_at(repo_dir);
  if (!opened) return opened.error();
  RepoHandle& repo = *opened;
  CommitHandle commit;
  auto new_tree = tree_of(repo.get(), new_sha, &commit);
  if (!new_tree) return new_tree.error();
  TreeHandle old_tree;
  if (!old_sha.empty()) {
    if (auto t = tree_of(repo.get(), old_sha, nullptr)) old_tree = std::move(*t);
  }
  if (!old_tree && git_commit_parentcount(commit.get()) > 0) {
    if (auto t = tree_of(repo.get(), oid_string(git_commit_parent_id(commit.get(), 0)), nullptr))
      old_tree = std::move(*t);
  }
  git_diff* diff_raw = nullptr;
  if (git_diff_tree_to_tree(&diff_raw, repo.get(), old_tree.get(), new_tree->get(), nullptr) != 0)
    return git_failure("cannot compare " + old_sha + " and " + new_sha);
  DiffHandle diff(diff_raw);
  std::set<std::string> paths;
  for (size_t i = 0, n = git_diff_num_deltas(diff.get()); i < n; ++i) {
    const git_diff_delta* d = git_diff_get_delta(diff.get(), i);
    if (d->old_file.path) paths.insert(d->old_file.path);
    if (d->new_file.path) paths.insert(d->new_file.path);
  }
  return std::vector<std::string>(paths.begin(), paths.end());
}

}  // namespace cwf::git
