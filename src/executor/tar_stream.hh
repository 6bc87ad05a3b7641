#pragma once

// A directory as a tar stream (ustar, GNU long names past 100 bytes), made
// as it is read: a job's workspace on its way to a pod, without a tar
// program or a temporary file. Regular files, directories and symbolic
// links; anything else (sockets, devices) is left out, and so is .git at the
// top (its alternates point at this host's mirror: a commit's files travel,
// not its history).

#include <cstdio>
#include <filesystem>
#include <memory>
#include <string>
#include <vector>

namespace cwf::executor {

class TarStream {
 public:
  explicit TarStream(std::filesystem::path root);
  ~TarStream();
  // Appends the next part of the stream (at most about MAX bytes) to OUT.
  // False at the end, after the two zero blocks, or on an error (error()).
  bool next(std::string& out, std::size_t max = 64 * 1024);
  const std::string& error() const { return error_; }

 private:
  void header(std::string& out, const std::string& name, char type, std::uint64_t size, unsigned mode,
              std::int64_t mtime, const std::string& link);
  bool open_next(std::string& out);

  std::filesystem::path root_;
  std::vector<std::filesystem::path> entries_;  // relative, in order
  std::size_t at_ = 0;
  std::FILE* file_ = nullptr;
  std::uint64_t left_ = 0, size_ = 0;  // of the file being read
  bool done_ = false;
  std::string error_;
};

}  // namespace cwf::executor
