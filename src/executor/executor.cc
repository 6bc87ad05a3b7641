#include "executor/executor.hh"

#include <algorithm>
#include <cstring>
#include <map>
#include <optional>

#include "config/names.hh"
#include "executor/convox_cli.hh"
#include "executor/health_check.hh"
#include "executor/job_log.hh"
#include "executor/run_process.hh"
#include "executor/task_env.hh"

namespace cwf::executor {
namespace {

using store::TaskOutcome;
using store::TaskState;
using std::chrono::milliseconds;

TaskOutcome ended(TaskState state, std::string reason) {
  TaskOutcome o;
  o.state = state;
  o.reason = std::move(reason);
  return o;
}

std::string seconds_text(milliseconds d) {
  char buf[32];
  std::snprintf(buf, sizeof buf, "%.1fs", static_cast<double>(d.count()) / 1000.0);
  return buf;
}

// One job's run: the state that passes from task to task.
class JobRun {
 public:
  JobRun(const ExecutorOptions& options, TaskLauncher& launcher, store::JobStore& store, std::int64_t job_id,
         const JobSpec& spec, const std::filesystem::path& workspace, const CancelToken& cancel, JobLog& log)
      : options_(options), launcher_(launcher), store_(store), job_id_(job_id), spec_(spec),
        workspace_(workspace), runner_env_(environment_for_tasks(options.base_env)), cancel_(cancel), log_(log),
        releases_(spec.workflow->tasks.size()), builds_(spec.workflow->tasks.size()) {
    std::error_code ec;
    root_ = std::filesystem::canonical(workspace_, ec);
    if (ec) root_ = workspace_;
  }

  TaskOutcome run_task(int index);

 private:
  TaskOutcome script(const config::Task& t);
  TaskOutcome build(const config::Task& t);
  TaskOutcome promote(const config::Task& t, const std::string& release);
  TaskOutcome run_on_rack(const config::Task& t, const std::string& release);
  TaskOutcome copy(const config::Task& t);
  // ARGV in CWD with T's environment.
  Result<ProcessSpec> process(const config::Task& t, std::vector<std::string> argv,
                              const std::filesystem::path& cwd) const;
  // Runs one process, or a pipeline, into the log.
  RunOutcome command(const std::vector<ProcessSpec>& stages, BuildOutputScanner* scanner = nullptr);
  RunOutcome command(const config::Task& t, std::vector<std::string> argv, const std::filesystem::path& cwd,
                     BuildOutputScanner* scanner = nullptr);
  TaskOutcome outcome_of(const RunOutcome& r, const config::Task& t, const std::string& what,
                         const BuildOutputScanner* scanner = nullptr) const;
  Result<std::vector<std::string>> environment(const config::Task& t) const;
  // T as the convox CLI's command line gets it: with a racks file, RACK_URL
  // picks the rack (the CLI lets it win over --rack), so no --rack.
  config::Task cli_task(const config::Task& t) const {
    config::Task copy = t;
    if (options_.racks) {
      copy.rack.clear();
      copy.from_rack.clear();
    }
    return copy;
  }
  std::string release_for(const config::Task& t, std::string& error) const;
  milliseconds time_left() const {
    return std::chrono::duration_cast<milliseconds>(deadline_ - Clock::now());
  }
  void note(const std::string& line) { log_.note(line, store::now_ms()); }

  const ExecutorOptions& options_;
  TaskLauncher& launcher_;
  store::JobStore& store_;
  std::int64_t job_id_;
  const JobSpec& spec_;
  std::filesystem::path workspace_, root_;  // root_: the workspace with symlinks resolved
  EnvMap runner_env_;
  const CancelToken& cancel_;
  JobLog& log_;
  std::vector<std::string> releases_, builds_;  // by task index: what each build (or copy) made
  std::string build_id_, release_;      // the latest build's, for BUILD_ID and RELEASE
  int index_ = 0;
  Clock::time_point deadline_;
  std::int64_t log_synced_ms_ = 0;
};

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
  return task_environment(t, runner_env_, job);
}

Result<ProcessSpec> JobRun::process(const config::Task& t, std::vector<std::string> argv,
                                    const std::filesystem::path& cwd) const {
  auto env = environment(t);
  if (!env) return env.error();
  return ProcessSpec{std::move(argv), std::move(*env), cwd};
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
    if (ec) return ended(TaskState::failed, "working_directory '" + t.working_directory + "' does not exist in the checkout");
    // The file's path stays inside; a symlink in the commit could still lead out.
    auto rel = cwd.lexically_relative(root_);
    if (rel.empty() || *rel.begin() == "..")
      return ended(TaskState::failed, "working_directory '" + t.working_directory + "' leads outside the checkout");
  }
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
  if (cancel_.cancelled()) return ended(TaskState::cancelled, "cancelled");
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
  if (o.release_id.empty()) return ended(TaskState::failed, "convox build succeeded but printed no release id");
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
      return ended(TaskState::failed, "no build to copy: tasks[" + std::to_string(from) + "] (" +
                                          spec_.workflow->tasks[from].name + ") reported no build ID");
  }
  config::Task source = t;  // the export acts on the build's own app and rack
  source.app = t.from_app;
  source.rack = t.from_rack;
  auto exporting = process(source, export_argv(options_.convox_bin, cli_task(source), build), workspace_);
  auto importing = process(t, import_argv(options_.convox_bin, cli_task(t)), workspace_);
  if (!exporting) return ended(TaskState::failed, exporting.error().message);
  if (!importing) return ended(TaskState::failed, importing.error().message);
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
  if (scanner.release_id().empty()) return ended(TaskState::failed, "convox builds import succeeded but printed no release id");
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
      if (!error.empty()) return ended(TaskState::failed, error);
      TaskOutcome o = promote(t, release);
      o.release_id = release;
      return o;
    }
    case config::TaskType::run: {
      std::string release = release_for(t, error);
      if (!error.empty()) return ended(TaskState::failed, error);
      return run_on_rack(t, release);
    }
  }
  return ended(TaskState::failed, "unknown task type");
}

}  // namespace

