#pragma once

// The notifier's seam to the network: one HTTP POST. HttpSender is the real
// one; the tests' fakes answer as receivers would.

#include <chrono>
#include <memory>
#include <string>
#include <utility>
#include <vector>

namespace cwf::notify {

using Headers = std::vector<std::pair<std::string, std::string>>;

struct SendResult {
  int status = 0;     // 0: no answer (refused, timed out, cut, TLS)
  std::string error;  // why it is not delivered, without the URL (a Slack URL is a secret)
  std::chrono::milliseconds retry_after{0};  // a 429's or 503's Retry-After
  bool ok() const { return status >= 200 && status < 300; }
};

class Sender {
 public:
  virtual ~Sender() = default;
  // POSTs BODY to URL, giving up after DEADLINE in all.
  virtual SendResult post(const std::string& url, const std::string& body, const Headers& headers,
                          std::chrono::milliseconds deadline) = 0;
  // Shutdown: what is in flight is cut, and later posts fail at once.
  virtual void abort() = 0;
};

// cpp-httplib: a connection per delivery, TIMEOUT to connect and per read or
// write, no redirect followed, at most 64 KiB of a reply read, and a
// watchdog that cuts a delivery at its deadline however slowly a receiver
// trickles bytes.
std::unique_ptr<Sender> make_http_sender(std::chrono::milliseconds timeout);

}  // namespace cwf::notify
