#include "notify/notifier.hh"

#include <algorithm>
#include <cctype>
#include <random>

#include "notify/event.hh"
#include "notify/messages.hh"
#include "util/log.hh"
#include "util/masker.hh"

namespace cwf::notify {
namespace {

using std::chrono::milliseconds;
using Outcome = store::NotificationAttempt::Outcome;

double random_unit() {
  thread_local std::mt19937 gen{std::random_device{}()};
  return std::uniform_real_distribution<double>(0.0, 1.0)(gen);
}

}  // namespace

milliseconds retry_delay(int attempts, milliseconds first, milliseconds max, milliseconds retry_after, double jitter) {
  milliseconds wait = first;
  for (int i = 1; i < attempts && wait < max; ++i) wait *= 2;
  wait = std::min(wait, max);
  auto spread = static_cast<milliseconds::rep>(static_cast<double>(wait.count()) * (jitter - 0.5) / 5.0);
  return std::max(wait + milliseconds(spread), retry_after);
}

Outcome classify(const SendResult& r) {
  if (r.ok()) return Outcome::delivered;
  if (r.status == 0 || r.status == 429 || r.status >= 500) return Outcome::retry;
  return Outcome::failed;  // the receiver refused it: sending it again would be refused again
}

Notifier::Notifier(store::JobStore& store, Sender& sender, NotifierOptions options, EnvLookup env)
    : store_(store), sender_(sender), options_(std::move(options)), env_(std::move(env)) {}

Notifier::~Notifier() { stop(milliseconds(0)); }

void Notifier::start() {
  for (int i = 0; i < options_.workers; ++i) workers_.emplace_back([this] { work(); });
}

void Notifier::wake() {
  {
    std::lock_guard lock(wake_mu_);
    ++wakes_;
  }
  woken_.notify_all();
}

void Notifier::flush(milliseconds max) {
  auto until = std::chrono::steady_clock::now() + max;
  while (std::chrono::steady_clock::now() < until) {
    try {
      if (sending_ == 0 && store_.due_notifications(store::now_ms(), {}, 1).empty()) return;
    } catch (const store::StoreError&) {
      return;
    }
    wake();
    std::this_thread::sleep_for(milliseconds(20));
  }
}

void Notifier::stop(milliseconds grace) {
  {
    std::lock_guard lock(wake_mu_);
    if (stopping_ && workers_.empty()) return;
    stopping_ = true;
  }
  woken_.notify_all();
  auto until = std::chrono::steady_clock::now() + grace;
  while (sending_ > 0 && std::chrono::steady_clock::now() < until) std::this_thread::sleep_for(milliseconds(10));
  sender_.abort();
  for (auto& t : workers_) t.join();
  workers_.clear();
}

std::map<std::string, Notifier::Counts> Notifier::counts() const {
  std::lock_guard lock(counts_mu_);
  return counts_;
}

void Notifier::work() {
  for (;;) {
    std::uint64_t seen = 0;  // a wake after this makes the wait below return at once
    {
      std::lock_guard lock(wake_mu_);
      if (stopping_) return;
      seen = wakes_;
    }
    std::vector<store::Notification> due;
    std::optional<std::int64_t> next_at;
    {
      std::lock_guard claim(claim_mu_);
      try {
        due = store_.due_notifications(store::now_ms(), busy_, 1);
        if (due.empty()) next_at = store_.next_notification_at(busy_);
      } catch (const store::StoreError& e) {
        log::error("cannot read the notifications' queue", {{"error", e.what()}});
      }
      if (!due.empty()) {
        busy_.push_back(due[0].id);
        ++sending_;
      }
    }
    if (due.empty()) {
      // Until the next one is due, or woken: whatever is queued or sent wakes
      // the workers (the hook, a retry by hand, a worker done with one), so
      // an idle notifier costs nothing. 30 s: a net for what nothing announced.
      milliseconds wait(30000);
      if (next_at) wait = std::clamp(milliseconds(*next_at - store::now_ms()), milliseconds(1), wait);
      std::unique_lock lock(wake_mu_);
      woken_.wait_for(lock, wait, [&] { return wakes_ != seen || stopping_; });
      continue;
    }
    deliver(due[0]);
    {
      std::lock_guard claim(claim_mu_);
      busy_.erase(std::remove(busy_.begin(), busy_.end(), due[0].id), busy_.end());
      --sending_;
    }
    wake();  // the same job's next event to this target may wait on this one
  }
}

void Notifier::deliver(const store::Notification& n) {
  auto target = parse_target(n.target);
  std::vector<std::string> secrets = options_.masked;
  store::NotificationAttempt a;
  SendResult r;
  std::string kind = target && target->slack ? "slack" : "webhook";
  if (!target) {
    r.error = "not sent: its target cannot be read";
    r.status = 400;  // final: no attempt can do better
  } else {
    std::string url = target->slack ? env_(target->url_env) : target->url;
    // A secret's file or manifest often ends with a newline the URL doesn't have.
    while (!url.empty() && std::isspace(static_cast<unsigned char>(url.back()))) url.pop_back();
    std::string secret = target->slack ? "" : env_(target->secret_env);
    for (const std::string* s : {&url, &secret})
      if (!s->empty()) secrets.push_back(*s);
    if (url.empty()) {
      r.error = "not sent: $" + target->url_env + " is not set in the runner's environment";
    } else if (!target->slack && secret.empty()) {
      r.error = "not sent: $" + target->secret_env + " (the signing secret) is not set in the runner's environment";
    } else {
      std::string body;
      Headers headers = {{"X-Convox-Workflows-Event", n.event}, {"X-Convox-Workflows-Delivery", n.delivery}};
      auto payload = nlohmann::ordered_json::parse(n.payload, nullptr, false);
      if (payload.is_discarded() || !payload.is_object()) {
        r.error = "not sent: its payload cannot be read";
        r.status = 400;
      } else if (target->slack) {
        body = slack_message(payload);
      } else {
        payload["delivery"] = n.delivery;
        body = payload.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace);
        std::int64_t t = store::now_ms() / 1000;
        headers.emplace_back("X-Convox-Workflows-Signature", signature(secret, t, body));
      }
      if (!body.empty()) r = sender_.post(url, body, headers, options_.deadline);
    }
  }
  a.at = store::now_ms();
  a.outcome = classify(r);
  if (r.status > 0) a.status = r.status;
  Masker masker(secrets);
  a.error = masker.contains_secret(r.error) ? masker.mask(r.error) : r.error;
  if (a.outcome == Outcome::retry) {
    milliseconds wait = retry_delay(n.attempts + 1, options_.first_retry, options_.max_retry, r.retry_after, random_unit());
    a.next_at = a.at + wait.count();
    if (a.next_at > n.created_at + options_.give_up_after.count()) {
      a.outcome = Outcome::failed;
      a.error = "gave up after " + std::to_string(n.attempts + 1) + " attempts: " + a.error;
    }
  } else if (a.outcome == Outcome::failed && r.status >= 300 && r.status < 400) {
    a.error += " (a redirect is not followed: set the URL it points to)";
  }
  std::string shown = target ? describe(*target) : "(unreadable)";
  log::Fields fields = {{"job", std::to_string(n.job_id)}, {"event", n.event}, {"target", shown},
                        {"delivery", n.delivery}, {"attempts", std::to_string(n.attempts + 1)}};
  if (a.outcome == Outcome::delivered) {
    log::info("notification delivered", fields);
  } else {
    fields.emplace_back("error", a.error);
    if (a.outcome == Outcome::retry) {
      fields.emplace_back("retry_in_ms", std::to_string(a.next_at - a.at));
      log::warn("notification not delivered; trying again later", fields);
    } else {
      log::error("notification not delivered; giving up", fields);
    }
  }
  {
    std::lock_guard lock(counts_mu_);
    auto& c = counts_[kind];
    (a.outcome == Outcome::delivered ? c.delivered : a.outcome == Outcome::retry ? c.retried : c.failed)++;
  }
  // After a 2xx nothing may send it again: its record is retried until it lands.
  for (int tries = 0;; ++tries) {
    try {
      store_.record_notification_attempt(n.id, a);
      return;
    } catch (const store::StoreError& e) {
      bool stopping = false;
      {
        std::lock_guard lock(wake_mu_);
        stopping = stopping_;
      }
      if (a.outcome != Outcome::delivered || tries >= 600 || stopping) {
        log::error("cannot record a notification's attempt", {{"delivery", n.delivery}, {"error", e.what()}});
        return;
      }
      std::this_thread::sleep_for(milliseconds(1000));
    }
  }
}

}  // namespace cwf::notify
