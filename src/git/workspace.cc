#include "git/workspace.hh"

#include <fstream>

#include "git/handles.hh"

namespace cwf::git {
namespace {

Result<RepoHandle> open_repo(const std::string& dir) {
  ensure_library();
  git_repository* raw = nullptr;
  if (git_repository_open_ext(&raw, dir.c_str(), 0, nullptr) != 0)
    return git_failure("cannot open a git repository at '" + dir + "'");
  return RepoHandle(raw);
}

}  // namespace

Result<ResolvedCommit> resolve_commit(const std::string& dir, const std::string& rev) {
  auto repo = open_repo(dir);
  if (!repo) return repo.error();
  git_object* raw = nullptr;
  if (git_revparse_single(&raw, repo->get(), rev.c_str()) != 0) return git_failure("unknown revision '" + rev + "'");
  ObjectHandle obj(raw);
  git_object* peeled = nullptr;
  if (git_object_peel(&peeled, obj.get(), GIT_OBJECT_COMMIT) != 0) return git_failure("'" + rev + "' is not a commit");
  ObjectHandle commit(peeled);
  const char* workdir = git_repository_workdir(repo->get());
  ResolvedCommit out{oid_string(git_object_id(commit.get())), "", workdir ? workdir : ""};

  git_reference* ref = nullptr;
  if (rev == "HEAD") {
    if (git_repository_head(&ref, repo->get()) == 0 && git_reference_is_branch(ref))
      out.branch = git_reference_shorthand(ref);
  } else if (git_branch_lookup(&ref, repo->get(), rev.c_str(), GIT_BRANCH_LOCAL) == 0) {
    out.branch = git_reference_shorthand(ref);
  }
  ReferenceHandle owned(ref);
  return out;
}

Result<std::string> checkout_workspace(const std::string& source, const std::string& sha,
                                       const std::filesystem::path& dest) {
  auto src = open_repo(source);
  if (!src) return src.error();
  std::filesystem::path objects = std::filesystem::path(git_repository_commondir(src->get())) / "objects";

  git_repository* raw = nullptr;
  if (git_repository_init(&raw, dest.c_str(), 0) != 0) return git_failure("cannot create the workspace " + dest.string());
  git_repository_free(raw);  // reopened below, once it can see the source's objects
  {
    std::ofstream alt(dest / ".git/objects/info/alternates");
    alt << std::filesystem::absolute(objects).string() << "\n";
    if (!alt) return make_error("cannot write " + (dest / ".git/objects/info/alternates").string());
  }
  auto repo = open_repo(dest.string());
  if (!repo) return repo.error();
  git_oid oid;
  if (git_oid_fromstr(&oid, sha.c_str()) != 0) return git_failure("bad commit id '" + sha + "'");
  if (git_repository_set_head_detached(repo->get(), &oid) != 0) return git_failure("cannot check out " + sha);
  git_checkout_options opts;  // the _init function, as in remote.cc
  git_checkout_options_init(&opts, GIT_CHECKOUT_OPTIONS_VERSION);
  opts.checkout_strategy = GIT_CHECKOUT_FORCE;
  if (git_checkout_head(repo->get(), &opts) != 0) return git_failure("cannot check out " + sha);
  return sha;
}

}  // namespace cwf::git