Executor::Executor(store::JobStore& store, TaskLauncher& launcher, ExecutorOptions options)
    : store_(store), launcher_(launcher), options_(std::move(options)) {}

store::NewJob new_job(const JobSpec& spec) {
  store::NewJob job;
  job.workflow = spec.workflow->name;
  job.repository = spec.repository;
  job.branch = spec.branch;
  job.commit_sha = spec.sha;
  job.trigger = spec.trigger;
  job.remote = spec.remote;
  job.integration = config::to_string(spec.workflow->trigger.integration);
  for (const auto& t : spec.workflow->tasks) job.tasks.emplace_back(t.name, config::to_string(t.type));
  return job;
}

std::int64_t Executor::create(const JobSpec& spec) { return store_.create_job(new_job(spec), store::now_ms()); }

namespace {

// The job as the executor knows it: what finish_job() records at the end,
// whether or not the writes along the way landed.
store::JobEnd blank_end(std::int64_t job_id, const JobSpec& spec) {
  store::JobEnd end;
  end.id = job_id;
  for (std::size_t i = 0; i < spec.workflow->tasks.size(); ++i) {
    store::TaskRecord t;
    t.index = static_cast<int>(i);
    end.tasks.push_back(std::move(t));
  }
  return end;
}

void set_outcome(store::TaskRecord& t, const TaskOutcome& o, std::int64_t now) {
  t.state = o.state;
  t.reason = o.reason;
  t.exit_code = o.exit_code;
  t.signal = o.signal;
  t.build_id = o.build_id;
  t.release_id = o.release_id;
  t.finished_at = now;
  if (o.log_bytes) t.log_bytes = o.log_bytes;
}

}  // namespace

// Without a racks file, RACK_URL in the runner's environment sends every
// convox command to its rack, whatever --rack says: a task naming a rack
// would deploy elsewhere, silently. Such a job never starts.
std::optional<std::string> Executor::rack_conflict(const JobSpec& spec) const {
  if (options_.racks) return std::nullopt;
  bool rack_url = std::any_of(options_.base_env.begin(), options_.base_env.end(),
                              [](const std::string& kv) { return kv.rfind("RACK_URL=", 0) == 0; });
  if (!rack_url) return std::nullopt;
  const auto& tasks = spec.workflow->tasks;
  for (std::size_t i = 0; i < tasks.size(); ++i) {
    const auto& t = tasks[i];
    if (t.type == config::TaskType::script || t.rack.empty()) continue;
    return "tasks[" + std::to_string(i) + "] (" + t.name + ") names the rack " + t.rack +
           ", but RACK_URL is set in the runner's environment and the convox CLI would act on RACK_URL's rack "
           "instead; name each rack in --racks-file, or unset RACK_URL";
  }
  return std::nullopt;
}

void Executor::fail_before_start(std::int64_t job_id, const JobSpec& spec, const std::string& reason) {
  std::int64_t now = store::now_ms();
  store::JobEnd end = blank_end(job_id, spec);
  for (auto& t : end.tasks) set_outcome(t, ended(TaskState::skipped, "the job did not start"), now);
  end.reason = reason;
  end.finished_at = now;
  store_.finish_job(end);
}

