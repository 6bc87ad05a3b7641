#include "server/edge.hh"

#include <netinet/in.h>
#include <netinet/tcp.h>
#include <sys/epoll.h>
#include <sys/eventfd.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cerrno>

#include "server/socket_stream.hh"
#include "util/log.hh"

namespace cwf::server {
namespace {

using Clock = std::chrono::steady_clock;

// A client may send its whole body before it reads the reply (cpp-httplib's
// does): dropping that much keeps the refusal from being lost to a reset.
constexpr std::uint64_t kLingerBytes = 32u << 20;
constexpr std::chrono::milliseconds kLingerTime{5000};

}  // namespace

Edge::Edge(EdgeOptions options, Classify classify, Serve serve)
    : options_(std::move(options)),
      classify_(std::move(classify)),
      serve_(std::move(serve)),
      health_pool_(options_.health_threads, 64, options_.thread_idle_exit),
      api_pool_(options_.http_threads, options_.max_queued, options_.thread_idle_exit),
      // Follow streams are counted before they are submitted: never queued.
      follow_pool_(options_.max_follow, 0, options_.thread_idle_exit) {}

Edge::~Edge() {
  stop();
  for (auto& l : listeners_)
    if (l.fd >= 0) ::close(l.fd);
  if (epoll_ >= 0) ::close(epoll_);
  if (wake_ >= 0) ::close(wake_);
}

void Edge::start() {
  epoll_ = ::epoll_create1(EPOLL_CLOEXEC);
  wake_ = ::eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC);
  epoll_event ev{};
  ev.events = EPOLLIN;
  ev.data.u64 = static_cast<std::uint64_t>(-1);
  ::epoll_ctl(epoll_, EPOLL_CTL_ADD, wake_, &ev);
  for (std::size_t i = 0; i < listeners_.size(); ++i) watch_listener(i);
  thread_ = std::thread([this] { loop(); });
}

void Edge::stop() {
  if (!thread_.joinable()) return;
  stopping_ = true;
  std::uint64_t one = 1;
  [[maybe_unused]] auto n = ::write(wake_, &one, sizeof one);
  thread_.join();
  // Requests in flight end (streams notice stopping()); what they give back is closed.
  health_pool_.stop();
  api_pool_.stop();
  follow_pool_.stop();
  std::lock_guard lock(mu_);
  for (auto& c : returned_) ::close(c->fd);
  returned_.clear();
}

EdgeStats Edge::stats() const {
  std::lock_guard lock(mu_);
  EdgeStats s = counters_;
  s.open = 0;
  for (std::size_t n : listener_open_) s.open += n;
  s.in_workers = in_workers_;
  s.follow_streams = follow_;
  return s;
}

WorkerPool& Edge::pool(Lane lane) {
  if (lane == Lane::health) return health_pool_;
  if (lane == Lane::follow) return follow_pool_;
  return api_pool_;
}

void Edge::watch(Connection& c) {
  epoll_event ev{};
  ev.events = EPOLLIN | EPOLLRDHUP;
  ev.data.u64 = static_cast<std::uint64_t>(c.fd);
  ::epoll_ctl(epoll_, EPOLL_CTL_ADD, c.fd, &ev);
}

void Edge::unwatch(Connection& c) { ::epoll_ctl(epoll_, EPOLL_CTL_DEL, c.fd, nullptr); }

void Edge::watch_listener(std::size_t index) {
  epoll_event ev{};
  ev.events = EPOLLIN;
  ev.data.u64 = static_cast<std::uint64_t>(-2) - index;  // below the connections' fds, above the wake-up
  ::epoll_ctl(epoll_, EPOLL_CTL_ADD, listeners_[index].fd, &ev);
}

std::unique_ptr<Connection> Edge::take(int fd) {
  auto it = waiting_.find(fd);
  auto c = std::move(it->second);
  waiting_.erase(it);
  unwatch(*c);
  return c;
}

void Edge::release_follow(const std::string& peer) {
  --follow_;
  if (--follow_by_client_[peer] == 0) follow_by_client_.erase(peer);
}

