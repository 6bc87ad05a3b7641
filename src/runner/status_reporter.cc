#include "runner/status_reporter.hh"

#include <algorithm>

#include "config/duration.hh"
#include "util/log.hh"
#include "util/workers.hh"

namespace cwf::runner {
namespace {

constexpr int kMaxAttempts = 10;  // with backoff capped at 5 min: about half an hour of outage

std::string took(const store::JobRecord& j) {
  if (!j.started_at || !j.finished_at) return "";
  auto s = std::max<std::int64_t>(0, (*j.finished_at - *j.started_at) / 1000);
  return " in " + config::format_duration(config::Seconds(s));
}

}  // namespace

forge::StatusPost post_for(const store::JobRecord& job, const std::string& public_url) {
  using forge::PostState;
  forge::StatusPost p;
  p.context = std::string(forge::kOwnContextPrefix) + job.workflow;
  if (!public_url.empty()) p.target_url = public_url + "/jobs/" + std::to_string(job.id);
  auto with_reason = [&](const char* what) { return job.reason.empty() ? what : std::string(what) + ": " + job.reason; };
  switch (job.state) {
    case store::JobState::waiting:
      p.state = PostState::pending;
      p.description = with_reason("Waiting");
      break;
    case store::JobState::queued:
      p.state = PostState::pending;
      p.description = "Queued";
      break;
    case store::JobState::running:
      p.state = PostState::running;
      p.description = "Running " + std::to_string(job.tasks.size()) + (job.tasks.size() == 1 ? " task" : " tasks");
      break;
    case store::JobState::succeeded:
      p.state = PostState::success;
      p.description = "Succeeded" + took(job);
      break;
    case store::JobState::failed:
      p.state = PostState::failure;
      p.description = with_reason("Failed");
      break;
    case store::JobState::cancelled:
      p.state = PostState::error;
      p.description = with_reason("Cancelled");
      break;
    case store::JobState::skipped:
      p.state = PostState::error;
      p.description = with_reason("Not run");
      break;
    case store::JobState::interrupted:
      p.state = PostState::error;
      p.description = "Interrupted: the runner stopped while the job ran";
      break;
  }
  p.description = forge::short_description(p.description);
  return p;
}

StatusReporter::StatusReporter(std::map<std::string, forge::ForgeApi*> forges, std::string public_url)
    : forges_(std::move(forges)), public_url_(std::move(public_url)) {
  while (!public_url_.empty() && public_url_.back() == '/') public_url_.pop_back();
  for (int i = 0; i < 2; ++i) workers_.emplace_back([this] { work(); });
}

StatusReporter::~StatusReporter() { stop(); }

void StatusReporter::job(const store::JobRecord& job) {
  if (job.trigger == "exec" || !forges_.count(job.integration)) return;
  post(job.integration, job.repository, job.commit_sha, post_for(job, public_url_));
}

void StatusReporter::post(const std::string& integration, const std::string& repository, const std::string& sha,
                          forge::StatusPost post) {
  if (!forges_.count(integration)) return;
  {
    std::lock_guard lock(mu_);
    Entry& e = queue_[{integration, repository, sha, post.context}];
    if (e.sending) {
      e.next = std::move(post);
    } else {
      e.post = std::move(post);
      e.due = Clock::now();
      e.attempts = 0;
    }
  }
  changed_.notify_all();
}

void StatusReporter::work() {
  std::unique_lock lock(mu_);
  while (!stopping_) {
    auto next = queue_.end();
    for (auto it = queue_.begin(); it != queue_.end(); ++it)
      if (!it->second.sending && (next == queue_.end() || it->second.due < next->second.due)) next = it;
    if (next == queue_.end()) {
      changed_.wait(lock);
      continue;
    }
    if (next->second.due > Clock::now()) {
      changed_.wait_until(lock, next->second.due);
      continue;
    }
    Key key = next->first;
    Entry& e = next->second;
    e.sending = true;
    forge::StatusPost post = e.post;
    lock.unlock();
    const auto& [integration, repository, sha, context] = key;
    forge::HttpReply reply = forges_.at(integration)->post(repository, sha, post);
    lock.lock();
    Entry& after = queue_.at(key);  // entries are only erased here, by the worker that sends them
    after.sending = false;
    ++after.attempts;
    if (reply.ok()) ++counts_[integration].posted;
    if (after.next) {
      after.post = std::move(*after.next);
      after.next.reset();
      after.due = Clock::now();
      after.attempts = 0;
    } else if (!reply.ok() && reply.transient() && after.attempts < kMaxAttempts) {
      ++counts_[integration].retried;
      auto backoff = std::min<std::chrono::milliseconds>(std::chrono::seconds(1L << std::min(after.attempts, 8)),
                                                         std::chrono::minutes(5));
      after.due = Clock::now() + std::max(backoff, reply.retry_after);
      log::warn("cannot post a commit status; retrying",
                {{"forge", integration}, {"repository", repository}, {"commit", sha.substr(0, 12)},
                 {"context", context}, {"error", reply.error}});
    } else {
      if (!reply.ok()) {
        ++counts_[integration].dropped;
        log::warn("cannot post a commit status; giving up",
                  {{"forge", integration}, {"repository", repository}, {"commit", sha.substr(0, 12)},
                   {"context", context}, {"error", reply.error}});
      }
      queue_.erase(key);
    }
    changed_.notify_all();
  }
}

void StatusReporter::flush(std::chrono::milliseconds max) {
  std::unique_lock lock(mu_);
  // Only what can go out now: posts waiting out a backoff would not make it.
  changed_.wait_for(lock, max, [&] {
    for (const auto& [k, e] : queue_)
      if (e.sending || e.due <= Clock::now()) return false;
    return true;
  });
}

void StatusReporter::stop() { stop_workers(mu_, stopping_, changed_, workers_); }

std::map<std::string, StatusReporter::Counts> StatusReporter::counts() const {
  std::lock_guard lock(mu_);
  return counts_;
}

std::size_t StatusReporter::pending() const {
  std::lock_guard lock(mu_);
  return queue_.size();
}

}  // namespace cwf::runner