store::JobState Executor::run(std::int64_t job_id, const JobSpec& spec, const std::filesystem::path& workspace,
                              const CancelToken& cancel) {
  const auto& tasks = spec.workflow->tasks;
  if (auto wrong = rack_conflict(spec)) {
    fail_before_start(job_id, spec, *wrong);
    return store::JobState::failed;
  }
  // Masked: every secret the runner holds, whether a task gets it or not.
  std::vector<std::string> env = options_.base_env, names = options_.secret_env;
  for (const auto& t : tasks) {
    for (const auto& [k, v] : t.env) env.push_back(k + "=" + v);
    names.insert(names.end(), t.secrets.begin(), t.secrets.end());
  }
  std::vector<std::string> secrets = secrets_from_env(env, names);
  secrets.insert(secrets.end(), options_.runner_secrets.begin(), options_.runner_secrets.end());
  if (options_.racks)
    for (const auto& [name, rack] : options_.racks->racks) secrets.insert(secrets.end(), {rack.password, rack.url});
  JobLog log(store_.data_dir(), job_id, Masker(secrets), options_.log_cap, options_.echo);
  JobRun job(options_, launcher_, store_, job_id, spec, workspace, cancel, log);
  store::JobEnd end = blank_end(job_id, spec);
  end.started_at = store::now_ms();

  // A write the store refuses (a full disk, an I/O error) ends the job: a
  // deploy whose progress can't be recorded doesn't go on. Its end is kept
  // and retried by finish_job().
  std::string store_error;
  std::optional<store::JobStore::Transaction> tx;
  auto write = [&](const char* what, const auto& f) {
    if (!store_error.empty()) return;
    try {
      if (!tx) tx.emplace(store_);
      f();
    } catch (const store::StoreError& e) {
      tx.reset();
      store_error = std::string("the job store could not record ") + what + ": " + e.what();
    }
  };
  auto commit = [&](const char* what) {
    write(what, [&] {
      tx->commit();
      tx.reset();
    });
  };
  // Each commit holds the end of one task and the start of the next.
  write("the job's start", [&] { store_.set_job_state(job_id, store::JobState::running, "", *end.started_at); });

  std::string failure;
  bool cancelled = false;
  for (std::size_t i = 0; i < tasks.size(); ++i) {
    const config::Task& t = tasks[i];
    int index = static_cast<int>(i);
    store::TaskRecord& record = end.tasks[i];
    if (failure.empty() && !store_error.empty()) failure = store_error;
    if (!failure.empty() || cancelled || cancel.cancelled()) {
      set_outcome(record, ended(TaskState::skipped, failure.empty() ? "the job was cancelled" : "an earlier task failed"),
                  store::now_ms());
      continue;
    }
    record.log_path = log.path();
    record.log_offset = static_cast<std::int64_t>(log.open_task());
    record.started_at = store::now_ms();
    record.state = TaskState::running;
    write("a task's start", [&] { store_.start_task(job_id, index, record.log_path, record.log_offset, *record.started_at); });
    commit("a task's start");
    if (!store_error.empty()) {  // it doesn't run: nothing of it could be recorded
      failure = store_error;
      record.started_at.reset();
      set_outcome(record, ended(TaskState::skipped, "not started: " + store_error), store::now_ms());
      continue;
    }
    log.note("==> [" + std::to_string(i + 1) + "/" + std::to_string(tasks.size()) + "] " + t.name + " (" +
                 config::to_string(t.type) + ")",
             store::now_ms());
    auto started = Clock::now();
    TaskOutcome o = job.run_task(index);
    if (o.state == TaskState::failed || o.state == TaskState::timed_out) {
      if (t.continue_on_error) {
        o.state = TaskState::allowed_failure;
      } else {
        failure = "tasks[" + std::to_string(i) + "] (" + t.name + ") " +
                  (o.state == TaskState::timed_out ? "timed out" : "failed") + ": " + o.reason;
      }
    }
    if (o.state == TaskState::cancelled) cancelled = true;
    auto took = std::chrono::duration_cast<milliseconds>(Clock::now() - started);
    log.note("<== " + t.name + ": " + store::to_string(o.state) + " in " + seconds_text(took) +
                 (o.reason.empty() ? "" : " (" + o.reason + ")"),
             store::now_ms());
    log.close_task(store::now_ms());
    if (log.error() && failure.empty()) {
      failure = *log.error();
      o.state = TaskState::failed;
      if (o.reason.empty()) o.reason = *log.error();
    }
    o.log_bytes = static_cast<std::int64_t>(log.task_bytes());
    set_outcome(record, o, store::now_ms());
    write("a task's end", [&] { store_.finish_task(job_id, index, o, *record.finished_at); });
  }
  tx.reset();  // the last task's end lands with the job's, below
  if (failure.empty() && !store_error.empty()) failure = store_error;
  end.state = cancelled ? store::JobState::cancelled : failure.empty() ? store::JobState::succeeded : store::JobState::failed;
  end.reason = cancelled ? "cancelled" : failure;
  end.finished_at = store::now_ms();
  store_.finish_job(end);
  return end.state;
}

}  // namespace cwf::executor