void Edge::loop() {
  epoll_event events[64];
  auto last_sweep = Clock::now();
  while (!stopping_) {
    int n = ::epoll_wait(epoll_, events, 64, 100);
    auto now = Clock::now();
    for (int i = 0; i < n; ++i) {
      std::uint64_t tag = events[i].data.u64;
      if (tag == static_cast<std::uint64_t>(-1)) {
        std::uint64_t count;
        [[maybe_unused]] auto r = ::read(wake_, &count, sizeof count);
        continue;
      }
      if (tag > static_cast<std::uint64_t>(-2) - listeners_.size()) {
        accept_from(static_cast<int>(static_cast<std::uint64_t>(-2) - tag));
        continue;
      }
      auto it = waiting_.find(static_cast<int>(tag));
      if (it != waiting_.end()) on_readable(*it->second);
    }
    std::vector<std::unique_ptr<Connection>> back;
    {
      std::lock_guard lock(mu_);
      back.swap(returned_);
    }
    for (auto& c : back) {
      c->since = now;
      c->head_started = !c->buffer.empty();
      if (c->lingering) {
        int fd = c->fd;
        watch(*c);
        waiting_[fd] = std::move(c);
        continue;
      }
      dispatch(std::move(c));  // a pipelined request may be whole already
    }
    if (now - last_sweep >= std::chrono::milliseconds(50)) {
      sweep(now);
      last_sweep = now;
    }
  }
  for (auto& [fd, c] : waiting_) {
    ::close(fd);
    std::lock_guard lock(mu_);
    --listener_open_[c->listener];
  }
  waiting_.clear();
}

void Edge::accept_from(int index) {
  Listener& l = listeners_[static_cast<std::size_t>(index)];
  std::size_t cap = index == 0 ? options_.max_connections : options_.max_health_connections;
  for (int burst = 0; burst < 64; ++burst) {
    sockaddr_storage peer{};
    socklen_t len = sizeof peer;
    int fd = ::accept4(l.fd, reinterpret_cast<sockaddr*>(&peer), &len, SOCK_NONBLOCK | SOCK_CLOEXEC);
    if (fd < 0) {
      if (errno == EMFILE || errno == ENFILE || errno == ENOBUFS || errno == ENOMEM) {
        // Out of descriptors: stop accepting for a moment rather than spin on a
        // listener that stays readable.
        ::epoll_ctl(epoll_, EPOLL_CTL_DEL, l.fd, nullptr);
        l.paused_until = Clock::now() + std::chrono::milliseconds(100);
        log::warn("out of file descriptors: not accepting connections for 100 ms");
      }
      return;
    }
    bool full;
    {
      std::lock_guard lock(mu_);
      full = listener_open_[index] >= cap;
      if (full) ++counters_.refused_busy;
      else ++listener_open_[index];
    }
    if (full) {
      std::string reply = canned_reply(503, "", "too many connections", 1);
      [[maybe_unused]] auto sent = ::send(fd, reply.data(), reply.size(), MSG_NOSIGNAL | MSG_DONTWAIT);
      ::close(fd);
      continue;
    }
    int one = 1;
    ::setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
    auto c = std::make_unique<Connection>();
    c->fd = fd;
    c->listener = index;
    address_of(peer, c->peer_ip, c->peer_port);
    sockaddr_storage local{};
    len = sizeof local;
    ::getsockname(fd, reinterpret_cast<sockaddr*>(&local), &len);
    address_of(local, c->local_ip, c->local_port);
    c->since = Clock::now();
    watch(*c);
    waiting_[fd] = std::move(c);
  }
}

