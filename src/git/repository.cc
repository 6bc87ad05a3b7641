#include "git/repository.hh"

#include "git/handles.hh"

namespace cwf::git {
std::string library_version() {
  int major = 0, minor = 0, rev = 0;
  git_libgit2_version(&major, &minor, &rev);
  return std::to_string(major) + "." + std::to_string(minor) + "." + std::to_string(rev);
}

std::string blob_id(std::string_view content) {
  ensure_library();
  git_oid oid;
  git_odb_hash(&oid, content.data(), content.size(), GIT_OBJECT_BLOB);
  return oid_string(&oid);
}

struct Repository::Impl {
  RepoHandle repo;
};

Repository::Repository(std::unique_ptr<Impl> impl) : impl_(std::move(impl)) {}
Repository::~Repository() = default;

Result<std::unique_ptr<Repository>> Repository::discover(const std::string& dir) {
  ensure_library();
  git_repository* raw = nullptr;
  if (git_repository_open_ext(&raw, dir.c_str(), 0, nullptr) != 0)
    return git_failure("cannot open a git repository at '" + dir + "'");
  auto impl = std::make_unique<Impl>();
  impl->repo.reset(raw);
  return std::unique_ptr<Repository>(new Repository(std::move(impl)));
}

Result<FileAtRevision> Repository::read_file(const std::string& revision, const std::string& path,
                                             std::uint64_t max_bytes) const {
  git_object* raw_obj = nullptr;
  if (git_revparse_single(&raw_obj, impl_->repo.get(), revision.c_str()) != 0)
    return git_failure("unknown revision '" + revision + "'");
  ObjectHandle obj(raw_obj);
  git_object* raw_commit = nullptr;
  if (git_object_peel(&raw_commit, obj.get(), GIT_OBJECT_COMMIT) != 0)
    return git_failure("'" + revision + "' is not a commit");
  CommitHandle commit(reinterpret_cast<git_commit*>(raw_commit));
  FileAtRevision out;
  out.commit = oid_string(git_commit_id(commit.get()));

  git_tree* raw_tree = nullptr;
  if (git_commit_tree(&raw_tree, commit.get()) != 0) return git_failure("cannot read the tree of " + out.commit);
  TreeHandle tree(raw_tree);
  git_tree_entry* raw_entry = nullptr;
  int rc = git_tree_entry_bypath(&raw_entry, tree.get(), path.c_str());
  if (rc == GIT_ENOTFOUND) return out;
  if (rc != 0) return git_failure("cannot look up '" + path + "' at " + revision);
  EntryHandle entry(raw_entry);
  if (git_tree_entry_type(entry.get()) != GIT_OBJECT_BLOB)
    return make_error("'" + path + "' at " + revision + " is not a file");
  git_object* raw_blob = nullptr;
  if (git_tree_entry_to_object(&raw_blob, impl_->repo.get(), entry.get()) != 0)
    return git_failure("cannot read '" + path + "' at " + revision);
  BlobHandle blob(reinterpret_cast<git_blob*>(raw_blob));
  out.exists = true;
  out.size = static_cast<std::uint64_t>(git_blob_rawsize(blob.get()));
  std::uint64_t keep = std::min<std::uint64_t>(out.size, max_bytes + 1);
  out.content.assign(static_cast<const char*>(git_blob_rawcontent(blob.get())), keep);
  return out;
}

}  // namespace cwf::git
