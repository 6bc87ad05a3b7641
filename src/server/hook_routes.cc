// Webhooks: GitHub's and GitLab's deliveries as hints to poll (webhook.hh).
#include "server/http_head.hh"
#include "server/http_internal.hh"
#include "server/socket_stream.hh"
#include "util/log.hh"

namespace cwf::server {
namespace {

const char* forge_name(Forge f) { return f == Forge::github ? "github" : "gitlab"; }

// Forges send a UUID; anything else is kept out of the store and the log.
bool delivery_id_ok(const std::string& id) {
  return id.size() <= 128 && std::all_of(id.begin(), id.end(), [](char c) {
           return std::isalnum(static_cast<unsigned char>(c)) || c == '-' || c == '_' || c == '.';
         });
}

constexpr std::int64_t kDeliveryWindowMs = 24 * 3600 * 1000;

}  // namespace

void HttpServer::count_delivery(Forge forge, const std::string& outcome) {
  std::lock_guard lock(mu_);
  deliveries_[{forge_name(forge), outcome}]++;
}

HttpServer::Delivery HttpServer::webhook(Forge forge, const std::string& delivery, const std::string& event,
                                         bool authentic, const std::string& body) {
  bool duplicate = false;
  auto done = [&](int code, const std::string& outcome, const std::string& message) {
    count_delivery(forge, outcome);
    log::info("webhook delivery", {{"forge", forge_name(forge)}, {"delivery", delivery}, {"event", event},
                                   {"outcome", outcome}, {"status", std::to_string(code)}});
    return Delivery{code, message, duplicate};
  };
  const std::string& secret = forge == Forge::github ? options_.github_secret : options_.gitlab_secret;
  if (secret.empty())
    return done(403, "disabled", std::string("webhooks from ") + forge_name(forge) + " are not configured (--" +
                                     forge_name(forge) + "-webhook-secret-file)");
  if (!authentic) return done(401, "unauthorized", "bad or missing signature");
  // Only authentic deliveries are remembered: otherwise anyone could spend a
  // real delivery's id in advance.
  if (!delivery.empty() && !store_.record_delivery(forge_name(forge), delivery, store::now_ms(), kDeliveryWindowMs)) {
    duplicate = true;
    return done(200, "duplicate", "delivery " + delivery + " was received before; nothing done");
  }
  if (forge == Forge::github && event == "ping") return done(200, "ping", "pong");
  if (is_status_event(forge, event)) {
    auto hint = parse_status_event(forge, event, body);
    if (!hint) return done(400, "malformed", hint.error().message);
    int waiting = runner_.recheck_status(forge, *hint);
    if (waiting == 0)
      return done(202, "ignored", "no job waits on " + hint->repository + "@" + hint->sha.substr(0, 12));
    return done(202, "rechecked", "reading the status of " + hint->sha.substr(0, 12) + " again for " +
                                      std::to_string(waiting) + " waiting job(s)");
  }
  bool push = forge == Forge::github ? event == "push" : event == "Push Hook";
  // A PR's or MR's event names its (base) repository as a push does; what
  // changed is read from the forge and git, never from the payload.
  bool pull_request = forge == Forge::github ? event == "pull_request" : event == "Merge Request Hook";
  if (!push && !pull_request) return done(202, "ignored", "event '" + event.substr(0, 100) + "' ignored");
  auto hint = parse_push(forge, body);
  if (!hint) return done(400, "malformed", hint.error().message);
  if (push && hint->ref.rfind("refs/heads/", 0) != 0) return done(202, "ignored", "not a branch: " + hint->ref);
  int polled = runner_.poll_for_push(forge, *hint);
  if (polled == 0) return done(202, "ignored", "repository '" + hint->repository + "' is not watched");
  return done(202, "polled", "listing " + std::to_string(polled) + " remote(s) now");
}

void HttpServer::hook_routes() {
  auto hook = [this](Forge forge) {
    return [this, forge](const httplib::Request& req, httplib::Response& res, const httplib::ContentReader& reader) {
      bool github = forge == Forge::github;
      std::string delivery = req.get_header_value(github ? "X-GitHub-Delivery" : "X-Gitlab-Event-UUID");
      std::string event = req.get_header_value(github ? "X-GitHub-Event" : "X-Gitlab-Event");
      if (!delivery_id_ok(delivery)) return error_reply(res, 400, "a malformed delivery id");
      const std::string& secret = github ? options_.github_secret : options_.gitlab_secret;
      bool authentic = false;
      std::string body;
      // GitLab's token is a header: a stranger's body is never read. GitHub
      // signs the body, which is read only up to the limit.
      bool read_body = !secret.empty() && (github || gitlab_token_valid(secret, req.get_header_value("X-Gitlab-Token")));
      if (read_body) {
        if (auto length = req.get_header_value<std::uint64_t>("Content-Length"); length > 0) body.reserve(length);
        bool too_large = false;
        bool read = reader([&](const char* data, std::size_t n) {
          if (body.size() + n > kMaxWebhookBody) {
            too_large = true;
            return false;
          }
          // Doubling, but never past the limit: a refused body costs at most the limit.
          if (body.size() + n > body.capacity())
            body.reserve(std::min<std::size_t>(kMaxWebhookBody, std::max<std::size_t>(2 * body.capacity(), body.size() + n)));
          body.append(data, n);
          return true;
        });
        auto* stream = SocketStream::current();
        if (too_large || (stream && stream->body_over_limit())) {
          count_delivery(forge, "too_large");
          // The poller still finds the push: only the hint is lost.
          return error_reply(res, 413, "a webhook body is at most " + std::to_string(kMaxWebhookBody >> 20) +
                                           " MiB; the push is found by the next poll");
        }
        if (!read) return error_reply(res, 400, "the body could not be read");
        authentic = !github || github_signature_valid(secret, body, req.get_header_value("X-Hub-Signature-256"));
      }
      // GitHub's other content type: the JSON as the form field `payload`
      // (the signature covers the raw body).
      if (req.get_header_value("Content-Type") == "application/x-www-form-urlencoded") {
        auto form = parse_query(body);
        auto it = form.find("payload");
        body = it == form.end() ? std::string() : it->second;
      }
      auto d = webhook(forge, delivery, event, authentic, body);
      if (d.status >= 400) error_reply(res, d.status, d.message);
      else if (d.duplicate) json_reply(res, d.status, {{"duplicate", true}, {"result", d.message}});
      else json_reply(res, d.status, {{"result", d.message}});
    };
  };
  http_->route_with_reader("/hooks/github", hook(Forge::github));
  http_->route_with_reader("/hooks/gitlab", hook(Forge::gitlab));
}

}  // namespace cwf::server
