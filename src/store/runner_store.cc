// The runner's tables: branch heads, unfinished jobs at start-up, the last
// applied workflows file, webhook deliveries seen.
#include "store/store_internal.hh"

namespace cwf::store {

std::optional<std::map<std::string, std::string>> JobStore::heads(const std::string& remote) const {
  Lock lock(impl_->mu);
  return guarded("read heads", [&]() -> std::optional<std::map<std::string, std::string>> {
    auto& q = *impl_->heads_of;
    q.reset();
    q.bind(1, remote);
    bool seen = false;
    std::map<std::string, std::string> out;
    while (q.executeStep()) {
      seen = true;
      if (!q.getColumn(0).isNull()) out[q.getColumn(0).getString()] = q.getColumn(1).getString();
    }
    if (!seen) return std::nullopt;
    return out;
  });
}

void JobStore::record_heads(const std::string& remote, const std::vector<HeadChange>& changes, std::int64_t now) {
  Lock lock(impl_->mu);
  guarded("record heads", [&] {
    auto& seen = *impl_->remote_seen;
    seen.reset();
    seen.bind(1, remote);
    seen.bind(2, static_cast<int64_t>(now));
    seen.exec();
    for (const auto& c : changes) {
      if (c.new_sha.empty()) {
        auto& d = *impl_->head_delete;
        d.reset();
        d.bind(1, remote);
        d.bind(2, c.branch);
        d.exec();
        continue;
      }
      auto& u = *impl_->head_upsert;
      u.reset();
      u.bind(1, remote);
      u.bind(2, c.branch);
      u.bind(3, c.new_sha);
      u.bind(4, static_cast<int64_t>(now));
      u.exec();
    }
  });
}

std::vector<std::int64_t> JobStore::interrupt_unfinished(std::int64_t now) {
  Lock lock(impl_->mu);
  return guarded("interrupt unfinished jobs", [&] {
    SQLite::Transaction tx(impl_->db);
    std::vector<std::int64_t> ids;
    // `exec` runs jobs in its own process, which may still be alive.
    SQLite::Statement q(impl_->db,
                        "SELECT id FROM jobs WHERE state = 'running' AND trigger != 'exec' ORDER BY id");
    while (q.executeStep()) ids.push_back(q.getColumn(0).getInt64());
    const char* why = "the runner stopped while it ran (crash or kill); not re-run";
    SQLite::Statement tasks(impl_->db,
                            "UPDATE tasks SET state = CASE state WHEN 'running' THEN 'cancelled' ELSE 'skipped' END, "
                            "reason = ?2, finished_at = ?3 "
                            "WHERE job_id = ?1 AND state IN ('running', 'pending')");
    SQLite::Statement job(impl_->db,
                          "UPDATE jobs SET state = 'interrupted', reason = ?2, finished_at = ?3 WHERE id = ?1");
    for (std::int64_t id : ids) {
      for (SQLite::Statement* s : {&tasks, &job}) {
        s->reset();
        s->bind(1, static_cast<int64_t>(id));
        s->bind(2, why);
        s->bind(3, static_cast<int64_t>(now));
        s->exec();
      }
      impl_->queue_notifications(id);
    }
    tx.commit();
    return ids;
  });
}

std::vector<JobRecord> JobStore::unstarted_jobs(JobState state) const {
  Lock lock(impl_->mu);
  return guarded("list unstarted jobs", [&] {
    SQLite::Statement q(impl_->db, std::string("SELECT ") + kJobColumns +
                                       " FROM jobs WHERE state = ? AND trigger != 'exec' ORDER BY id");
    q.bind(1, to_string(state));
    std::vector<JobRecord> out;
    while (q.executeStep()) out.push_back(read_job(q));
    return out;
  });
}

void JobStore::end_unstarted(std::int64_t id, JobState state, const std::string& reason, std::int64_t now) {
  Lock lock(impl_->mu);
  Transaction tx(*this);
  guarded("end an unstarted job", [&] {
    SQLite::Statement tasks(impl_->db,
                            "UPDATE tasks SET state = 'skipped', reason = 'the job did not start', finished_at = ?2 "
                            "WHERE job_id = ?1 AND state = 'pending'");
    tasks.bind(1, static_cast<int64_t>(id));
    tasks.bind(2, static_cast<int64_t>(now));
    tasks.exec();
  });
  set_job_state(id, state, reason, now);
  tx.commit();
}

void JobStore::replace_tasks(std::int64_t job, const std::vector<std::pair<std::string, std::string>>& tasks) {
  Lock lock(impl_->mu);
  guarded("replace tasks", [&] {
    SQLite::Transaction tx(impl_->db);
    SQLite::Statement del(impl_->db, "DELETE FROM tasks WHERE job_id = ?");
    del.bind(1, static_cast<int64_t>(job));
    del.exec();
    auto& t = *impl_->insert_task;
    for (std::size_t i = 0; i < tasks.size(); ++i) {
      t.reset();
      t.bind(1, static_cast<int64_t>(job));
      t.bind(2, static_cast<int>(i));
      t.bind(3, tasks[i].first);
      t.bind(4, tasks[i].second);
      t.exec();
    }
    tx.commit();
  });
}

void JobStore::save_applied_config(const AppliedConfig& c) {
  Lock lock(impl_->mu);
  guarded("save the applied config", [&] {
    SQLite::Statement q(impl_->db,
                        "INSERT OR REPLACE INTO applied_config (id, source, revision, content, applied_at) "
                        "VALUES (1, ?, ?, ?, ?)");
    q.bind(1, c.source);
    q.bind(2, c.revision);
    q.bind(3, c.content.data(), static_cast<int>(c.content.size()));
    q.bind(4, static_cast<int64_t>(c.applied_at));
    q.exec();
  });
}

std::optional<AppliedConfig> JobStore::applied_config() const {
  Lock lock(impl_->mu);
  return guarded("read the applied config", [&]() -> std::optional<AppliedConfig> {
    SQLite::Statement q(impl_->db, "SELECT source, revision, content, applied_at FROM applied_config WHERE id = 1");
    if (!q.executeStep()) return std::nullopt;
    const SQLite::Column content = q.getColumn(2);
    return AppliedConfig{q.getColumn(0).getString(), q.getColumn(1).getString(),
                         std::string(static_cast<const char*>(content.getBlob()), static_cast<std::size_t>(content.getBytes())),
                         q.getColumn(3).getInt64()};
  });
}

namespace {

std::vector<DurationStats> duration_stats(SQLite::Database& db, const char* table, const char* key) {
  std::string sql = std::string("SELECT ") + key + ", state, count(*), coalesce(sum(finished_at - started_at), 0)";
  for (std::int64_t b : kDurationBucketsMs)
    sql += ", coalesce(sum(finished_at - started_at <= " + std::to_string(b) + "), 0)";
  sql += std::string(" FROM ") + table + " WHERE started_at IS NOT NULL AND finished_at IS NOT NULL GROUP BY 1, 2";
  SQLite::Statement q(db, sql);
  std::vector<DurationStats> out;
  while (q.executeStep()) {
    DurationStats s{q.getColumn(0).getString(), q.getColumn(1).getString(), q.getColumn(2).getInt64(),
                    q.getColumn(3).getInt64(), {}};
    for (int i = 0; i < static_cast<int>(std::size(kDurationBucketsMs)); ++i) s.at_most.push_back(q.getColumn(4 + i).getInt64());
    out.push_back(std::move(s));
  }
  return out;
}

}  // namespace

std::vector<DurationStats> JobStore::job_durations() const {
  Lock lock(impl_->mu);
  return guarded("job durations", [&] { return duration_stats(impl_->db, "jobs", "workflow"); });
}

std::vector<DurationStats> JobStore::task_durations() const {
  Lock lock(impl_->mu);
  return guarded("task durations", [&] { return duration_stats(impl_->db, "tasks", "type"); });
}

bool JobStore::record_delivery(const std::string& forge, const std::string& id, std::int64_t now,
                               std::int64_t window_ms, std::int64_t max_kept) {
  Lock lock(impl_->mu);
  return guarded("record a webhook delivery", [&] {
    SQLite::Transaction tx(impl_->db);
    SQLite::Statement expire(impl_->db, "DELETE FROM webhook_deliveries WHERE received_at < ?");
    expire.bind(1, static_cast<int64_t>(now - window_ms));
    expire.exec();
    SQLite::Statement insert(impl_->db,
                             "INSERT OR IGNORE INTO webhook_deliveries (forge, delivery, received_at) VALUES (?, ?, ?)");
    insert.bind(1, forge);
    insert.bind(2, id);
    insert.bind(3, static_cast<int64_t>(now));
    bool fresh = insert.exec() == 1;
    // The bound: a flood of authentic deliveries forgets the oldest first.
    if (fresh && ++impl_->deliveries_since_trim >= 1000) {
      impl_->deliveries_since_trim = 0;
      SQLite::Statement trim(impl_->db,
                             "DELETE FROM webhook_deliveries WHERE received_at <= (SELECT received_at FROM "
                             "webhook_deliveries ORDER BY received_at DESC LIMIT 1 OFFSET ?)");
      trim.bind(1, static_cast<int64_t>(max_kept));
      trim.exec();
    }
    tx.commit();
    return fresh;
  });
}

}  // namespace cwf::store
