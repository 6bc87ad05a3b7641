// The runner's side of the forges: their APIs, the commit-status gate, and
// the statuses it posts (each job's state; the workflows file's verdict).
#include "config/loader.hh"
#include "git/repository.hh"
#include "config/source.hh"
#include "runner/runner.hh"
#include "util/log.hh"

namespace cwf::runner {
namespace {

const std::string kConfigContext = std::string(forge::kOwnContextPrefix) + "config";

bool full_sha(const std::string& s) {
  return s.size() == 40 && s.find_first_not_of("0123456789abcdef") == std::string::npos;
}

}  // namespace

void Runner::start_forges() {
  forge::HttpOptions http;
  http.timeout = options_.forge_timeout;
  github_ = forge::make_github(options_.github_api_url, options_.forges.github_token, http);
  gitlab_ = forge::make_gitlab(options_.gitlab_api_url, options_.forges.gitlab_token, http);
  // Reading statuses works without a token on public repositories; posting never does.
  std::map<std::string, forge::ForgeApi*> readers{{"github", github_.get()}, {"gitlab", gitlab_.get()}}, posters;
  if (!options_.forges.github_token.empty()) posters["github"] = github_.get();
  if (!options_.forges.gitlab_token.empty()) posters["gitlab"] = gitlab_.get();
  for (const char* forge : {"github", "gitlab"})
    if (!posters.count(forge))
      log::info("commit statuses are not posted to this forge: no token",
                {{"forge", forge}, {"token", std::string(forge) == "github" ? "GITHUB_TOKEN" : "GITLAB_TOKEN"}});
  reporter_ = std::make_unique<StatusReporter>(posters, options_.public_url);
  deployments_ = std::make_unique<DeploymentReporter>(posters, store_, options_.public_url);
  Gate::Hooks hooks;
  hooks.passed = [this](const store::JobRecord& job) { scheduler_->submit(job); };
  hooks.waiting = [this](const store::JobRecord& job) { reporter_->job(job); };
  hooks.ended = [this](std::int64_t id) { report(id); };
  gate_ = std::make_unique<Gate>(store_, readers, options_.gate, std::move(hooks));
}

void Runner::stop_forges() {
  // A forge that hangs must not hold the exit: requests in flight are cut.
  for (forge::ForgeApi* f : {github_.get(), gitlab_.get()}) f->http().abort();
  gate_->stop();  // waiting jobs stay waiting, for the next start
  reporter_->stop();
  deployments_->stop();
}

void Runner::report(std::int64_t id) {
  prune_due_ = true;
  if (!reporter_) return;
  if (auto job = store_.get_job(id)) reporter_->job(*job);
}

std::vector<server::ForgeStats> Runner::forge_stats() const {
  std::vector<server::ForgeStats> out;
  if (!github_) return out;
  auto posts = reporter_->counts();
  for (const forge::ForgeApi* f : {github_.get(), gitlab_.get()}) {
    server::ForgeStats s;
    s.forge = f->name();
    s.replies = f->http().counts();
    std::string last = f->http().last_outcome();
    s.up = last != "none" && last != "5xx";
    if (auto it = posts.find(s.forge); it != posts.end()) {
      s.posted = it->second.posted;
      s.retried = it->second.retried;
      s.dropped = it->second.dropped;
    }
    out.push_back(std::move(s));
  }
  return out;
}

int Runner::recheck_status(server::Forge forge, const server::StatusHint& hint) {
  if (!gate_) return 0;
  return gate_->recheck(forge == server::Forge::github ? "github" : "gitlab", hint.repository, hint.sha);
}

void Runner::report_config(const std::string& sha, const std::vector<std::string>& errors) {
  if (!reporter_ || !full_sha(sha)) return;
  auto repo = watcher::forge_repository(config_url_, options_.forges);
  if (!repo) return;
  forge::StatusPost post;
  post.context = kConfigContext;
  post.state = errors.empty() ? forge::PostState::success : forge::PostState::failure;
  post.description = errors.empty() ? options_.config_path + " is valid" : errors.front();
  if (!options_.public_url.empty()) post.target_url = options_.public_url + "/";
  reporter_->post(repo->first, repo->second, sha, post);
}

void Runner::review_app_ended(const store::JobRecord& done) {
  if (!deployments_ || !done.pull_request || done.state != store::JobState::succeeded) return;
  auto repo = watcher::forge_repository(done.remote, options_.forges);
  auto app = store_.review_app(done.remote, done.workflow, *done.pull_request);
  if (!repo || !app) return;
  if (done.teardown && app->state == "deleted") deployments_->deleted(repo->first, repo->second, *app);
  else if (!done.teardown && app->state == "active" && app->last_commit == done.commit_sha)
    deployments_->deployed(repo->first, repo->second, *app, done.id);
}

void Runner::check_branch_config(const std::string& url, const store::HeadChange& change) {
  if (!reporter_ || change.new_sha.empty() || !watcher::forge_repository(url, options_.forges)) return;
  auto repo = git::Repository::discover(source_of(url));
  if (!repo) return;
  auto file = (*repo)->read_file(change.new_sha, options_.config_path, config::kMaxSourceBytes);
  if (!file || !file->exists) return;  // a branch without a workflows file says nothing
  auto loaded = config::load(config::Source{options_.config_path, file->content, file->size},
                             config::LoadOptions{options_.executor.racks.get(), options_.executor.task_backend});
  std::vector<std::string> errors;
  for (const auto& d : loaded.diags.items())
    if (d.severity == config::Severity::error) errors.push_back(config::format_diagnostic(options_.config_path, d, true));
  log::info("checked the workflows file of a branch", {{"branch", change.branch},
                                                       {"commit", change.new_sha.substr(0, 12)},
                                                       {"errors", std::to_string(errors.size())}});
  report_config(change.new_sha, errors);
}

}  // namespace cwf::runner