void Edge::on_readable(Connection& c) {
  char buf[8192];
  for (std::size_t round = 0;; ++round) {
    ssize_t n = ::recv(c.fd, buf, sizeof buf, 0);
    if (n < 0 && errno == EINTR) continue;
    if (n < 0 && errno == EAGAIN) break;
    if (n <= 0) {  // closed or reset by the client
      auto owned = take(c.fd);
      // A client may send its request and then shut its side (nc -N, some
      // scripts): what it sent whole is still answered.
      if (n == 0 && !owned->lingering &&
          parse_head(owned->buffer, options_.head_limits).state == HeadVerdict::State::complete)
        return dispatch(std::move(owned));
      return close_connection(std::move(owned));
    }
    if (c.lingering) {
      c.drained += static_cast<std::uint64_t>(n);
      // The sweep closes it past the limit; a fast sender mustn't keep this thread.
      if (c.drained > kLingerBytes || round >= 32) break;
      continue;
    }
    if (!c.head_started) {
      c.head_started = true;
      c.since = Clock::now();
    }
    c.buffer.append(buf, static_cast<std::size_t>(n));
    // Enough for any head the limits allow: the rest waits in the socket.
    if (c.buffer.size() > options_.head_limits.max_head + 2) break;
  }
  if (c.lingering) return;
  dispatch(take(c.fd));
}

void Edge::dispatch(std::unique_ptr<Connection> c) {
  // Blank lines before a request are allowed, but cpp-httplib would take the
  // first for a malformed request line.
  std::size_t blank = 0;
  while (c->buffer.compare(blank, 2, "\r\n") == 0) blank += 2;
  if (blank > 0) {
    c->buffer.erase(0, blank);
    c->scanned = 0;
  }
  // Parsed only once it can say something: the head's end has come, or a
  // limit has been passed (the request line's once, the head's each time).
  const auto& limits = options_.head_limits;
  bool ended = c->buffer.find("\r\n\r\n", c->scanned > 3 ? c->scanned - 3 : 0) != std::string::npos;
  c->scanned = c->buffer.size();
  bool check_line = !c->line_checked && c->buffer.size() > limits.max_request_line;
  if (check_line) c->line_checked = true;
  auto verdict = ended || check_line || c->buffer.size() > limits.max_head ? parse_head(c->buffer, limits)
                                                                            : HeadVerdict{};
  if (verdict.state == HeadVerdict::State::incomplete) {
    int fd = c->fd;
    watch(*c);
    waiting_[fd] = std::move(c);
    return;
  }
  c->scanned = 0;  // the next request's head starts afresh
  c->line_checked = false;
  if (verdict.state == HeadVerdict::State::refused) {
    {
      std::lock_guard lock(mu_);
      ++counters_.refused_head;
    }
    // Only to choose JSON or text: the target as far as it was read.
    std::string path;
    if (auto sp = c->buffer.find(' '); sp != std::string::npos && sp < 32)
      path = c->buffer.substr(sp + 1, std::min<std::size_t>(c->buffer.find_first_of(" ?\r\n", sp + 1) - sp - 1, 64));
    return refuse(std::move(c), verdict.status, path, verdict.error);
  }
  RequestHead& head = verdict.head;
  Dispatch d = classify_(head, c->listener);
  if (d.refuse_status != 0) return refuse(std::move(c), d.refuse_status, head.path, d.refuse_error);
  if (head.content_length && *head.content_length > d.body_limit)
    return refuse(std::move(c), 413, head.path,
                  "the body is larger than this endpoint's limit of " + std::to_string(d.body_limit) + " bytes");
  if (head.chunked) d.body_limit += d.body_limit / 8 + 4096;  // the chunks' own framing
  if (d.lane == Lane::follow) {
    std::string refusal;
    {
      std::lock_guard lock(mu_);
      std::size_t& mine = follow_by_client_[c->peer_ip];
      if (follow_ >= options_.max_follow || mine >= options_.max_follow_per_client) {
        ++counters_.refused_follow;
        refusal = std::string("too many log streams are open") +
                  (follow_ >= options_.max_follow ? "" : " from this address") +
                  "; retry later, or read the log without follow";
        if (mine == 0) follow_by_client_.erase(c->peer_ip);
      } else {
        ++mine;
        ++follow_;
      }
    }
    if (!refusal.empty()) return refuse(std::move(c), 429, head.path, refusal, 5);
  }
  auto* raw = c.release();
  bool taken = pool(d.lane).submit([this, raw, head, d]() mutable {
    run_request(std::unique_ptr<Connection>(raw), std::move(head), d);
  });
  if (!taken) {
    std::unique_ptr<Connection> back(raw);
    if (d.lane == Lane::follow) {
      std::lock_guard lock(mu_);
      release_follow(back->peer_ip);
    }
    refuse(std::move(back), 503, head.path, "the runner is busy; retry shortly", 1);
    return;
  }
  std::lock_guard lock(mu_);
  ++in_workers_;
}

