// The real Sender: cpp-httplib over TCP or TLS (OpenSSL).
#include <httplib.h>

#include <algorithm>
#include <condition_variable>
#include <map>
#include <set>
#include <mutex>
#include <thread>

#include "notify/sender.hh"
#include "util/version.hh"

namespace cwf::notify {
namespace {

using Clock = std::chrono::steady_clock;
constexpr std::size_t kReplyCap = 64 * 1024;

std::string no_answer(httplib::Error e, bool cut) {
  if (cut) return "no answer: cut at the delivery's deadline (the receiver is too slow)";
  switch (e) {
    case httplib::Error::Connection: return "no answer: cannot connect (refused or unreachable)";
    case httplib::Error::ConnectionTimeout: return "no answer: connecting timed out";
    case httplib::Error::Read: return "no answer: the reply did not come in time, or the connection closed";
    case httplib::Error::Write: return "no answer: sending the body failed";
    case httplib::Error::SSLConnection: return "no answer: the TLS handshake failed";
    case httplib::Error::SSLServerVerification: return "no answer: the receiver's TLS certificate is not trusted";
    case httplib::Error::SSLLoadingCerts: return "no answer: cannot load the trusted TLS certificates";
    default: return "no answer: " + httplib::to_string(e);
  }
}

// The receiver's words for a person: printable ASCII, one line, short.
std::string excerpt(const std::string& body) {
  std::string out;
  for (char c : body.substr(0, 200)) out += (c >= 0x20 && c < 0x7f) ? c : ' ';
  while (!out.empty() && out.back() == ' ') out.pop_back();
  return out;
}

class HttpSender : public Sender {
 public:
  explicit HttpSender(std::chrono::milliseconds timeout) : timeout_(timeout), watchdog_([this] { watch(); }) {}
  ~HttpSender() override {
    {
      std::lock_guard lock(mu_);
      stopping_ = true;
    }
    changed_.notify_all();
    watchdog_.join();
  }

  SendResult post(const std::string& url, const std::string& body, const Headers& headers,
                  std::chrono::milliseconds deadline) override {
    SendResult out;
    bool web = url.rfind("https://", 0) == 0 || url.rfind("http://", 0) == 0;
    std::size_t host = url.find("://");
    std::size_t slash = web ? url.find('/', host + 3) : std::string::npos;
    if (!web || host + 3 >= url.size()) {
      out.error = "not sent: the URL is not an http:// or https:// URL";
      return out;
    }
    // It would end the request line early: a header of the URL's choosing.
    if (std::any_of(url.begin(), url.end(), [](char c) { return static_cast<unsigned char>(c) <= 0x20 || c == 0x7f; })) {
      out.error = "not sent: the URL holds a space or a control character";
      return out;
    }
    std::string origin = url.substr(0, slash), path = slash == std::string::npos ? "/" : url.substr(slash);
    httplib::Client client(origin);
    if (!client.is_valid()) {
      out.error = "not sent: the URL's host cannot be used";
      return out;
    }
    client.set_connection_timeout(timeout_);
    client.set_read_timeout(timeout_);
    client.set_write_timeout(timeout_);
    client.set_keep_alive(false);
    client.set_tcp_nodelay(true);
    client.set_follow_location(false);  // a redirect would carry the body (and for Slack, the secret path) elsewhere
    httplib::Request req;
    req.method = "POST";
    req.path = path;
    req.body = body;
    req.set_header("User-Agent", std::string("convox-workflows/") + kVersion);
    req.set_header("Content-Type", "application/json");
    for (const auto& [k, v] : headers) req.set_header(k, v);
    std::string reply;
    req.content_receiver = [&reply](const char* data, std::size_t n, std::uint64_t, std::uint64_t) {
      reply.append(data, std::min(n, kReplyCap - std::min(reply.size(), kReplyCap)));
      return reply.size() < kReplyCap;  // enough to tell a person why; the rest is not read
    };
    httplib::Response res;
    httplib::Error error = httplib::Error::Success;
    if (!enter(&client, Clock::now() + deadline)) {
      out.error = "not sent: the runner is stopping";
      return out;
    }
    bool answered = client.send(req, res, error);
    bool cut = leave(&client);
    // A reply cut after its status line still says what the receiver decided.
    if (!answered && !(res.status > 0 && error == httplib::Error::Canceled && reply.size() >= kReplyCap)) {
      out.error = no_answer(error, cut);
      return out;
    }
    out.status = res.status;
    if (res.has_header("Retry-After")) {
      try {
        out.retry_after = std::chrono::seconds(std::clamp<long long>(std::stoll(res.get_header_value("Retry-After")), 0, 3600));
      } catch (const std::exception&) {
      }
    }
    if (!out.ok()) {
      out.error = "HTTP " + std::to_string(res.status);
      if (std::string words = excerpt(reply); !words.empty()) out.error += ": " + words;
    }
    return out;
  }

  void abort() override {
    std::lock_guard lock(mu_);
    stopping_ = true;
    for (auto& [client, due] : in_flight_) client->stop();
    changed_.notify_all();
  }

 private:
  bool enter(httplib::Client* client, Clock::time_point due) {
    std::lock_guard lock(mu_);
    if (stopping_) return false;
    in_flight_[client] = due;
    changed_.notify_all();
    return true;
  }
  // True when the watchdog cut it.
  bool leave(httplib::Client* client) {
    std::lock_guard lock(mu_);
    in_flight_.erase(client);
    return cut_.erase(client) > 0;
  }
  void watch() {
    std::unique_lock lock(mu_);
    while (!stopping_ || !in_flight_.empty()) {
      if (stopping_) {  // abort() cut them: wait for their threads to leave
        changed_.wait_for(lock, std::chrono::milliseconds(50));
        continue;
      }
      auto next = Clock::now() + std::chrono::seconds(1);
      for (auto& [client, due] : in_flight_) {
        if (due <= Clock::now()) {  // again until it leaves: a stop during connect finds no socket yet
          cut_.insert(client);
          client->stop();
          next = std::min(next, Clock::now() + std::chrono::milliseconds(200));
        } else {
          next = std::min(next, due);
        }
      }
      changed_.wait_until(lock, next);
    }
  }

  std::chrono::milliseconds timeout_;
  std::mutex mu_;
  std::condition_variable changed_;
  std::map<httplib::Client*, Clock::time_point> in_flight_;
  std::set<httplib::Client*> cut_;
  bool stopping_ = false;
  std::thread watchdog_;  // last: started once the rest is ready
};

}  // namespace

std::unique_ptr<Sender> make_http_sender(std::chrono::milliseconds timeout) {
  return std::make_unique<HttpSender>(timeout);
}

}  // namespace cwf::notify
