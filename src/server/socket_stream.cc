#include "server/socket_stream.hh"

#include <poll.h>
#include <sys/socket.h>

#include <algorithm>
#include <cerrno>
#include <cstring>

#include "server/edge.hh"

namespace cwf::server {
namespace {
thread_local SocketStream* t_current = nullptr;
}

SocketStream::SocketStream(Connection& c, std::size_t head_size, std::uint64_t body_limit, Clock::time_point deadline,
                           std::chrono::milliseconds io_timeout)
    : c_(c), head_size_(head_size), body_limit_(body_limit), deadline_(deadline), io_timeout_(io_timeout) {}

SocketStream* SocketStream::current() { return t_current; }
SocketStream::Scope::Scope(SocketStream& s) { t_current = &s; }
SocketStream::Scope::~Scope() { t_current = nullptr; }

int SocketStream::wait_ms() const {
  auto left = std::chrono::duration_cast<std::chrono::milliseconds>(deadline_ - Clock::now());
  return static_cast<int>(std::max<std::int64_t>(0, std::min(left, io_timeout_).count()));
}

bool SocketStream::is_readable() const {
  if (!c_.buffer.empty()) return true;
  pollfd p{c_.fd, POLLIN, 0};
  return ::poll(&p, 1, wait_ms()) > 0;
}

bool SocketStream::is_writable() const {
  if (failed_) return false;
  pollfd p{c_.fd, POLLOUT | POLLRDHUP, 0};
  int n = ::poll(&p, 1, wait_ms());
  if (n <= 0 || (p.revents & (POLLERR | POLLHUP | POLLRDHUP)) != 0) {
    failed_ = true;
    return false;
  }
  return true;
}

ssize_t SocketStream::read(char* ptr, std::size_t size) {
  if (failed_ || size == 0) return failed_ ? -1 : 0;
  // The head is already whole: cpp-httplib's line reader (a byte at a time)
  // costs no system call. Beyond it, the body counts against its limit.
  std::uint64_t body_read = consumed_ > head_size_ ? consumed_ - head_size_ : 0;
  if (consumed_ >= head_size_) {
    if (body_read >= body_limit_) {
      over_limit_ = true;
      failed_ = true;
      return -1;
    }
    size = static_cast<std::size_t>(std::min<std::uint64_t>(size, body_limit_ - body_read));
  } else {
    size = std::min(size, head_size_ - static_cast<std::size_t>(consumed_));
  }
  if (!c_.buffer.empty()) {
    std::size_t n = std::min(size, c_.buffer.size());
    std::memcpy(ptr, c_.buffer.data(), n);
    c_.buffer.erase(0, n);
    consumed_ += n;
    return static_cast<ssize_t>(n);
  }
  for (;;) {
    if (Clock::now() >= deadline_) break;
    pollfd p{c_.fd, POLLIN, 0};
    int ready = ::poll(&p, 1, wait_ms());
    if (ready < 0 && errno == EINTR) continue;
    if (ready <= 0) break;
    ssize_t n = ::recv(c_.fd, ptr, size, 0);
    if (n < 0 && (errno == EINTR || errno == EAGAIN)) continue;
    if (n <= 0) break;
    consumed_ += static_cast<std::uint64_t>(n);
    return n;
  }
  failed_ = true;
  return -1;
}

ssize_t SocketStream::write(const char* ptr, std::size_t size) {
  if (failed_) return -1;
  std::size_t done = 0;
  while (done < size) {
    if (Clock::now() >= deadline_) break;
    pollfd p{c_.fd, POLLOUT, 0};
    int ready = ::poll(&p, 1, wait_ms());
    if (ready < 0 && errno == EINTR) continue;
    if (ready <= 0 || (p.revents & (POLLERR | POLLHUP)) != 0) break;
    ssize_t n = ::send(c_.fd, ptr + done, size - done, MSG_NOSIGNAL);
    if (n < 0 && (errno == EINTR || errno == EAGAIN)) continue;
    if (n <= 0) break;
    done += static_cast<std::size_t>(n);
  }
  if (done < size) {
    failed_ = true;
    return -1;
  }
  return static_cast<ssize_t>(size);
}

void SocketStream::get_remote_ip_and_port(std::string& ip, int& port) const {
  ip = c_.peer_ip;
  port = c_.peer_port;
}

void SocketStream::get_local_ip_and_port(std::string& ip, int& port) const {
  ip = c_.local_ip;
  port = c_.local_port;
}

socket_t SocketStream::socket() const { return c_.fd; }

}  // namespace cwf::server
