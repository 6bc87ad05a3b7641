// What people ask of the runner over HTTP: trigger a workflow, cancel a job,
// rerun one. Every job still goes through the scheduler's rules.
#include "config/names.hh"
#include "git/remote.hh"
#include "runner/runner.hh"
#include "util/log.hh"

namespace cwf::runner {
namespace {

server::ActionResult failure(int status, std::string error) { return {status, std::move(error), std::nullopt}; }

bool full_sha(const std::string& s) {
  return s.size() == 40 && s.find_first_not_of("0123456789abcdef") == std::string::npos;
}

// A job that follows OLD (a rerun, a promotion): the same commit, and the
// same pull request with the same trust.
store::NewJob follow_up(const config::Workflow& wf, const store::JobRecord& old, const char* trigger) {
  store::NewJob job = executor::new_job({&wf, old.repository, old.branch, old.commit_sha, trigger, old.remote,
                                         old.pull_request, old.untrusted});
  job.pull_request_url = old.pull_request_url;
  job.commit_title = old.commit_title;
  job.commit_author = old.commit_author;
  job.parent_job_id = old.id;
  return job;
}

}  // namespace

server::ActionResult Runner::enqueue(store::NewJob job, int status) {
  std::int64_t id = store_.create_job(job, store::now_ms());
  auto record = store_.get_job(id);
  log::info("job requested", {{"job", std::to_string(id)}, {"workflow", job.workflow}, {"trigger", job.trigger},
                              {"branch", job.branch}, {"commit", job.commit_sha.substr(0, 12)}});
  scheduler_->submit(*record);
  return {status, "", store_.get_job(id)};
}

server::ActionResult Runner::trigger(const std::string& name, const std::string& branch, const std::string& commit) {
  ConfigPtr config = reconciler_.current();
  const config::Workflow* wf = config->find(name);
  if (!wf) return failure(404, "no workflow '" + name + "'");
  if (branch.empty() && commit.empty()) return failure(400, "give \"branch\" or \"commit\"");
  if (!commit.empty() && !full_sha(commit)) return failure(400, "commit: a full 40-character SHA, in lower case");
  if (!branch.empty() && config::branch_error(branch)) return failure(400, "branch: " + *config::branch_error(branch));
  std::string url = remote_of(wf->trigger), source = source_of(url);
  auto creds = watcher::credentials_for(url, options_.forges);
  std::string sha = commit;
  if (sha.empty()) {
    auto heads = git::list_branches(url, creds);
    if (!heads) return failure(502, "cannot list " + config::redact_url(url) + ": " + heads.error().message);
    for (const auto& h : *heads)
      if (h.branch == branch) sha = h.sha;
    if (sha.empty()) return failure(422, "no branch '" + branch + "' on " + config::redact_url(url));
  }
  if (!git::has_commit(source, sha) && !watcher::local_path(url) && !branch.empty()) {
    if (auto error = git::fetch_branches(source, url, {branch}, creds))
      return failure(502, "cannot fetch " + branch + ": " + error->message);
  }
  if (!git::has_commit(source, sha))
    return failure(422, "commit " + sha + " is not in " + config::redact_url(url) +
                            " (give the branch it is on, so it can be fetched)");
  store::NewJob job = executor::new_job({wf, wf->trigger.repository, branch, sha, "manual", url, std::nullopt, false});
  describe(job);
  return enqueue(std::move(job), 201);
}

server::ActionResult Runner::cancel(std::int64_t id) {
  auto job = store_.get_job(id);
  if (!job) return failure(404, "no job " + std::to_string(id));
  if (store::is_final(job->state))
    return failure(409, "job " + std::to_string(id) + " has already ended (" + store::to_string(job->state) + ")");
  if (gate_->cancel(id, "cancelled over the API")) return {200, "", store_.get_job(id)};
  auto outcome = scheduler_->cancel(id, "cancelled over the API");
  if (outcome == Scheduler::Cancel::not_here)
    return failure(409, "job " + std::to_string(id) + " is not run by this runner");
  return {outcome == Scheduler::Cancel::cancelling ? 202 : 200, "", store_.get_job(id)};
}

server::ActionResult Runner::rerun(std::int64_t id) {
  auto old = store_.get_job(id);
  if (!old) return failure(404, "no job " + std::to_string(id));
  if (old->remote.empty()) return failure(409, "job " + std::to_string(id) + " was not run by a runner (exec)");
  if (old->teardown) {  // deleting a review app again needs no workflow
    store::NewJob job;
    job.workflow = old->workflow;
    job.repository = old->repository;
    job.commit_sha = old->commit_sha;
    job.trigger = "rerun";
    job.remote = old->remote;
    job.pull_request = old->pull_request;
    job.teardown = true;
    job.integration = old->integration;
    job.parent_job_id = id;
    for (const auto& t : old->tasks) job.tasks.emplace_back(t.name, t.type);
    return enqueue(std::move(job), 201);
  }
  const config::Workflow* wf = reconciler_.current()->find(old->workflow);
  if (!wf) return failure(409, "workflow '" + old->workflow + "' is no longer in the workflows file");
  store::NewJob job = follow_up(*wf, *old, "rerun");
  return enqueue(std::move(job), 201);
}

WorkflowPtr Runner::resolve(const store::JobRecord& job) const {
  if (job.teardown) return teardown_workflow(job);  // the workflow may be gone: its app still goes
  ConfigPtr config = reconciler_.current();
  const config::Workflow* wf = config->find(job.workflow);
  if (!wf) return nullptr;
  if (!job.promote_task) return WorkflowPtr(config, wf);  // keeps the whole config alive
  auto parent = job.parent_job_id ? store_.get_job(*job.parent_job_id) : std::nullopt;
  auto n = static_cast<std::size_t>(*job.promote_task);
  if (!parent || n >= parent->tasks.size() || n >= wf->tasks.size()) return nullptr;
  const config::Task& build = wf->tasks[n];
  config::Task promote;
  promote.type = config::TaskType::promote;
  promote.name = "promote " + build.app;
  promote.timeout = build.timeout;
  promote.app = build.app;
  promote.rack = build.rack;
  promote.health_check = build.health_check;
  promote.release = parent->tasks[n].release_id;
  promote.pos = build.pos;
  auto synthetic = std::make_shared<config::Workflow>();
  synthetic->name = wf->name;
  synthetic->trigger = wf->trigger;
  synthetic->pos = wf->pos;
  synthetic->tasks.push_back(std::move(promote));
  return synthetic;
}

server::ActionResult Runner::promote(std::int64_t id, int n) {
  auto old = store_.get_job(id);
  if (!old) return failure(404, "no job " + std::to_string(id));
  if (n < 0 || n >= static_cast<int>(old->tasks.size()))
    return failure(404, "job " + std::to_string(id) + " has no task " + std::to_string(n));
  const auto& t = old->tasks[static_cast<std::size_t>(n)];
  if (t.type != "build" && t.type != "copy")
    return failure(422, "task " + std::to_string(n) + " is a " + t.type + " task: only a build's or a copy's release can be promoted");
  if (t.state != store::TaskState::succeeded || t.release_id.empty())
    return failure(409, "task " + std::to_string(n) + " (" + t.name + ") made no release to promote");
  if (old->remote.empty()) return failure(409, "job " + std::to_string(id) + " was not run by a runner (exec)");
  const config::Workflow* wf = reconciler_.current()->find(old->workflow);
  if (!wf) return failure(409, "workflow '" + old->workflow + "' is no longer in the workflows file");
  const auto& defined = wf->tasks;
  if (static_cast<std::size_t>(n) >= defined.size() || config::to_string(defined[static_cast<std::size_t>(n)].type) != t.type ||
      defined[static_cast<std::size_t>(n)].name != t.name)
    return failure(409, "workflow '" + wf->name + "' changed since job " + std::to_string(id) + ": tasks[" +
                            std::to_string(n) + "] is no longer '" + t.name + "'");
  if (defined[static_cast<std::size_t>(n)].promote)
    return failure(409, "task " + std::to_string(n) + " (" + t.name + ") promotes its release itself (promote: true)");
  store::NewJob job = follow_up(*wf, *old, "manual");
  job.tasks = {{"promote " + defined[static_cast<std::size_t>(n)].app, "promote"}};
  job.promote_task = n;
  return enqueue(std::move(job), 201);
}

}  // namespace cwf::runner
