#pragma once

// The Kubernetes REST API over HTTP(S): JSON requests on a few kept-alive
// connections, and streams (watches, followed logs) on connections of their
// own that another thread can cut. Every call has a connect and a read
// timeout; the bearer token is a header only, re-read from its file now and
// then (bound service account tokens rotate), and never in a message.

#include <atomic>
#include <chrono>
#include <functional>
#include <memory>
#include <mutex>
#include <string>
#include <string_view>
#include <vector>

#include "kube/kube_config.hh"

namespace httplib {
class ClientImpl;
}

namespace cwf::kube {

struct KubeReply {
  int status = 0;      // 0: no answer (refused, timed out, TLS, cut)
  std::string body;
  std::string reason;  // a Status's reason (NotFound, AlreadyExists, Invalid, Gone, Conflict ...)
  std::string error;   // for a message: "HTTP 422 Invalid: ..." or why there was no answer; empty when 2xx
  bool ok() const { return status >= 200 && status < 300; }
};

// A stream in progress: stop() from any thread cuts it.
class KubeStream {
 public:
  void stop();
  bool stopped() const { return stopped_; }

 private:
  friend class KubeClient;
  std::mutex mu_;
  httplib::ClientImpl* client_ = nullptr;
  std::atomic<bool> stopped_{false};
};

class KubeClient {
 public:
  KubeClient(KubeConfig config, std::chrono::milliseconds timeout);
  ~KubeClient();

  KubeReply get(const std::string& path);
  KubeReply post(const std::string& path, const std::string& json);
  KubeReply patch_merge(const std::string& path, const std::string& json);
  KubeReply del(const std::string& path, const std::string& json = "");

  // A streaming GET: ON_DATA gets the body as it arrives, until the server
  // ends it, ON_DATA returns false, nothing came for READ_TIMEOUT, or STREAM
  // is stopped. The reply's body holds the body of a refusal (4xx) only.
  KubeReply stream(const std::string& path, KubeStream& stream, std::chrono::milliseconds read_timeout,
                   const std::function<bool(std::string_view)>& on_data);

  const KubeConfig& config() const { return config_; }
  // "none", "2xx", "4xx", "5xx": the last reply's class, for /metrics and health.
  std::string last_outcome() const;

 private:
  enum class Method { get, post, patch, del };
  std::unique_ptr<httplib::ClientImpl> connect(std::chrono::milliseconds read_timeout);
  std::string token();
  KubeReply send(Method method, const std::string& path, const std::string& body);

  KubeConfig config_;
  std::chrono::milliseconds timeout_;
  mutable std::mutex mu_;
  std::vector<std::unique_ptr<httplib::ClientImpl>> idle_;
  std::string token_;
  std::chrono::steady_clock::time_point token_read_{};
  std::string last_outcome_ = "none";
};

// A path segment or query value with everything outside [A-Za-z0-9-._~] escaped.
std::string escape(std::string_view s);

}  // namespace cwf::kube
