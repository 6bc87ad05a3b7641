#include "executor/job_run.hh"

#include <algorithm>
#include <cstring>
#include <map>
#include <optional>

#include "config/names.hh"
#include "executor/health_check.hh"

namespace cwf::executor {

using store::TaskOutcome;
using store::TaskState;
using std::chrono::milliseconds;

TaskOutcome task_ended(TaskState state, std::string reason) {
  TaskOutcome o;
  o.state = state;
  o.reason = std::move(reason);
  return o;
}


Result<std::vector<std::string>> JobRun::environment(const config::Task& t) const {
  // The job's variables win; values from the push travel only this way.
  EnvMap job = {{"CONVOX_WORKFLOW", spec_.workflow->name},
                {"CONVOX_JOB_ID", std::to_string(job_id_)},
                {"BUILD_GIT_SHA", spec_.sha},
                {"GIT_BRANCH", spec_.branch},
                {"GIT_REPOSITORY", spec_.repository}};
  if (!t.app.empty()) job["APP"] = t.app;
  if (options_.racks && t.type != config::TaskType::script) {
    const config::Rack* rack = options_.racks->find(t.rack);
    if (!rack) return make_error("rack " + t.rack + " is not in the racks file");  // the loader checked it
    job["RACK_URL"] = rack->url;
  }
  if (!build_id_.empty()) job["BUILD_ID"] = build_id_;
  if (!release_.empty()) job["RELEASE"] = release_;
  if (spec_.pull_request) job["PULL_REQUEST"] = std::to_string(*spec_.pull_request);
  if (!review_app_.empty()) job["REVIEW_APP"] = review_app_;
  if (!review_app_url_.empty()) job["REVIEW_APP_URL"] = review_app_url_;
  if (spec_.untrusted && t.type == config::TaskType::script && !t.secrets.empty()) {
    config::Task withheld = t;  // a fork's code: nobody in the team reviewed it yet
    withheld.secrets.clear();
    return task_environment(withheld, runner_env_, job);
  }
  return task_environment(t, runner_env_, job);
}

Result<ProcessSpec> JobRun::process(const config::Task& t, std::vector<std::string> argv,
                                    const std::filesystem::path& cwd) const {
  auto env = environment(t);
  if (!env) return env.error();
  ProcessSpec spec{std::move(argv), std::move(*env), cwd, std::nullopt};
  if (t.type == config::TaskType::script && !t.image.empty())
    spec.container = ContainerSpec{t.image, t.cpu, t.memory, root_, job_id_, index_,
                                  std::chrono::duration_cast<std::chrono::milliseconds>(t.timeout)};
  return spec;
}

RunOutcome JobRun::command(const config::Task& t, std::vector<std::string> argv, const std::filesystem::path& cwd,
                           BuildOutputScanner* scanner) {
  auto spec = process(t, std::move(argv), cwd);
  if (!spec) {
    RunOutcome never;
    never.start_error = spec.error().message;
    return never;
  }
  return command(std::vector<ProcessSpec>{std::move(*spec)}, scanner);
}

RunOutcome JobRun::command(const std::vector<ProcessSpec>& stages, BuildOutputScanner* scanner) {
  return run_process(launcher_, stages, deadline_, options_.grace, cancel_, [&](std::string_view chunk) {
    std::int64_t now = store::now_ms();
    log_.output(chunk, now);
    if (scanner) scanner->feed(chunk);
    if (now - log_synced_ms_ >= 1000) {  // readers see the log grow in the store too
      log_synced_ms_ = now;
      try {
        store_.update_task_log(job_id_, index_, static_cast<std::int64_t>(log_.task_bytes()));
      } catch (const store::StoreError&) {
        // Progress only: the task's end carries its size, and a store that
        // stays broken ends the job at the next write that counts.
      }
    }
  });
}

TaskOutcome JobRun::outcome_of(const RunOutcome& r, const config::Task& t, const std::string& what,
                               const BuildOutputScanner* scanner) const {
  TaskOutcome o;
  o.exit_code = r.status.code;
  o.signal = r.status.signal;
  if (r.start_error) {
    o.state = TaskState::failed;
    o.reason = *r.start_error;
  } else if (r.timed_out) {
    o.state = TaskState::timed_out;
    o.reason = what + " timed out after " + config::format_duration(t.timeout);
  } else if (r.cancelled) {
    o.state = TaskState::cancelled;
    o.reason = "cancelled";
  } else if (r.status.signal) {
    o.state = TaskState::failed;
    o.reason = what + " was killed by signal " + std::to_string(*r.status.signal) + " (" +
               ::strsignal(*r.status.signal) + ")";
  } else if (!r.status.success()) {
    o.state = TaskState::failed;
    o.reason = what + " exited with " + std::to_string(r.status.code.value_or(-1));
    if (scanner && !scanner->error_line().empty()) o.reason += ": " + scanner->error_line();
  }
  return o;
}

std::string JobRun::release_for(const config::Task& t, std::string& error) const {
  if (!t.release.empty()) return t.release;
  if (!t.release_from_task) return "";
  const std::string& r = releases_[static_cast<std::size_t>(*t.release_from_task)];
  if (r.empty())
    error = "no release to use: tasks[" + std::to_string(*t.release_from_task) + "] (" +
            spec_.workflow->tasks[static_cast<std::size_t>(*t.release_from_task)].name + ") made none";
  return r;
}

TaskOutcome JobRun::script(const config::Task& t) {
  std::filesystem::path cwd = root_;
  if (!t.working_directory.empty()) {
    std::error_code ec;
    cwd = std::filesystem::canonical(root_ / t.working_directory, ec);
    if (ec) return task_ended(TaskState::failed, "working_directory '" + t.working_directory + "' does not exist in the checkout");
    // The file's path stays inside; a symlink in the commit could still lead out.
    auto rel = cwd.lexically_relative(root_);
    if (rel.empty() || *rel.begin() == "..")
      return task_ended(TaskState::failed, "working_directory '" + t.working_directory + "' leads outside the checkout");
  }
  if (spec_.untrusted && !t.secrets.empty())
    note("secrets withheld (" + std::to_string(t.secrets.size()) +
         "): this pull request's head comes from another repository");
  std::vector<std::string> argv = t.argv.empty() ? std::vector<std::string>{"/bin/sh", "-c", t.command} : t.argv;
  return outcome_of(command(t, argv, cwd), t, t.argv.empty() ? "the command" : "'" + t.argv[0] + "'");
}

TaskOutcome JobRun::promote(const config::Task& t, const std::string& release) {
  note("promoting " + release + " of " + t.app + (t.rack.empty() ? "" : " on " + t.rack));
  BuildOutputScanner scanner;
  auto r = command(t, promote_argv(options_.convox_bin, cli_task(t), release), workspace_, &scanner);
  TaskOutcome o = outcome_of(r, t, "convox releases promote", &scanner);
  if (o.state != TaskState::succeeded || !t.health_check) return o;
  auto left = time_left();
  auto health = wait_healthy(*t.health_check, std::min<milliseconds>(t.health_check->timeout, left), cancel_,
                             [&](const std::string& line) { note(line); });
  if (health.healthy) return o;
  if (cancel_.cancelled()) return task_ended(TaskState::cancelled, "cancelled");
  o.state = time_left() <= milliseconds(0) ? TaskState::timed_out : TaskState::failed;
  o.reason = "health check failed: " + health.detail;
  return o;
}

TaskOutcome JobRun::build(const config::Task& t) {
  std::string description = !t.description.empty()
                                ? t.description
                                : "convox-workflows " + spec_.workflow->name + " " + spec_.sha.substr(0, 12);
  BuildOutputScanner scanner;
  auto r = command(t, build_argv(options_.convox_bin, cli_task(t), workspace_.string(), description), workspace_,
                   &scanner);
  scanner.finish();
  TaskOutcome o = outcome_of(r, t, "convox build", &scanner);
  o.build_id = scanner.build_id();
  o.release_id = scanner.release_id();
  if (o.state != TaskState::succeeded) return o;
  if (o.release_id.empty()) return task_ended(TaskState::failed, "convox build succeeded but printed no release id");
  releases_[static_cast<std::size_t>(index_)] = o.release_id;
  builds_[static_cast<std::size_t>(index_)] = o.build_id;
  build_id_ = o.build_id;
  release_ = o.release_id;
  if (!t.promote) return o;
  TaskOutcome p = promote(t, o.release_id);
  p.build_id = o.build_id;
  p.release_id = o.release_id;
  return p;
}

TaskOutcome JobRun::run_on_rack(const config::Task& t, const std::string& release) {
  return outcome_of(command(t, run_argv(options_.convox_bin, cli_task(t), release), workspace_), t, "convox run");
}

// `builds export` piped into `builds import`: the tarball flows from one
// rack to the other through a pipe, never through a file or the runner.
TaskOutcome JobRun::copy(const config::Task& t) {
  std::string build = t.build;
  if (t.build_from_task) {
    auto from = static_cast<std::size_t>(*t.build_from_task);
    build = builds_[from];
    if (build.empty())
      return task_ended(TaskState::failed, "no build to copy: tasks[" + std::to_string(from) + "] (" +
                                          spec_.workflow->tasks[from].name + ") reported no build ID");
  }
  config::Task source = t;  // the export acts on the build's own app and rack
  source.app = t.from_app;
  source.rack = t.from_rack;
  auto exporting = process(source, export_argv(options_.convox_bin, cli_task(source), build), workspace_);
  auto importing = process(t, import_argv(options_.convox_bin, cli_task(t)), workspace_);
  if (!exporting) return task_ended(TaskState::failed, exporting.error().message);
  if (!importing) return task_ended(TaskState::failed, importing.error().message);
  note("copying build " + build + " of " + config::app_on_rack(t.from_app, t.from_rack) + " to " +
       config::app_on_rack(t.app, t.rack));
  BuildOutputScanner scanner;
  auto r = command({std::move(*exporting), std::move(*importing)}, &scanner);
  scanner.finish();
  // An exit is one command's, a timeout the pair's.
  const char* what = r.timed_out             ? "convox builds export | convox builds import"
                     : r.status.stage == 0 ? "convox builds export"
                                           : "convox builds import";
  TaskOutcome o = outcome_of(r, t, what);
  if (o.state == TaskState::failed && !scanner.first_error_line().empty() && !r.start_error)
    o.reason += ": " + scanner.first_error_line();
  o.build_id = build;
  if (o.state != TaskState::succeeded) return o;
  if (scanner.release_id().empty()) return task_ended(TaskState::failed, "convox builds import succeeded but printed no release id");
  o.release_id = scanner.release_id();
  releases_[static_cast<std::size_t>(index_)] = o.release_id;
  release_ = o.release_id;
  return o;
}

TaskOutcome JobRun::run_task(int index) {
  index_ = index;
  const config::Task& t = spec_.workflow->tasks[static_cast<std::size_t>(index)];
  deadline_ = Clock::now() + t.timeout;
  std::string error;
  switch (t.type) {
    case config::TaskType::script:
      return script(t);
    case config::TaskType::build:
      return build(t);
    case config::TaskType::copy:
      return copy(t);
    case config::TaskType::promote: {
      std::string release = release_for(t, error);
      if (!error.empty()) return task_ended(TaskState::failed, error);
      TaskOutcome o = promote(t, release);
      o.release_id = release;
      return o;
    }
    case config::TaskType::run: {
      std::string release = release_for(t, error);
      if (!error.empty()) return task_ended(TaskState::failed, error);
      return run_on_rack(t, release);
    }
    case config::TaskType::review_app:
      return t.teardown ? delete_review_app(t) : review_app(t);
  }
  return task_ended(TaskState::failed, "unknown task type");
}

}  // namespace cwf::executor
