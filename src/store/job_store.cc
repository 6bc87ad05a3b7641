#include "store/job_store.hh"

#include <sqlite3.h>
#include <algorithm>
#include <array>
#include <chrono>
#include <cstdlib>

#include "store/store_internal.hh"

namespace cwf::store {
namespace {

constexpr std::array kJobStates = {"queued", "waiting", "running", "succeeded", "failed", "cancelled", "skipped",
                                   "interrupted"};
constexpr std::array kTaskStates = {"pending", "running", "succeeded", "failed", "allowed_failure", "skipped",
                                    "cancelled", "timed_out"};

template <typename Enum, std::size_t N>
std::optional<Enum> parse_state(std::string_view s, const std::array<const char*, N>& names) {
  for (std::size_t i = 0; i < N; ++i)
    if (s == names[i]) return static_cast<Enum>(i);
  return std::nullopt;
}

TaskRecord read_task(SQLite::Statement& t) {
  TaskRecord r;
  r.index = t.getColumn(0).getInt();
  r.name = t.getColumn(1).getString();
  r.type = t.getColumn(2).getString();
  r.state = parse_task_state(t.getColumn(3).getString()).value_or(TaskState::failed);
  r.reason = t.getColumn(4).getString();
  r.exit_code = optional_int(t.getColumn(5));
  r.signal = optional_int(t.getColumn(6));
  r.started_at = optional_int64(t.getColumn(7));
  r.finished_at = optional_int64(t.getColumn(8));
  r.build_id = t.getColumn(9).getString();
  r.release_id = t.getColumn(10).getString();
  r.log_path = t.getColumn(11).getString();
  r.log_offset = t.getColumn(12).getInt64();
  r.log_bytes = t.getColumn(13).getInt64();
  return r;
}

}  // namespace

const char* const kJobColumns =
    "id, workflow, repository, branch, commit_sha, trigger, state, reason, parent_job_id, created_at, started_at, "
    "finished_at, remote, promote_task, integration, pull_request, pull_request_url, untrusted, teardown, commit_title, commit_author";

JobRecord read_job(SQLite::Statement& q) {
  JobRecord j;
  j.id = q.getColumn(0).getInt64();
  j.workflow = q.getColumn(1).getString();
  j.repository = q.getColumn(2).getString();
  j.branch = q.getColumn(3).getString();
  j.commit_sha = q.getColumn(4).getString();
  j.trigger = q.getColumn(5).getString();
  j.state = parse_job_state(q.getColumn(6).getString()).value_or(JobState::failed);
  j.reason = q.getColumn(7).getString();
  j.parent_job_id = optional_int64(q.getColumn(8));
  j.created_at = q.getColumn(9).getInt64();
  j.started_at = optional_int64(q.getColumn(10));
  j.finished_at = optional_int64(q.getColumn(11));
  j.remote = q.getColumn(12).getString();
  j.promote_task = optional_int(q.getColumn(13));
  j.integration = q.getColumn(14).getString();
  j.pull_request = optional_int(q.getColumn(15));
  j.pull_request_url = q.getColumn(16).getString();
  j.untrusted = q.getColumn(17).getInt() != 0;
  j.teardown = q.getColumn(18).getInt() != 0;
  j.commit_title = q.getColumn(19).getString();
  j.commit_author = q.getColumn(20).getString();
  return j;
}


const char* to_string(JobState s) { return kJobStates[static_cast<std::size_t>(s)]; }
const char* to_string(TaskState s) { return kTaskStates[static_cast<std::size_t>(s)]; }
std::optional<JobState> parse_job_state(std::string_view s) { return parse_state<JobState>(s, kJobStates); }
std::optional<TaskState> parse_task_state(std::string_view s) { return parse_state<TaskState>(s, kTaskStates); }

bool is_final(JobState s) {
  return s != JobState::queued && s != JobState::waiting && s != JobState::running;
}

std::int64_t now_ms() {
  using namespace std::chrono;
  return duration_cast<milliseconds>(system_clock::now().time_since_epoch()).count();
}

std::filesystem::path log_file(const JobRecord& job, const std::filesystem::path& data_dir) {
  for (const auto& t : job.tasks)
    if (!t.log_path.empty()) return data_dir / t.log_path;
  return {};
}

std::string log_cut_note(const JobRecord& job, std::uint64_t file_size) {
  if (!is_final(job.state)) return "";
  std::uint64_t expected = 0;
  for (const auto& t : job.tasks)
    if (!t.log_path.empty()) expected = std::max(expected, static_cast<std::uint64_t>(t.log_offset + t.log_bytes));
  if (file_size >= expected) return "";
  return "\n[log cut: the last " + std::to_string(expected - file_size) +
         " bytes of this log were never written (a full disk?); the job's reason says why]\n";
}

std::filesystem::path default_data_dir() {
  if (const char* x = std::getenv("XDG_STATE_HOME"); x && *x) return std::filesystem::path(x) / "convox-workflows";
  const char* home = std::getenv("HOME");
  return std::filesystem::path(home && *home ? home : ".") / ".local/state/convox-workflows";
}

JobStore::JobStore(std::unique_ptr<Impl> impl) : impl_(std::move(impl)) {}
JobStore::~JobStore() = default;

const std::filesystem::path& JobStore::data_dir() const { return impl_->dir; }

Result<std::unique_ptr<JobStore>> JobStore::open(const std::filesystem::path& data_dir, bool read_only) {
  std::error_code ec;
  if (!read_only) {
    std::filesystem::create_directories(data_dir, ec);
    if (ec) return make_error("cannot create the data dir " + data_dir.string() + ": " + ec.message());
  } else if (!std::filesystem::exists(data_dir / "jobs.db", ec)) {
    return make_error("no job store at " + data_dir.string() + " (no job has run with this --data-dir)");
  }
  try {
    int flags = read_only ? SQLite::OPEN_READONLY : (SQLite::OPEN_READWRITE | SQLite::OPEN_CREATE);
    auto impl = std::make_unique<Impl>(data_dir, flags);
    if (!read_only) {
      impl->migrate();
      impl->prepare();
      impl->record_saved_ends();
    }
    return std::unique_ptr<JobStore>(new JobStore(std::move(impl)));
  } catch (const SQLite::Exception& e) {
    return make_error("cannot open the job store in " + data_dir.string() + ": " + e.what());
  }
}

std::int64_t JobStore::create_job(const NewJob& job, std::int64_t now) {
  Lock lock(impl_->mu);
  return guarded("create job", [&] {
    // Inside a caller's Transaction the job lands with the caller's writes.
    std::optional<SQLite::Transaction> tx;
    if (sqlite3_get_autocommit(impl_->db.getHandle())) tx.emplace(impl_->db);
    auto& q = *impl_->insert_job;
    q.reset();
    q.bind(1, job.workflow);
    q.bind(2, job.repository);
    q.bind(3, job.branch);
    q.bind(4, job.commit_sha);
    q.bind(5, job.trigger);
    bind_optional(q, 6, job.parent_job_id);
    q.bind(7, static_cast<int64_t>(now));
    q.bind(8, job.remote);
    bind_optional(q, 9, job.promote_task);
    q.bind(10, job.integration);
    q.bind(11, to_string(job.state));
    bind_optional(q, 12, job.pull_request);
    q.bind(13, job.pull_request_url);
    q.bind(14, job.untrusted ? 1 : 0);
    q.bind(15, job.teardown ? 1 : 0);
    q.bind(16, job.commit_title);
    q.bind(17, job.commit_author);
    q.exec();
    std::int64_t id = impl_->db.getLastInsertRowid();
    auto& t = *impl_->insert_task;
    for (std::size_t i = 0; i < job.tasks.size(); ++i) {
      t.reset();
      t.bind(1, static_cast<int64_t>(id));
      t.bind(2, static_cast<int>(i));
      t.bind(3, job.tasks[i].first);
      t.bind(4, job.tasks[i].second);
      t.exec();
    }
    if (tx) tx->commit();
    return id;
  });
}

void JobStore::set_job_state(std::int64_t id, JobState state, const std::string& reason, std::int64_t now) {
  Lock lock(impl_->mu);
  guarded("set job state", [&] {
    bool notifies = state == JobState::running || is_final(state);
    // Its notifications land with the state (or neither does).
    std::optional<SQLite::Transaction> tx;
    if (notifies && sqlite3_get_autocommit(impl_->db.getHandle())) tx.emplace(impl_->db);
    auto& q = *impl_->set_state;
    q.reset();
    q.bind(1, static_cast<int64_t>(id));
    q.bind(2, to_string(state));
    q.bind(3, reason);
    q.bind(4, static_cast<int64_t>(now));
    q.bind(5, is_final(state) ? 1 : 0);
    q.exec();
    if (notifies) impl_->queue_notifications(id);
    if (tx) tx->commit();
  });
}

void JobStore::start_task(std::int64_t job, int index, const std::string& log_path, std::int64_t log_offset,
                          std::int64_t now) {
  Lock lock(impl_->mu);
  guarded("start task", [&] {
    auto& q = *impl_->start_task;
    q.reset();
    q.bind(1, static_cast<int64_t>(job));
    q.bind(2, index);
    q.bind(3, static_cast<int64_t>(now));
    q.bind(4, log_path);
    q.bind(5, static_cast<int64_t>(log_offset));
    q.exec();
  });
}

void JobStore::update_task_log(std::int64_t job, int index, std::int64_t log_bytes) {
  Lock lock(impl_->mu);
  guarded("update task log", [&] {
    auto& q = *impl_->task_log;
    q.reset();
    q.bind(1, static_cast<int64_t>(job));
    q.bind(2, index);
    q.bind(3, static_cast<int64_t>(log_bytes));
    q.exec();
  });
}

void JobStore::finish_task(std::int64_t job, int index, const TaskOutcome& o, std::int64_t now) {
  Lock lock(impl_->mu);
  guarded("finish task", [&] {
    auto& q = *impl_->finish_task;
    q.reset();
    q.bind(1, static_cast<int64_t>(job));
    q.bind(2, index);
    q.bind(3, to_string(o.state));
    q.bind(4, o.reason);
    bind_optional(q, 5, o.exit_code);
    bind_optional(q, 6, o.signal);
    if (o.build_id.empty()) q.bind(7); else q.bind(7, o.build_id);
    if (o.release_id.empty()) q.bind(8); else q.bind(8, o.release_id);
    q.bind(9, static_cast<int64_t>(o.log_bytes));
    q.bind(10, static_cast<int64_t>(now));
    q.exec();
  });
}

struct JobStore::Transaction::Impl {
  std::unique_lock<std::recursive_mutex> lock;  // declared first: released after the rollback
  SQLite::Transaction tx;
  explicit Impl(JobStore::Impl& store) : lock(store.mu), tx(store.db) {}
};

JobStore::Transaction::Transaction(JobStore& store)
    : impl_(guarded("begin", [&] { return std::make_unique<Impl>(*store.impl_); })) {}
JobStore::Transaction::Transaction(Transaction&&) noexcept = default;
JobStore::Transaction::~Transaction() = default;  // SQLite::Transaction rolls back unless committed

void JobStore::Transaction::commit() {
  guarded("commit", [&] { impl_->tx.commit(); });
}

std::vector<JobRecord> JobStore::list_jobs(const JobFilter& f) const {
  Lock lock(impl_->mu);
  return guarded("list jobs", [&] {
    std::string sql = std::string("SELECT ") + kJobColumns + " FROM jobs WHERE 1";
    if (!f.workflow.empty()) sql += " AND workflow = :workflow";
    if (!f.branch.empty()) sql += " AND branch = :branch";
    if (f.state) sql += " AND state = :state";
    if (f.before_id) sql += " AND id < :before";
    sql += " ORDER BY id DESC LIMIT :limit";
    SQLite::Statement q(impl_->db, sql);
    if (!f.workflow.empty()) q.bind(":workflow", f.workflow);
    if (!f.branch.empty()) q.bind(":branch", f.branch);
    if (f.state) q.bind(":state", to_string(*f.state));
    if (f.before_id) q.bind(":before", static_cast<int64_t>(*f.before_id));
    q.bind(":limit", f.limit);
    std::vector<JobRecord> out;
    while (q.executeStep()) {
      out.push_back(read_job(q));
      impl_->overlay_unrecorded(out.back());
      // An unrecorded end changes the state the filter saw; one that moved a
      // job into the filtered state is missed until it lands.
      if (f.state && out.back().state != *f.state) out.pop_back();
    }
    return out;
  });
}

std::optional<JobRecord> JobStore::Impl::read_job_with_tasks(std::int64_t id) {
  SQLite::Statement q(db, std::string("SELECT ") + kJobColumns + " FROM jobs WHERE id = ?");
  q.bind(1, static_cast<int64_t>(id));
  if (!q.executeStep()) return std::nullopt;
  JobRecord job = read_job(q);
  SQLite::Statement t(db,
                      "SELECT idx, name, type, state, reason, exit_code, signal, started_at, finished_at, "
                      "coalesce(build_id, ''), coalesce(release_id, ''), coalesce(log_path, ''), log_offset, log_bytes "
                      "FROM tasks WHERE job_id = ? ORDER BY idx");
  t.bind(1, static_cast<int64_t>(id));
  while (t.executeStep()) job.tasks.push_back(read_task(t));
  overlay_unrecorded(job);
  return job;
}

std::optional<JobRecord> JobStore::get_job(std::int64_t id) const {
  Lock lock(impl_->mu);
  return guarded("get job", [&] { return impl_->read_job_with_tasks(id); });
}

}  // namespace cwf::store
