#include "kube/kube_client.hh"

#include <httplib.h>
#include <openssl/pem.h>
#include <openssl/x509.h>

#include <fstream>
#include <sstream>

#include <nlohmann/json.hpp>

#include "util/url_encode.hh"
#include "util/version.hh"

namespace cwf::kube {
namespace {

constexpr std::size_t kMaxIdle = 8;

// The PEM certificates of TEXT in a new store (the client takes it over).
X509_STORE* store_of(const std::string& pem) {
  X509_STORE* store = X509_STORE_new();
  BIO* bio = BIO_new_mem_buf(pem.data(), static_cast<int>(pem.size()));
  while (X509* cert = PEM_read_bio_X509(bio, nullptr, nullptr, nullptr)) {
    X509_STORE_add_cert(store, cert);
    X509_free(cert);
  }
  BIO_free(bio);
  return store;
}

// "HTTP 404 NotFound: jobs.batch \"x\" not found", from the Status the API
// server answers with.
void describe(KubeReply& r) {
  auto j = nlohmann::json::parse(r.body, nullptr, false);
  std::string message;
  if (j.is_object() && j.value("kind", "") == "Status") {
    if (j.contains("reason") && j["reason"].is_string()) r.reason = j["reason"].get<std::string>();
    if (j.contains("message") && j["message"].is_string()) message = j["message"].get<std::string>();
  }
  if (message.size() > 500) message = message.substr(0, 500) + "...";
  r.error = "HTTP " + std::to_string(r.status) + (r.reason.empty() ? "" : " " + r.reason) +
            (message.empty() ? "" : ": " + message);
}

}  // namespace

std::string escape(std::string_view s) { return url_encode(s); }

void KubeStream::stop() {
  std::lock_guard lock(mu_);
  stopped_ = true;
  if (client_) client_->stop();
}

KubeClient::KubeClient(KubeConfig config, std::chrono::milliseconds timeout)
    : config_(std::move(config)), timeout_(timeout), token_(config_.token) {}

KubeClient::~KubeClient() = default;

std::string KubeClient::token() {
  std::lock_guard lock(mu_);
  auto now = std::chrono::steady_clock::now();
  if (!config_.token_file.empty() && (token_.empty() || now - token_read_ > std::chrono::minutes(1))) {
    std::ifstream in(config_.token_file);
    std::ostringstream s;
    s << in.rdbuf();
    std::string t = s.str();
    while (!t.empty() && (t.back() == '\n' || t.back() == '\r')) t.pop_back();
    if (!t.empty()) token_ = t;  // a file being rewritten: keep the last one
    token_read_ = now;
  }
  return token_;
}

std::unique_ptr<httplib::ClientImpl> KubeClient::connect(std::chrono::milliseconds read_timeout) {
  const std::string& s = config_.server;
  bool https = s.rfind("https://", 0) == 0;
  std::string hostport = s.substr(https ? 8 : 7);
  std::string host = hostport;
  int port = https ? 443 : 80;
  std::size_t colon = hostport.rfind(':');
  if (colon != std::string::npos && hostport.find(']', colon) == std::string::npos) {
    host = hostport.substr(0, colon);
    port = std::atoi(hostport.c_str() + colon + 1);
  }
  if (host.size() > 2 && host.front() == '[') host = host.substr(1, host.size() - 2);
  std::unique_ptr<httplib::ClientImpl> c;
  if (https) {
    std::unique_ptr<httplib::SSLClient> ssl;
    if (!config_.client_cert_pem.empty()) {
      BIO* cb = BIO_new_mem_buf(config_.client_cert_pem.data(), static_cast<int>(config_.client_cert_pem.size()));
      BIO* kb = BIO_new_mem_buf(config_.client_key_pem.data(), static_cast<int>(config_.client_key_pem.size()));
      X509* cert = PEM_read_bio_X509(cb, nullptr, nullptr, nullptr);
      EVP_PKEY* key = PEM_read_bio_PrivateKey(kb, nullptr, nullptr, nullptr);
      ssl = std::make_unique<httplib::SSLClient>(host, port, cert, key);  // SSL_CTX_use_* hold their own references
      if (cert) X509_free(cert);
      if (key) EVP_PKEY_free(key);
      BIO_free(cb);
      BIO_free(kb);
    } else {
      ssl = std::make_unique<httplib::SSLClient>(host, port);
    }
    if (!config_.ca_pem.empty()) ssl->set_ca_cert_store(store_of(config_.ca_pem));
    ssl->enable_server_certificate_verification(!config_.insecure);
    c = std::move(ssl);
  } else {
    c = std::make_unique<httplib::ClientImpl>(host, port);
  }
  c->set_connection_timeout(timeout_);
  c->set_read_timeout(read_timeout);
  c->set_write_timeout(timeout_);
  c->set_keep_alive(true);
  c->set_tcp_nodelay(true);
  c->set_follow_location(false);  // never the token to another host
  return c;
}

std::string KubeClient::last_outcome() const {
  std::lock_guard lock(mu_);
  return last_outcome_;
}

KubeReply KubeClient::send(Method method, const std::string& path, const std::string& body) {
  std::unique_ptr<httplib::ClientImpl> c;
  {
    std::lock_guard lock(mu_);
    if (!idle_.empty()) {
      c = std::move(idle_.back());
      idle_.pop_back();
    }
  }
  if (!c) c = connect(timeout_);
  httplib::Headers h = {{"Accept", "application/json"}, {"User-Agent", std::string("convox-workflows/") + kVersion}};
  if (std::string t = token(); !t.empty()) h.emplace("Authorization", "Bearer " + t);
  httplib::Result res{nullptr, httplib::Error::Unknown};
  switch (method) {
    case Method::get: res = c->Get(path.c_str(), h); break;
    case Method::post: res = c->Post(path.c_str(), h, body, "application/json"); break;
    case Method::patch: res = c->Patch(path.c_str(), h, body, "application/merge-patch+json"); break;
    case Method::del:
      res = body.empty() ? c->Delete(path.c_str(), h) : c->Delete(path.c_str(), h, body, "application/json");
      break;
  }
  KubeReply r;
  if (!res) {
    r.error = "no answer from the Kubernetes API (" + config_.server + "): " + httplib::to_string(res.error());
    std::lock_guard lock(mu_);
    last_outcome_ = "none";
    return r;
  }
  r.status = res->status;
  r.body = std::move(res->body);  // the API server's: trusted as the cluster is
  if (!r.ok()) describe(r);
  std::lock_guard lock(mu_);
  last_outcome_ = std::to_string(r.status / 100) + "xx";
  if (idle_.size() < kMaxIdle) idle_.push_back(std::move(c));
  return r;
}

KubeReply KubeClient::get(const std::string& path) { return send(Method::get, path, ""); }
KubeReply KubeClient::post(const std::string& path, const std::string& json) { return send(Method::post, path, json); }
KubeReply KubeClient::patch_merge(const std::string& path, const std::string& json) {
  return send(Method::patch, path, json);
}
KubeReply KubeClient::del(const std::string& path, const std::string& json) { return send(Method::del, path, json); }

KubeReply KubeClient::stream(const std::string& path, KubeStream& stream, std::chrono::milliseconds read_timeout,
                             const std::function<bool(std::string_view)>& on_data) {
  auto c = connect(read_timeout);
  c->set_keep_alive(false);
  {
    std::lock_guard lock(stream.mu_);
    if (stream.stopped_) return KubeReply{0, "", "", "stopped"};
    stream.client_ = c.get();
  }
  httplib::Headers h = {{"Accept", "application/json"}, {"User-Agent", std::string("convox-workflows/") + kVersion}};
  if (std::string t = token(); !t.empty()) h.emplace("Authorization", "Bearer " + t);
  int status = 0;
  bool declined = false;  // ON_DATA had enough: no failure of the stream's
  std::string refusal;
  auto res = c->Get(
      path.c_str(), h,
      [&](const httplib::Response& response) {
        status = response.status;
        return true;
      },
      [&](const char* data, std::size_t n) {
        if (status < 200 || status >= 300) {
          if (refusal.size() < 65536) refusal.append(data, std::min<std::size_t>(n, 65536));
          return true;
        }
        if (stream.stopped()) return false;
        declined = !on_data(std::string_view(data, n));
        return !declined;
      });
  {
    std::lock_guard lock(stream.mu_);
    stream.client_ = nullptr;
  }
  KubeReply r;
  r.status = status;
  if (status == 0 && !res) {
    r.error = stream.stopped() ? "stopped" : "no answer from the Kubernetes API (" + config_.server + "): " +
                                                 httplib::to_string(res.error());
    return r;
  }
  if (status < 200 || status >= 300) {
    r.body = std::move(refusal);
    describe(r);
  } else if (!res && !stream.stopped() && !declined) {
    r.error = "the stream broke: " + httplib::to_string(res.error());
  }
  return r;
}

}  // namespace cwf::kube
