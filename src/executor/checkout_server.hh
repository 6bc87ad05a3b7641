#pragma once

// How a pod gets its job's checkout without the forge's credentials leaving
// the runner: the runner offers the workspace under a one-time token (256
// random bits, good for one GET within minutes), and the pod's init
// container fetches it as a tar stream. Its own listener, apart from the
// API's port that faces the internet: only the cluster needs to reach it.

#include <chrono>
#include <filesystem>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <thread>

#include "util/result.hh"

namespace httplib {
class Server;
}

namespace cwf::executor {

class CheckoutServer {
 public:
  CheckoutServer();
  ~CheckoutServer();
  // Binds HOST:PORT (PORT 0: any) and serves on a thread of its own. Returns the port.
  Result<int> start(const std::string& host, int port);
  void stop();

  // A token for one fetch of WORKSPACE within TTL: "/checkouts/<token>".
  std::string offer(const std::filesystem::path& workspace, std::chrono::seconds ttl);
  // The offer is void (its task ended or never needed it).
  void withdraw(const std::string& token);
  std::size_t offered() const;

 private:
  struct Offer {
    std::filesystem::path workspace;
    std::chrono::steady_clock::time_point expires;
  };
  std::optional<std::filesystem::path> take(const std::string& token);

  std::unique_ptr<httplib::Server> server_;
  std::thread thread_;
  mutable std::mutex mu_;
  std::map<std::string, Offer> offers_;
};

}  // namespace cwf::executor
