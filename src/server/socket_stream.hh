#pragma once

// cpp-httplib's Stream over a connection the edge handed to a worker: bytes
// the edge already read come first, every read and write has a timeout, the
// whole request a deadline, and its body a limit counted while it is read.

#include <httplib.h>

#include <chrono>
#include <cstdint>
#include <string>

namespace cwf::server {

struct Connection;

class SocketStream : public httplib::Stream {
 public:
  using Clock = std::chrono::steady_clock;
  SocketStream(Connection& c, std::size_t head_size, std::uint64_t body_limit, Clock::time_point deadline,
               std::chrono::milliseconds io_timeout);

  bool is_readable() const override;
  // False once the client has gone (reset or hung up), so a follow stream
  // ends as soon as its reader leaves.
  bool is_writable() const override;
  ssize_t read(char* ptr, std::size_t size) override;
  ssize_t write(const char* ptr, std::size_t size) override;
  void get_remote_ip_and_port(std::string& ip, int& port) const override;
  void get_local_ip_and_port(std::string& ip, int& port) const override;
  socket_t socket() const override;

  bool body_over_limit() const { return over_limit_; }
  // Whether exactly the head and LENGTH body bytes were read: only then may the
  // connection carry another request.
  bool consumed_exactly(std::uint64_t length) const { return consumed_ == head_size_ + length; }
  bool failed() const { return failed_; }

  // The stream serving this thread's request, for handlers that need to know
  // why a body read failed; null outside one.
  static SocketStream* current();
  struct Scope {
    explicit Scope(SocketStream& s);
    ~Scope();
  };

 private:
  int wait_ms() const;  // until the next timeout or the deadline, whichever is first

  Connection& c_;
  const std::size_t head_size_;
  const std::uint64_t body_limit_;
  const Clock::time_point deadline_;
  const std::chrono::milliseconds io_timeout_;
  std::uint64_t consumed_ = 0;
  bool over_limit_ = false;
  mutable bool failed_ = false;
};

}  // namespace cwf::server
