#include "forge/http_client.hh"

#include <httplib.h>

#include <algorithm>

#include <nlohmann/json.hpp>

#include "util/version.hh"

namespace cwf::forge {
namespace {

using Clock = std::chrono::steady_clock;
using std::chrono::milliseconds;

std::int64_t header_int(const httplib::Response& r, const char* name, std::int64_t fallback) {
  if (!r.has_header(name)) return fallback;
  try {
    return std::stoll(r.get_header_value(name));
  } catch (const std::exception&) {
    return fallback;
  }
}

// "HTTP 404: Not Found" with the forge's own message, which names the problem
// (a token without the scope, a repository that does not exist).
std::string describe(const httplib::Response& r) {
  std::string out = "HTTP " + std::to_string(r.status);
  auto j = nlohmann::json::parse(r.body, nullptr, false);
  if (j.is_object() && j.contains("message") && j["message"].is_string()) {
    std::string m = j["message"].get<std::string>();
    if (m.size() > 200) m = m.substr(0, 200) + "...";
    out += ": " + m;
  }
  return out;
}

std::string with_page(const std::string& path, const std::string& page) {
  std::size_t q = path.find('?');
  std::string base = q == std::string::npos ? path : path.substr(0, q);
  std::string query = q == std::string::npos ? "" : path.substr(q + 1), kept;
  std::size_t start = 0;
  while (start <= query.size() && !query.empty()) {
    std::size_t amp = query.find('&', start);
    std::string part = query.substr(start, amp == std::string::npos ? std::string::npos : amp - start);
    if (!part.empty() && part.rfind("page=", 0) != 0) kept += (kept.empty() ? "" : "&") + part;
    if (amp == std::string::npos) break;
    start = amp + 1;
  }
  return base + "?" + kept + (kept.empty() ? "" : "&") + "page=" + page;
}

// GitHub's Link header: the rel="next" URL, if it is under BASE.
std::string next_from_link(const std::string& link, const std::string& base) {
  std::size_t at = link.find("rel=\"next\"");
  if (at == std::string::npos) return "";
  std::size_t close = link.rfind('>', at), open = link.rfind('<', close);
  if (close == std::string::npos || open == std::string::npos) return "";
  std::string url = link.substr(open + 1, close - open - 1);
  if (url.rfind(base + "/", 0) != 0) return "";  // never follow a token to another host
  return url.substr(base.size());
}

}  // namespace

bool HttpReply::transient() const {
  return status == 0 || status == 429 || status >= 500 || (status == 403 && retry_after.count() > 0);
}

struct ForgeHttp::Connection {
  explicit Connection(const std::string& origin) : client(origin) {}
  httplib::Client client;
};


ForgeHttp::ForgeHttp(std::string base_url, std::vector<std::pair<std::string, std::string>> headers,
                     HttpOptions options)
    : base_url_(std::move(base_url)), headers_(std::move(headers)), options_(options) {
  while (base_url_.size() > 1 && base_url_.back() == '/') base_url_.pop_back();
  std::size_t host = base_url_.find("://");
  std::size_t slash = base_url_.find('/', host == std::string::npos ? 0 : host + 3);
  origin_ = base_url_.substr(0, slash);
  prefix_ = slash == std::string::npos ? "" : base_url_.substr(slash);
  headers_.emplace_back("User-Agent", std::string("convox-workflows/") + kVersion);
  headers_.emplace_back("Accept", "application/json");
}

ForgeHttp::~ForgeHttp() = default;

std::unique_ptr<ForgeHttp::Connection> ForgeHttp::take() {
  std::unique_lock lock(mu_);
  returned_.wait(lock, [&] { return aborted_ || !idle_.empty() || open_ < options_.connections; });
  if (aborted_) return nullptr;
  if (!idle_.empty()) {
    auto c = std::move(idle_.back());
    idle_.pop_back();
    busy_.push_back(c.get());
    return c;
  }
  ++open_;
  auto c = std::make_unique<Connection>(origin_);
  busy_.push_back(c.get());
  lock.unlock();
  c->client.set_connection_timeout(options_.timeout);
  c->client.set_read_timeout(options_.timeout);
  c->client.set_write_timeout(options_.timeout);
  c->client.set_keep_alive(true);
  c->client.set_tcp_nodelay(true);  // a POST is two writes: Nagle would hold the body for the ACK
  c->client.set_follow_location(false);
  httplib::Headers h;
  for (const auto& [k, v] : headers_) h.emplace(k, v);
  c->client.set_default_headers(h);
  return c;
}

void ForgeHttp::give_back(Connection* used, std::unique_ptr<Connection> keep) {
  {
    std::lock_guard lock(mu_);
    busy_.erase(std::remove(busy_.begin(), busy_.end(), used), busy_.end());
    if (keep) idle_.push_back(std::move(keep));
    else --open_;
  }
  returned_.notify_all();
}

void ForgeHttp::abort() {
  {
    std::lock_guard lock(mu_);
    aborted_ = true;
    for (Connection* c : busy_) c->client.stop();
  }
  returned_.notify_all();
}

void ForgeHttp::count(const HttpReply& r) {
  // No answer never carries a wait; a wait without an answer is our own rate-limit hold.
  std::string cls = r.status == 0 ? (r.retry_after.count() > 0 ? "limited" : "none")
                    : r.status == 429 ? "429"
                    : std::to_string(r.status / 100) + "xx";
  std::lock_guard lock(mu_);
  counts_[cls]++;
  last_outcome_ = cls;
}

HttpReply ForgeHttp::attempt(Method method, const std::string& path, const std::string& body) {
  HttpReply out;
  {
    std::lock_guard lock(mu_);
    auto now = Clock::now();
    if (now < limited_until_) {
      out.retry_after = std::chrono::duration_cast<milliseconds>(limited_until_ - now);
      out.error = "rate limit reached (x-ratelimit-remaining: 0); waiting " +
                  std::to_string(out.retry_after.count() / 1000) + "s for x-ratelimit-reset";
      return out;
    }
  }
  auto c = take();
  if (!c) {
    out.error = "not sent: the runner is stopping";
    return out;
  }
  std::string full = prefix_ + path;
  auto res = method == Method::get     ? c->client.Get(full)
             : method == Method::post  ? c->client.Post(full, body, "application/json")
             : method == Method::patch ? c->client.Patch(full, body, "application/json")
                                       : c->client.Put(full, body, "application/json");
  Connection* used = c.get();
  if (!res) {
    out.error = "no answer from " + base_url_ + ": " + httplib::to_string(res.error());
    give_back(used, nullptr);  // a broken connection is not reused
    return out;
  }
  give_back(used, std::move(c));
  out.status = res->status;
  if (!out.ok()) out.error = describe(*res);
  out.body = std::move(res->body);
  std::int64_t retry_s = header_int(*res, "Retry-After", -1);
  if (retry_s >= 0) out.retry_after = std::chrono::seconds(std::min<std::int64_t>(retry_s, 3600));
  if (header_int(*res, "x-ratelimit-remaining", 1) == 0) {
    std::int64_t reset = header_int(*res, "x-ratelimit-reset", 0);
    std::int64_t now_s = std::chrono::duration_cast<std::chrono::seconds>(
                             std::chrono::system_clock::now().time_since_epoch()).count();
    auto wait = std::chrono::seconds(std::clamp<std::int64_t>(reset - now_s, 1, 3600));
    std::lock_guard lock(mu_);
    limited_until_ = Clock::now() + wait;
    if (!out.ok()) out.retry_after = std::max<milliseconds>(out.retry_after, wait);
  }
  if (res->has_header("Link")) out.next_page = next_from_link(res->get_header_value("Link"), base_url_);
  if (std::string p = res->get_header_value("X-Next-Page"); !p.empty()) out.next_page = with_page(path, p);
  return out;
}

HttpReply ForgeHttp::send(Method method, const std::string& path, const std::string& body) {
  milliseconds budget = options_.retry_budget, backoff = options_.first_backoff;
  for (int i = 1;; ++i) {
    HttpReply r = attempt(method, path, body);
    count(r);
    if (!r.transient() || i >= options_.attempts) return r;
    milliseconds wait = std::max(backoff, r.retry_after);
    if (wait > budget) return r;
    std::unique_lock lock(mu_);
    if (returned_.wait_for(lock, wait, [&] { return aborted_; })) return r;
    budget -= wait;
    backoff *= 2;
  }
}

HttpReply ForgeHttp::get(const std::string& path) { return send(Method::get, path, ""); }
HttpReply ForgeHttp::post_json(const std::string& path, const std::string& body) { return send(Method::post, path, body); }
HttpReply ForgeHttp::patch_json(const std::string& path, const std::string& body) { return send(Method::patch, path, body); }
HttpReply ForgeHttp::put_json(const std::string& path, const std::string& body) { return send(Method::put, path, body); }

HttpReply get_pages(ForgeHttp& http, const std::string& path, std::vector<std::string>& pages, int max_pages) {
  HttpReply r = http.get(path);
  for (int n = 1; r.ok(); ++n) {
    pages.push_back(std::move(r.body));
    if (r.next_page.empty() || n >= max_pages) break;
    r = http.get(r.next_page);
  }
  return r;
}

HttpCounts ForgeHttp::counts() const {
  std::lock_guard lock(mu_);
  return counts_;
}

std::string ForgeHttp::last_outcome() const {
  std::lock_guard lock(mu_);
  return last_outcome_;
}

}  // namespace cwf::forge
