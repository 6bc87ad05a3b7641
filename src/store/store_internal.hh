#pragma once

// What job_store.cc and runner_store.cc share: the connection, its lock and
// the statements prepared once. Only src/store/ includes this.

#include <SQLiteCpp/SQLiteCpp.h>
#include <map>
#include <mutex>
#include <optional>

#include "store/job_store.hh"
#include "store/migrations.hh"

namespace cwf::store {

template <typename T>
void bind_optional(SQLite::Statement& q, int index, const std::optional<T>& v) {
  if (v) q.bind(index, *v);
  else q.bind(index);  // NULL
}

inline std::optional<std::int64_t> optional_int64(const SQLite::Column& c) {
  if (c.isNull()) return std::nullopt;
  return c.getInt64();
}

inline std::optional<int> optional_int(const SQLite::Column& c) {
  if (c.isNull()) return std::nullopt;
  return c.getInt();
}

// Kept for JobStore::last_error (the web UI's health).
void note_store_error(const std::string& message);

// Runs F, turning SQLite's exception into the store's error type.
template <typename F>
auto guarded(const char* what, F&& f) {
  try {
    return f();
  } catch (const SQLite::Exception& e) {
    std::string message = std::string("job store: ") + what + ": " + e.what();
    note_store_error(message);
    throw StoreError(message);
  }
}

struct JobStore::Impl {
  std::filesystem::path dir;
  SQLite::Database db;
  // One connection for the runner's threads: every call, and a Transaction
  // for its whole life, holds this.
  std::recursive_mutex mu;
  // The writer's statements, prepared once.
  std::optional<SQLite::Statement> insert_job, insert_task, set_state, start_task, task_log, finish_task, head_upsert,
      head_delete, heads_of, remote_seen;
  int deliveries_since_trim = 0;
  // Ends the database refused, by job (unrecorded.cc).
  struct Unrecorded {
    JobEnd end;
    std::string error;
    int attempts = 0;
    std::int64_t next_at = 0;
  };
  std::map<std::int64_t, Unrecorded> unrecorded;
  // Writes END (throws SQLite::Exception); the caller holds the lock.
  void write_end(const JobEnd& end);
  StateHook* hook = nullptr;
  // JOB's state just changed: queues what the hook says, in the caller's
  // transaction (notifications.cc). The caller holds the lock.
  void queue_notifications(std::int64_t job);
  // JOB with its tasks, as this connection sees it (inside a transaction:
  // its writes too). The caller holds the lock.
  std::optional<JobRecord> read_job_with_tasks(std::int64_t id);
  // The end kept in memory for JOB, if any, over what the database says.
  void overlay_unrecorded(JobRecord& job) const;
  // Records the ends a previous runner saved to unrecorded-ends.json.
  void record_saved_ends();

  Impl(std::filesystem::path d, int flags) : dir(std::move(d)), db((dir / "jobs.db").string(), flags, 5000) {}

  void migrate() {
    db.exec("PRAGMA journal_mode = WAL");
    db.exec("PRAGMA synchronous = NORMAL");  // WAL: a crash loses at most the last commits, never consistency
    int version = db.execAndGet("PRAGMA user_version").getInt();
    const auto& all = migrations();
    // Off while migrating, as SQLite's way to remake a table needs (a DROP
    // with them on would cascade); each migration's result is checked before
    // it commits.
    db.exec("PRAGMA foreign_keys = OFF");
    for (int i = version; i < static_cast<int>(all.size()); ++i) {
      SQLite::Transaction tx(db);
      db.exec(all[static_cast<std::size_t>(i)].sql);
      SQLite::Statement broken(db, "PRAGMA foreign_key_check");
      if (broken.executeStep())
        throw SQLite::Exception(std::string(all[static_cast<std::size_t>(i)].name) + " leaves a broken reference in " +
                                broken.getColumn(0).getString());
      db.exec("PRAGMA user_version = " + std::to_string(i + 1));
      tx.commit();
    }
    db.exec("PRAGMA foreign_keys = ON");
  }

  void prepare() {
    insert_job.emplace(db,
                       "INSERT INTO jobs (workflow, repository, branch, commit_sha, trigger, state, parent_job_id, "
                       "created_at, remote, promote_task, integration, pull_request, pull_request_url, untrusted, "
                       "teardown, commit_title, commit_author) VALUES (?1, ?2, ?3, ?4, ?5, ?11, ?6, ?7, ?8, ?9, ?10, ?12, ?13, ?14, "
                       "?15, ?16, ?17)");
    insert_task.emplace(db, "INSERT INTO tasks (job_id, idx, name, type, state) VALUES (?, ?, ?, ?, 'pending')");
    set_state.emplace(db,
                      "UPDATE jobs SET state = ?2, reason = ?3, "
                      "started_at = CASE WHEN ?2 = 'running' THEN coalesce(started_at, ?4) ELSE started_at END, "
                      "finished_at = CASE WHEN ?5 THEN ?4 ELSE finished_at END WHERE id = ?1");
    start_task.emplace(db,
                       "UPDATE tasks SET state = 'running', started_at = ?3, log_path = ?4, log_offset = ?5 "
                       "WHERE job_id = ?1 AND idx = ?2");
    task_log.emplace(db, "UPDATE tasks SET log_bytes = ?3 WHERE job_id = ?1 AND idx = ?2");
    finish_task.emplace(db,
                        "UPDATE tasks SET state = ?3, reason = ?4, exit_code = ?5, signal = ?6, build_id = ?7, "
                        "release_id = ?8, log_bytes = ?9, finished_at = ?10 WHERE job_id = ?1 AND idx = ?2");
    remote_seen.emplace(db, "INSERT OR IGNORE INTO remotes (url, first_seen_at) VALUES (?, ?)");
    head_upsert.emplace(db,
                        "INSERT INTO heads (remote, branch, sha, updated_at) VALUES (?1, ?2, ?3, ?4) "
                        "ON CONFLICT (remote, branch) DO UPDATE SET sha = ?3, updated_at = ?4");
    head_delete.emplace(db, "DELETE FROM heads WHERE remote = ? AND branch = ?");
    heads_of.emplace(db,
                     "SELECT h.branch, h.sha FROM remotes r LEFT JOIN heads h ON h.remote = r.url WHERE r.url = ?");
  }
};

// The jobs table's columns, in the order read_job reads them.
extern const char* const kJobColumns;
JobRecord read_job(SQLite::Statement& q);

using Lock = std::lock_guard<std::recursive_mutex>;

}  // namespace cwf::store
