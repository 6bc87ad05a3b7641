#pragma once

// The forges' REST APIs over HTTP(S): a few kept-alive connections to one base
// URL, connect and read timeouts, a User-Agent, and retries on 5xx, 429 and
// rate limits that honour Retry-After and x-ratelimit-reset within a small
// budget; past it the caller gets the failure with the wait the forge asked
// for, and decides (the gate re-checks later, the reporter re-posts).
// Tokens are headers only: no URL, log line or error message carries them.

#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <map>
#include <memory>
#include <mutex>
#include <string>
#include <utility>
#include <vector>

#include "util/url_encode.hh"

namespace cwf::forge {

struct HttpOptions {
  std::chrono::milliseconds timeout{10000};       // connect, and each read
  std::chrono::milliseconds retry_budget{2000};   // waiting between attempts, per call
  std::chrono::milliseconds first_backoff{200};
  int attempts = 3;
  int connections = 2;  // kept alive; calls beyond wait for one
};

struct HttpReply {
  int status = 0;     // 0: no answer (refused, timed out, TLS)
  std::string body;
  std::string error;  // what went wrong, for a reason or a log line; empty when 2xx
  std::chrono::milliseconds retry_after{0};  // what the forge asked us to wait
  std::string next_page;                     // the next page's path, if the forge paginates
  bool ok() const { return status >= 200 && status < 300; }
  // Worth trying again later: no answer, a server error, or a rate limit.
  bool transient() const;
};

// Counters for /metrics: replies by class ("2xx", "4xx", "5xx", "429", "none").
using HttpCounts = std::map<std::string, std::uint64_t>;

class ForgeHttp {
 public:
  // BASE_URL: scheme://host[:port][/prefix], e.g. https://gitlab.com/api/v4.
  // HEADERS go with every request (the token's among them).
  ForgeHttp(std::string base_url, std::vector<std::pair<std::string, std::string>> headers, HttpOptions options);
  ~ForgeHttp();

  HttpReply get(const std::string& path);  // PATH after the prefix, with its query
  HttpReply post_json(const std::string& path, const std::string& body);
  HttpReply patch_json(const std::string& path, const std::string& body);
  HttpReply put_json(const std::string& path, const std::string& body);

  // Shutdown: requests in flight are cut, waits end, new ones fail at once.
  void abort();

  HttpCounts counts() const;
  // The last request's class: "none" or "5xx" means the forge is down.
  std::string last_outcome() const;

 private:
  struct Connection;
  enum class Method { get, post, patch, put };
  HttpReply send(Method method, const std::string& path, const std::string& body);
  HttpReply attempt(Method method, const std::string& path, const std::string& body);
  std::unique_ptr<Connection> take();
  void give_back(Connection* used, std::unique_ptr<Connection> keep);
  void count(const HttpReply& r);

  std::string base_url_, origin_, prefix_;
  std::vector<std::pair<std::string, std::string>> headers_;
  HttpOptions options_;
  mutable std::mutex mu_;
  std::condition_variable returned_;  // a connection came back
  std::vector<std::unique_ptr<Connection>> idle_;
  std::vector<Connection*> busy_;
  int open_ = 0;
  bool aborted_ = false;
  std::chrono::steady_clock::time_point limited_until_{};  // x-ratelimit-remaining reached 0
  HttpCounts counts_;
  std::string last_outcome_;
};

// GET PATH and the pages after it (at most MAX_PAGES), each page's body
// appended to PAGES; the first failed reply, or the last good one.
HttpReply get_pages(ForgeHttp& http, const std::string& path, std::vector<std::string>& pages, int max_pages = 10);

using cwf::url_encode;  // util/url_encode.hh

}  // namespace cwf::forge
