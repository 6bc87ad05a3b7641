#pragma once

// Reading files out of a git repository's history (libgit2). Only this
// directory includes libgit2's headers.

#include <cstdint>
#include <memory>
#include <string>
#include <string_view>

#include "util/result.hh"

namespace cwf::git {

struct FileAtRevision {
  std::string commit;         // full SHA the revision resolved to
  bool exists = false;        // false when PATH is absent at that commit
  std::string content;        // at most max_bytes + 1 bytes
  std::uint64_t size = 0;     // the blob's real size
};

// "1.5.1": the libgit2 this binary runs with.
std::string library_version();

// CONTENT's id as a git blob, like `git hash-object`: a file's revision.
std::string blob_id(std::string_view content);

class Repository {
 public:
  // Opens the repository containing DIR (like `git -C DIR`).
  static Result<std::unique_ptr<Repository>> discover(const std::string& dir);
  ~Repository();

  Result<FileAtRevision> read_file(const std::string& revision, const std::string& path,
                                   std::uint64_t max_bytes) const;

 private:
  struct Impl;
  explicit Repository(std::unique_ptr<Impl> impl);
  std::unique_ptr<Impl> impl_;
};

}  // namespace cwf::git
