// The review_app task: "<app>-pr-<number>" on its rack, created when the
// runner hasn't yet (apps create), its environment set, built from the PR's
// head, promoted between the before/after-promote commands, and its URL read
// from `convox services`. An app of that name the runner did not create is
// never touched; only one it created is ever deleted.
#include "config/names.hh"
#include "executor/convox_cli.hh"
#include "executor/job_run.hh"

namespace cwf::executor {

using store::TaskOutcome;
using store::TaskState;

store::ReviewApp JobRun::review_app_key() const {
  store::ReviewApp key;
  key.remote = spec_.remote;
  key.workflow = spec_.workflow->name;
  key.pull_request = spec_.pull_request.value_or(0);
  key.repository = spec_.repository;
  return key;
}

TaskOutcome JobRun::review_app(const config::Task& t) {
  if (!spec_.pull_request)
    return task_ended(TaskState::failed, "a review app is made for a pull request; this job runs none (" + spec_.trigger + ")");
  config::Task app = t;  // every command acts on the review app
  app.app = config::review_app_name(t.app, *spec_.pull_request);
  app.promote = false;
  app.health_check.reset();
  if (app.app.size() > 30)
    return task_ended(TaskState::failed, "the review app's name " + app.app + " is longer than Convox's 30 characters");
  store::ReviewApp key = review_app_key();
  auto known = store_.review_app(key.remote, key.workflow, key.pull_request);
  bool ours = known && known->app == app.app && known->rack == app.rack && known->state != "deleted";
  std::string where = config::app_on_rack(app.app, app.rack);

  BuildOutputScanner info;
  auto r = command(app, apps_argv(options_.convox_bin, cli_task(app), "info"), workspace_, &info);
  info.finish();
  if (r.start_error || r.timed_out || r.cancelled) return outcome_of(r, app, "convox apps info");
  bool exists = r.status.success();
  if (!exists && info.error_line().find("not found") == std::string::npos)
    return outcome_of(r, app, "convox apps info", &info);
  if (exists && !ours)
    return task_ended(TaskState::failed, "app " + where +
                                             " exists and was not created by convox-workflows; a review app never "
                                             "takes over an app (delete or rename it, or change the task's app)");
  if (!exists) {
    note("creating the review app " + where);
    BuildOutputScanner scanner;
    TaskOutcome o = outcome_of(command(app, apps_argv(options_.convox_bin, cli_task(app), "create"), workspace_, &scanner),
                               app, "convox apps create", &scanner);
    if (o.state != TaskState::succeeded) return o;
    store::ReviewApp created = key;
    created.app = app.app;
    created.rack = app.rack;
    created.created_at = store::now_ms();
    store_.record_review_app_created(created);
  } else {
    note("deploying to the review app " + where + ", created for this pull request before");
  }
  if (!app.env.empty()) {
    BuildOutputScanner scanner;
    TaskOutcome o = outcome_of(command(app, env_set_argv(options_.convox_bin, cli_task(app)), workspace_, &scanner),
                               app, "convox env set", &scanner);
    if (o.state != TaskState::succeeded) return o;
  }
  TaskOutcome built = build(app);
  if (built.state != TaskState::succeeded) return built;
  auto with_ids = [&](TaskOutcome o) {
    o.build_id = built.build_id;
    o.release_id = built.release_id;
    return o;
  };
  auto on_rack = [&](const config::RackCommand& c, const std::string& release, const char* when) {
    config::Task run = app;
    run.service = c.service;
    run.command = c.command;
    note(std::string(when) + ": " + c.command + " in " + c.service);
    BuildOutputScanner scanner;
    return outcome_of(command(run, run_argv(options_.convox_bin, cli_task(run), release), workspace_, &scanner), run,
                      std::string("the ") + when + " command", &scanner);
  };
  if (t.before_promote) {
    TaskOutcome o = on_rack(*t.before_promote, built.release_id, "before_promote");
    if (o.state != TaskState::succeeded) return with_ids(o);
  }
  TaskOutcome promoted = promote(app, built.release_id);
  if (promoted.state != TaskState::succeeded) return with_ids(promoted);
  if (t.after_promote) {
    TaskOutcome o = on_rack(*t.after_promote, "", "after_promote");
    if (o.state != TaskState::succeeded) return with_ids(o);
  }
  BuildOutputScanner services;
  auto listed = command(app, services_argv(options_.convox_bin, cli_task(app)), workspace_, &services);
  services.finish();
  std::string url = services.service_domain().empty() ? "" : "https://" + services.service_domain();
  if (!listed.status.success()) note("convox services failed: the review app's URL is unknown");
  store_.record_review_app_deployed(key, spec_.sha, url,
                                    t.expire_after ? std::optional<std::int64_t>(t.expire_after->count() * 1000)
                                                   : std::nullopt,
                                    store::now_ms());
  review_app_ = app.app;
  review_app_url_ = url;
  note("review app " + where + (url.empty() ? " deployed (no service has a domain)" : " is at " + url));
  return with_ids(promoted);
}

TaskOutcome JobRun::delete_review_app(const config::Task& t) {
  store::ReviewApp key = review_app_key();
  auto known = store_.review_app(key.remote, key.workflow, key.pull_request);
  std::string where = config::app_on_rack(t.app, t.rack);
  if (!known || known->app != t.app || known->rack != t.rack)
    return task_ended(TaskState::failed, "app " + where + " was not created by convox-workflows; it is not deleted");
  if (known->state == "deleted") {
    note("the review app " + where + " was deleted before");
    return task_ended(TaskState::succeeded, "");
  }
  note("deleting the review app " + where);
  BuildOutputScanner scanner;
  auto r = command(t, apps_argv(options_.convox_bin, cli_task(t), "delete"), workspace_, &scanner);
  scanner.finish();
  TaskOutcome o = outcome_of(r, t, "convox apps delete", &scanner);
  bool gone = o.state == TaskState::succeeded ||
              (o.state == TaskState::failed && !r.start_error && scanner.error_line().find("not found") != std::string::npos);
  if (!gone) return o;
  if (o.state != TaskState::succeeded) note("the app was gone already");
  store_.record_review_app_deleted(key, store::now_ms());
  return task_ended(TaskState::succeeded, "");
}

}  // namespace cwf::executor
