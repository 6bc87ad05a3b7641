#include "executor/executor.hh"

#include <algorithm>
#include <cstring>
#include <map>
#include <optional>

#include "executor/job_run.hh"

namespace cwf::executor {
namespace {

using store::TaskOutcome;
using store::TaskState;
using std::chrono::milliseconds;

std::string seconds_text(milliseconds d) {
  char buf[32];
  std::snprintf(buf, sizeof buf, "%.1fs", static_cast<double>(d.count()) / 1000.0);
  return buf;
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
  job.pull_request = spec.pull_request;
  job.untrusted = spec.untrusted;
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
  for (auto& t : end.tasks) set_outcome(t, task_ended(TaskState::skipped, "the job did not start"), now);
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
      set_outcome(record, task_ended(TaskState::skipped, failure.empty() ? "the job was cancelled" : "an earlier task failed"),
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
      set_outcome(record, task_ended(TaskState::skipped, "not started: " + store_error), store::now_ms());
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
  end.reason = cancelled ? cancel.reason() : failure;
  end.finished_at = store::now_ms();
  store_.finish_job(end);
  return end.state;
}

}  // namespace cwf::executor
