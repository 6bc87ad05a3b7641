#include "util/atomic_file.hh"

#include <fcntl.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>

namespace cwf {

Result<bool> write_file_atomically(const std::filesystem::path& path, std::string_view content) {
  std::filesystem::path tmp = path;
  tmp += ".tmp";
  auto failed = [&](const char* step) {
    Error e{path.string() + ": cannot " + step + ": " + std::strerror(errno)};
    ::unlink(tmp.c_str());
    return e;
  };
  int fd = ::open(tmp.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
  if (fd < 0) return failed("create the temporary file");
  std::size_t done = 0;
  while (done < content.size()) {
    ssize_t n = ::write(fd, content.data() + done, content.size() - done);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) {
      if (n == 0) errno = ENOSPC;
      int saved = errno;
      ::close(fd);
      errno = saved;
      return failed("write");
    }
    done += static_cast<std::size_t>(n);
  }
  // A full disk may only show at fsync or close (delayed allocation, NFS).
  if (::fsync(fd) != 0) {
    int saved = errno;
    ::close(fd);
    errno = saved;
    return failed("flush");
  }
  if (::close(fd) != 0) return failed("close");
  if (::rename(tmp.c_str(), path.c_str()) != 0) return failed("rename");
  return true;
}

}  // namespace cwf
