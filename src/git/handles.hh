#pragma once

// libgit2 handles owned by unique_ptrs, and the one way a libgit2 failure
// becomes an error. Included only by src/git/*.cc.

#include <git2.h>
#include <memory>
#include <string>

#include "util/result.hh"

namespace cwf::git {

template <typename T, void (*Free)(T*)>
struct Deleter {
  void operator()(T* p) const { Free(p); }
};
template <typename T, void (*Free)(T*)>
using Handle = std::unique_ptr<T, Deleter<T, Free>>;

using RepoHandle = Handle<git_repository, git_repository_free>;
using ObjectHandle = Handle<git_object, git_object_free>;
using TreeHandle = Handle<git_tree, git_tree_free>;
using EntryHandle = Handle<git_tree_entry, git_tree_entry_free>;
using CommitHandle = Handle<git_commit, git_commit_free>;
using BlobHandle = Handle<git_blob, git_blob_free>;
using ReferenceHandle = Handle<git_reference, git_reference_free>;
using RemoteHandle = Handle<git_remote, git_remote_free>;
using DiffHandle = Handle<git_diff, git_diff_free>;

inline Error git_failure(const std::string& what) {
  const git_error* e = git_error_last();
  return make_error(what + ": " + (e && e->message ? e->message : "unknown libgit2 error"));
}

inline void ensure_library() {
  struct Library {
    Library() { git_libgit2_init(); }
    ~Library() { git_libgit2_shutdown(); }
  };
  static Library lib;
}

inline std::string oid_string(const git_oid* oid) {
  char buf[GIT_OID_HEXSZ + 1];
  git_oid_tostr(buf, sizeof buf, oid);
  return buf;
}

}  // namespace cwf::git
