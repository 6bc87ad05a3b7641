#include "executor/checkout_server.hh"

#include <httplib.h>

#include "executor/tar_stream.hh"
#include "util/log.hh"
#include "util/random.hh"

namespace cwf::executor {

CheckoutServer::CheckoutServer() : server_(std::make_unique<httplib::Server>()) {
  server_->set_read_timeout(std::chrono::seconds(10));
  server_->set_write_timeout(std::chrono::seconds(60));  // a stalled reader gives its thread back
  server_->set_keep_alive_max_count(1);
  server_->set_payload_max_length(0);
  server_->Get(R"(/checkouts/([0-9a-f]{64}))", [this](const httplib::Request& req, httplib::Response& res) {
    auto workspace = take(req.matches[1].str());
    if (!workspace) {
      res.status = 404;
      res.set_content("no such checkout (a token is good for one fetch, for minutes)\n", "text/plain");
      return;
    }
    auto tar = std::make_shared<TarStream>(*workspace);
    if (!tar->error().empty()) {
      log::error("cannot send a checkout", {{"error", tar->error()}});
      res.status = 500;
      res.set_content("the checkout cannot be read\n", "text/plain");
      return;
    }
    res.set_chunked_content_provider("application/x-tar", [tar](std::size_t, httplib::DataSink& sink) {
      std::string chunk;
      if (tar->next(chunk)) return sink.write(chunk.data(), chunk.size());
      if (!tar->error().empty()) return false;  // cut: the pod's tar fails, and so does its task
      sink.done();
      return true;
    });
  });
  server_->set_error_handler([](const httplib::Request&, httplib::Response& res) {
    if (res.body.empty()) res.set_content("not found\n", "text/plain");
  });
}

CheckoutServer::~CheckoutServer() { stop(); }

Result<int> CheckoutServer::start(const std::string& host, int port) {
  int bound = port;
  if (port == 0) bound = server_->bind_to_any_port(host.c_str());
  else if (!server_->bind_to_port(host.c_str(), port)) bound = -1;
  if (bound <= 0) return make_error("cannot listen on " + host + ":" + std::to_string(port) + " for checkouts");
  thread_ = std::thread([this] { server_->listen_after_bind(); });
  return bound;
}

void CheckoutServer::stop() {
  if (thread_.joinable()) {
    server_->stop();
    thread_.join();
  }
}

std::string CheckoutServer::offer(const std::filesystem::path& workspace, std::chrono::seconds ttl) {
  std::string token = random_hex(32);
  std::lock_guard lock(mu_);
  auto now = std::chrono::steady_clock::now();
  for (auto it = offers_.begin(); it != offers_.end();) it = it->second.expires < now ? offers_.erase(it) : std::next(it);
  offers_[token] = Offer{workspace, now + ttl};
  return token;
}

void CheckoutServer::withdraw(const std::string& token) {
  std::lock_guard lock(mu_);
  offers_.erase(token);
}

std::size_t CheckoutServer::offered() const {
  std::lock_guard lock(mu_);
  return offers_.size();
}

std::optional<std::filesystem::path> CheckoutServer::take(const std::string& token) {
  std::lock_guard lock(mu_);
  auto it = offers_.find(token);
  if (it == offers_.end()) return std::nullopt;
  Offer o = it->second;
  offers_.erase(it);  // once: a second fetch of the URL gets nothing
  if (o.expires < std::chrono::steady_clock::now()) return std::nullopt;
  return o.workspace;
}

}  // namespace cwf::executor