void Edge::run_request(std::unique_ptr<Connection> c, RequestHead head, Dispatch d) {
  auto deadline = Clock::now() + (d.lane == Lane::follow ? options_.follow_max + options_.request_timeout
                                                         : options_.request_timeout);
  bool again = false;
  {
    SocketStream stream(*c, head.size, d.body_limit, deadline, options_.io_timeout);
    SocketStream::Scope scope(stream);
    bool last = !head.keep_alive || ++c->served >= options_.keep_alive_max || stopping_;
    again = serve_(stream, head, last) && !last && !stream.failed();
    // A body left unread (a refused upload) would be taken for the next request.
    std::uint64_t length = head.content_length.value_or(0);
    if (again && (head.chunked || !stream.consumed_exactly(length))) again = false;
    if (!again && !stream.failed() && (stream.body_over_limit() || head.content_length || head.chunked))
      c->lingering = true;
  }
  {
    std::lock_guard lock(mu_);
    --in_workers_;
    if (d.lane == Lane::follow) release_follow(c->peer_ip);
  }
  if (again || c->lingering) {
    if (c->lingering) {
      ::shutdown(c->fd, SHUT_WR);
      c->buffer.clear();
    }
    give_back(std::move(c));
  } else {
    close_connection(std::move(c));
  }
}

void Edge::give_back(std::unique_ptr<Connection> c) {
  if (stopping_) return close_connection(std::move(c));
  {
    std::lock_guard lock(mu_);
    returned_.push_back(std::move(c));
  }
  std::uint64_t one = 1;
  [[maybe_unused]] auto n = ::write(wake_, &one, sizeof one);
}

void Edge::refuse(std::unique_ptr<Connection> c, int status, const std::string& path, const std::string& error,
                  int retry_after) {
  std::string reply = canned_reply(status, path, error, retry_after);
  [[maybe_unused]] auto sent = ::send(c->fd, reply.data(), reply.size(), MSG_NOSIGNAL | MSG_DONTWAIT);
  linger(std::move(c));
}

void Edge::linger(std::unique_ptr<Connection> c) {
  ::shutdown(c->fd, SHUT_WR);
  c->lingering = true;
  c->buffer.clear();
  c->since = Clock::now();
  int fd = c->fd;
  watch(*c);
  waiting_[fd] = std::move(c);
}

void Edge::close_connection(std::unique_ptr<Connection> c) {
  ::close(c->fd);
  std::lock_guard lock(mu_);
  --listener_open_[c->listener];
}

void Edge::sweep(Clock::time_point now) {
  for (std::size_t i = 0; i < listeners_.size(); ++i) {
    auto& l = listeners_[i];
    if (l.paused_until != Clock::time_point{} && now >= l.paused_until) {
      l.paused_until = {};
      watch_listener(i);
    }
  }
  std::vector<int> expired;
  for (auto& [fd, c] : waiting_) {
    auto age = now - c->since;
    if (c->lingering ? (age > kLingerTime || c->drained > kLingerBytes)
                     : age > (c->head_started ? options_.head_timeout : options_.idle_timeout))
      expired.push_back(fd);
  }
  for (int fd : expired) {
    auto c = take(fd);
    if (c->head_started && !c->lingering) {
      {
        std::lock_guard lock(mu_);
        ++counters_.timed_out;
      }
      // A slow sender is told, then dropped; an idle keep-alive just closed.
      std::string reply = canned_reply(408, "", "the request's head took too long", 0);
      [[maybe_unused]] auto sent = ::send(c->fd, reply.data(), reply.size(), MSG_NOSIGNAL | MSG_DONTWAIT);
    }
    close_connection(std::move(c));
  }
}

}  // namespace cwf::server
