#pragma once

// The connection layer in front of cpp-httplib. One thread watches every
// socket (epoll): it accepts, reads each request's head against deadlines,
// refuses what is malformed, too large or over a cap with a small reply, and
// only then hands the connection to a worker pool. Idle keep-alive
// connections and slow senders therefore hold no thread, health checks have
// threads of their own, and log follow streams are capped apart from the API.

#include <sys/socket.h>

#include <atomic>
#include <chrono>
#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

#include "server/http_head.hh"
#include "server/worker_pool.hh"
#include "util/result.hh"

namespace cwf::server {

class SocketStream;

struct Connection {
  int fd = -1;
  int listener = 0;  // index of the listener that accepted it
  std::string buffer;  // read, not yet consumed
  std::string peer_ip, local_ip;
  int peer_port = 0, local_port = 0;
  int served = 0;  // requests answered on it
  std::chrono::steady_clock::time_point since;  // of the idle wait, or of the head's first byte
  bool head_started = false;
  // How far the buffer was searched for the head's end, and whether the
  // request line was found within its limit: a head that arrives a byte at a
  // time is scanned once, not once per byte.
  std::size_t scanned = 0;
  bool line_checked = false;
  // Set while lingering: the reply is sent, what the client still sends is
  // read and dropped until it stops, so the reply isn't lost to a reset.
  bool lingering = false;
  std::uint64_t drained = 0;
};

// A peer's or a socket's own address, as text and port.
void address_of(const sockaddr_storage& address, std::string& ip, int& port);

struct EdgeOptions {
  std::size_t max_connections = 512;    // on the main listener
  std::size_t max_health_connections = 16;  // on each other listener
  std::chrono::milliseconds idle_timeout{5000};   // a keep-alive wait for the next request
  std::chrono::milliseconds head_timeout{10000};  // from a request's first byte to the end of its head
  std::chrono::milliseconds io_timeout{10000};    // one read or write while serving
  std::chrono::milliseconds request_timeout{60000};  // a whole request, streams aside
  std::chrono::milliseconds follow_max{30 * 60 * 1000};
  std::size_t http_threads = 8, health_threads = 2, max_queued = 256;
  std::size_t max_follow = 64, max_follow_per_client = 16;
  int keep_alive_max = 100;  // requests on one connection
  std::chrono::milliseconds thread_idle_exit{10000};
  HeadLimits head_limits;
};

enum class Lane { health, api, follow };

// How the edge is to treat a request whose head it has read.
struct Dispatch {
  Lane lane = Lane::api;
  std::uint64_t body_limit = 64 * 1024;
  int refuse_status = 0;  // non-zero: answered by the edge with REFUSE_ERROR
  std::string refuse_error;
};

struct EdgeStats {
  std::size_t open = 0, in_workers = 0, follow_streams = 0;
  std::uint64_t refused_busy = 0, timed_out = 0, refused_head = 0, refused_follow = 0;
};

class Edge {
 public:
  using Classify = std::function<Dispatch(const RequestHead&, int listener)>;
  // Serves one request from STREAM (LAST: the connection closes after it, and
  // the reply says so); returns whether the client may send another.
  using Serve = std::function<bool(SocketStream&, const RequestHead&, bool last)>;

  Edge(EdgeOptions options, Classify classify, Serve serve);
  ~Edge();  // stop()

  // Binds HOST:PORT (port 0: any free one); listener 0 is the main one.
  // Returns the port.
  Result<int> listen(const std::string& host, int port);
  void start();
  void stop();
  bool stopping() const { return stopping_; }
  EdgeStats stats() const;
  const EdgeOptions& options() const { return options_; }

  // A small reply written by the edge itself (also used by handlers' tests):
  // JSON {"error": ...} under /api and /hooks, plain text elsewhere.
  static std::string canned_reply(int status, const std::string& path, const std::string& error,
                                  int retry_after_seconds);

 private:
  struct Listener {
    int fd = -1;
    std::chrono::steady_clock::time_point paused_until{};
  };
  void loop();
  void accept_from(int index);
  void on_readable(Connection& c);
  void dispatch(std::unique_ptr<Connection> c);
  void run_request(std::unique_ptr<Connection> c, RequestHead head, Dispatch d);
  void refuse(std::unique_ptr<Connection> c, int status, const std::string& path, const std::string& error,
              int retry_after = 0);
  void linger(std::unique_ptr<Connection> c);
  void give_back(std::unique_ptr<Connection> c);  // from a worker
  void close_connection(std::unique_ptr<Connection> c);
  std::unique_ptr<Connection> take(int fd);  // out of waiting_ and epoll
  void watch_listener(std::size_t index);
  void release_follow(const std::string& peer);  // with mu_ held
  void sweep(std::chrono::steady_clock::time_point now);
  void watch(Connection& c);
  void unwatch(Connection& c);
  WorkerPool& pool(Lane lane);

  const EdgeOptions options_;
  Classify classify_;
  Serve serve_;
  std::vector<Listener> listeners_;
  int epoll_ = -1, wake_ = -1;
  std::thread thread_;
  std::atomic<bool> stopping_{false};
  std::map<int, std::unique_ptr<Connection>> waiting_;  // the loop's own: fd -> connection
  WorkerPool health_pool_, api_pool_, follow_pool_;

  mutable std::mutex mu_;  // what workers share with the loop
  std::vector<std::unique_ptr<Connection>> returned_;
  std::map<std::string, std::size_t> follow_by_client_;
  std::size_t follow_ = 0, in_workers_ = 0;
  std::size_t listener_open_[8] = {};
  EdgeStats counters_;
};

}  // namespace cwf::server
