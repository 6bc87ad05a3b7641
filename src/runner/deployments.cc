#include "runner/deployments.hh"

#include "util/log.hh"

namespace cwf::runner {

std::string review_environment(int pull_request) { return "review/pr-" + std::to_string(pull_request); }

DeploymentReporter::DeploymentReporter(std::map<std::string, forge::ForgeApi*> forges, store::JobStore& store,
                                       std::string public_url)
    : forges_(std::move(forges)), store_(store), public_url_(std::move(public_url)), worker_([this] { work(); }) {}

DeploymentReporter::~DeploymentReporter() { stop(); }

void DeploymentReporter::stop() {
  {
    std::lock_guard lock(mu_);
    stopping_ = true;
  }
  wake_.notify_all();
  if (worker_.joinable()) worker_.join();
}

void DeploymentReporter::deployed(const std::string& forge, const std::string& repository, const store::ReviewApp& app,
                                  std::int64_t job) {
  if (!forges_.count(forge)) return;
  {
    std::lock_guard lock(mu_);
    if (queue_.size() >= 1000) return;  // a forge down for long: the apps still run, only the report is lost
    queue_.push_back({true, forge, repository, app, job});
  }
  wake_.notify_one();
}

void DeploymentReporter::deleted(const std::string& forge, const std::string& repository, const store::ReviewApp& app) {
  if (!forges_.count(forge) || app.deployment_id.empty()) return;
  {
    std::lock_guard lock(mu_);
    if (queue_.size() >= 1000) return;
    queue_.push_back({false, forge, repository, app, 0});
  }
  wake_.notify_one();
}

void DeploymentReporter::work() {
  for (;;) {
    Item item;
    {
      std::unique_lock lock(mu_);
      wake_.wait(lock, [&] { return stopping_ || !queue_.empty(); });
      // At shutdown the forges' requests are cut already: the rest fails fast.
      if (queue_.empty()) return;
      item = std::move(queue_.front());
      queue_.pop_front();
    }
    send(item);
  }
}

void DeploymentReporter::send(const Item& item) {
  forge::ForgeApi& api = *forges_.at(item.forge);
  const store::ReviewApp& app = item.app;
  std::string where = app.app + (app.rack.empty() ? "" : " on " + app.rack);
  if (!item.deploy) {
    auto r = api.retire(item.repository, app.deployment_id);
    if (r.ok()) log::info("review app's deployment retired", {{"app", where}, {"forge", item.forge}});
    else log::warn("cannot retire the review app's deployment", {{"app", where}, {"forge", item.forge}, {"error", r.error}});
    return;
  }
  forge::Deployment d;
  d.environment = review_environment(app.pull_request);
  d.sha = app.last_commit;
  d.url = app.url;
  if (!public_url_.empty()) d.log_url = public_url_ + "/jobs/" + std::to_string(item.job);
  d.description = "review app " + where;
  auto r = api.deploy(item.repository, d);
  if (!r.id.empty()) {
    try {
      store_.record_review_app_deployment(app, r.id);
    } catch (const store::StoreError& e) {
      log::warn("cannot record the review app's deployment", {{"app", where}, {"error", e.what()}});
    }
  }
  if (r.ok())
    log::info("review app deployed on the forge", {{"app", where}, {"forge", item.forge},
                                                   {"environment", d.environment}, {"url", d.url}});
  else
    log::warn("cannot report the review app to the forge", {{"app", where}, {"forge", item.forge}, {"error", r.error}});
}

}  // namespace cwf::runner
