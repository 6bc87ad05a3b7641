// Pruning finished jobs, so that a long-running runner's data dir stays bounded.
#include "store/store_internal.hh"

namespace cwf::store {

std::vector<JobRecord> JobStore::prune(const Retention& r, std::int64_t now, int batch) {
  if (!r.limited()) return {};
  Lock lock(impl_->mu);
  std::vector<std::int64_t> ids;
  guarded("find jobs to prune", [&] {
    const char* finished = "state IN ('succeeded', 'failed', 'cancelled', 'skipped', 'interrupted')";
    // Beyond the newest KEEP finished ones (LIMIT -1: no limit), or older than the cutoff.
    SQLite::Statement q(impl_->db,
                        std::string("SELECT id FROM jobs WHERE ") + finished +
                            " AND ((?1 > 0 AND id IN (SELECT id FROM jobs WHERE " + finished +
                            " ORDER BY id DESC LIMIT -1 OFFSET ?1))"
                            "  OR (?2 > 0 AND coalesce(finished_at, created_at) < ?3)) ORDER BY id LIMIT ?4");
    q.bind(1, r.keep_jobs);
    q.bind(2, static_cast<int64_t>(r.max_age_ms));
    q.bind(3, static_cast<int64_t>(now - r.max_age_ms));
    q.bind(4, batch);
    while (q.executeStep()) ids.push_back(q.getColumn(0).getInt64());
  });
  std::vector<JobRecord> pruned;
  if (ids.empty()) return pruned;
  Transaction tx(*this);
  for (std::int64_t id : ids)
    if (auto j = get_job(id)) pruned.push_back(std::move(*j));
  guarded("prune jobs", [&] {
    SQLite::Statement unlink(impl_->db, "UPDATE jobs SET parent_job_id = NULL WHERE parent_job_id = ?");
    SQLite::Statement del(impl_->db, "DELETE FROM jobs WHERE id = ?");  // tasks: ON DELETE CASCADE
    // Sent or given up: history that goes with its job. Pending ones are still owed.
    SQLite::Statement sent(impl_->db, "DELETE FROM notifications WHERE job_id = ? AND state != 'pending'");
    for (std::int64_t id : ids) {
      for (SQLite::Statement* s : {&unlink, &del, &sent}) {
        s->reset();
        s->bind(1, static_cast<int64_t>(id));
        s->exec();
      }
    }
  });
  tx.commit();
  return pruned;
}

}  // namespace cwf::store
