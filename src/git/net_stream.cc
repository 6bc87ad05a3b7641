// libgit2 1.5 has no network timeouts: a remote that accepts a connection and
// never answers would hold a poller thread forever. This replaces libgit2's
// plain TCP stream (under git://, http://, https:// and ssh://) with one whose
// connect, read and write give up after a timeout, or at once on shutdown.
#include "git/remote.hh"

#include <git2/sys/stream.h>
#include <netdb.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <atomic>
#include <cerrno>
#include <cstdlib>
#include <cstring>
#include <string>

#include "git/handles.hh"

namespace cwf::git {
namespace {

std::atomic<long long> g_timeout_ms{30000};
const std::atomic<bool>* g_abort = nullptr;

// The first four members mirror libgit2's git_socket_stream: its ssh
// transport hands `s` straight to libssh2.
struct TimeoutStream {
  git_stream parent;
  char* host;
  char* port;
  int s;
};

TimeoutStream* self(git_stream* s) { return reinterpret_cast<TimeoutStream*>(s); }

int fail(const std::string& what) {
  git_error_set_str(GIT_ERROR_NET, what.c_str());
  return -1;
}

// Waits for EVENTS on FD until the timeout, in slices so a shutdown is seen.
int wait_for(TimeoutStream* st, short events, const char* doing) {
  const long long timeout = g_timeout_ms.load();
  long long waited = 0;
  while (true) {
    if (g_abort && g_abort->load()) return fail(std::string("stopped while ") + doing + " " + st->host);
    pollfd p{st->s, events, 0};
    int slice = static_cast<int>(std::min<long long>(250, timeout - waited));
    int n = ::poll(&p, 1, slice);
    if (n > 0) return 0;
    if (n < 0 && errno != EINTR) return fail(std::string("poll: ") + std::strerror(errno));
    waited += slice;
    if (waited >= timeout)
      return fail(std::string("timed out after ") + std::to_string(timeout / 1000) + "s " + doing + " " + st->host +
                  ":" + st->port);
  }
}

int stream_connect(git_stream* stream) {
  TimeoutStream* st = self(stream);
  addrinfo hints{};
  hints.ai_family = AF_UNSPEC;
  hints.ai_socktype = SOCK_STREAM;
  addrinfo* found = nullptr;
  if (int rc = ::getaddrinfo(st->host, st->port, &hints, &found); rc != 0)
    return fail(std::string("cannot resolve ") + st->host + ": " + ::gai_strerror(rc));
  std::string last = "no address";
  for (addrinfo* a = found; a; a = a->ai_next) {
    int fd = ::socket(a->ai_family, a->ai_socktype | SOCK_CLOEXEC | SOCK_NONBLOCK, a->ai_protocol);
    if (fd < 0) continue;
    st->s = fd;
    if (::connect(fd, a->ai_addr, a->ai_addrlen) == 0 ||
        (errno == EINPROGRESS && wait_for(st, POLLOUT, "connecting to") == 0)) {
      int err = 0;
      socklen_t len = sizeof err;
      ::getsockopt(fd, SOL_SOCKET, SO_ERROR, &err, &len);
      if (err == 0) {
        ::freeaddrinfo(found);
        return 0;
      }
      last = std::strerror(err);
    } else {
      const git_error* e = git_error_last();
      last = e && e->message ? e->message : std::strerror(errno);
    }
    ::close(fd);
    st->s = -1;
  }
  ::freeaddrinfo(found);
  return fail(std::string("cannot connect to ") + st->host + ":" + st->port + ": " + last);
}

ssize_t stream_read(git_stream* stream, void* data, size_t len) {
  TimeoutStream* st = self(stream);
  while (true) {
    ssize_t n = ::recv(st->s, data, len, 0);
    if (n >= 0) return n;
    if (errno == EINTR) continue;
    if (errno != EAGAIN && errno != EWOULDBLOCK) return fail(std::string("read: ") + std::strerror(errno));
    if (wait_for(st, POLLIN, "waiting for") < 0) return -1;
  }
}

ssize_t stream_write(git_stream* stream, const char* data, size_t len, int /*flags*/) {
  TimeoutStream* st = self(stream);
  size_t done = 0;
  while (done < len) {
    ssize_t n = ::send(st->s, data + done, len - done, MSG_NOSIGNAL);
    if (n >= 0) {
      done += static_cast<size_t>(n);
      continue;
    }
    if (errno == EINTR) continue;
    if (errno != EAGAIN && errno != EWOULDBLOCK) return fail(std::string("write: ") + std::strerror(errno));
    if (wait_for(st, POLLOUT, "sending to") < 0) return -1;
  }
  return static_cast<ssize_t>(len);
}

int stream_close(git_stream* stream) {
  TimeoutStream* st = self(stream);
  if (st->s >= 0) ::close(st->s);
  st->s = -1;
  return 0;
}

void stream_free(git_stream* stream) {
  TimeoutStream* st = self(stream);
  std::free(st->host);
  std::free(st->port);
  delete st;
}

int stream_new(git_stream** out, const char* host, const char* port) {
  auto* st = new TimeoutStream{};
  st->parent.version = GIT_STREAM_VERSION;
  st->parent.connect = stream_connect;
  st->parent.read = stream_read;
  st->parent.write = stream_write;
  st->parent.close = stream_close;
  st->parent.free = stream_free;
  st->host = ::strdup(host);
  st->port = ::strdup(port);
  st->s = -1;
  *out = &st->parent;
  return 0;
}

}  // namespace

void install_network_timeouts(std::chrono::milliseconds timeout, const std::atomic<bool>* abort) {
  ensure_library();
  g_timeout_ms = std::max<long long>(1, timeout.count());
  g_abort = abort;
  static const bool registered = [] {
    git_stream_registration reg{GIT_STREAM_VERSION, stream_new, nullptr};
    return git_stream_register(GIT_STREAM_STANDARD, &reg) == 0;
  }();
  (void)registered;
}

}  // namespace cwf::git
