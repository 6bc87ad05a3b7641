// The pull request heads that made jobs: what makes "once per (workflow, PR,
// head)" hold across restarts, lost webhooks and replayed ones.
#include "store/store_internal.hh"

namespace cwf::store {

std::vector<PullRequestHead> JobStore::pull_request_heads(const std::string& remote) const {
  Lock lock(impl_->mu);
  return guarded("read pull request heads", [&] {
    SQLite::Statement q(impl_->db, "SELECT workflow, number, sha FROM pull_request_heads WHERE remote = ?");
    q.bind(1, remote);
    std::vector<PullRequestHead> out;
    while (q.executeStep()) out.push_back({q.getColumn(0).getString(), q.getColumn(1).getInt(), q.getColumn(2).getString()});
    return out;
  });
}

bool JobStore::record_pull_request_head(const std::string& remote, const PullRequestHead& head, std::int64_t now) {
  Lock lock(impl_->mu);
  return guarded("record a pull request head", [&] {
    SQLite::Statement q(impl_->db,
                        "INSERT OR IGNORE INTO pull_request_heads (remote, workflow, number, sha, seen_at) "
                        "VALUES (?, ?, ?, ?, ?)");
    q.bind(1, remote);
    q.bind(2, head.workflow);
    q.bind(3, head.number);
    q.bind(4, head.sha);
    q.bind(5, static_cast<int64_t>(now));
    return q.exec() == 1;
  });
}

void JobStore::forget_pull_requests(const std::string& remote, const std::vector<int>& open) {
  Lock lock(impl_->mu);
  guarded("forget closed pull requests", [&] {
    std::string numbers;
    for (int n : open) numbers += (numbers.empty() ? "" : ",") + std::to_string(n);
    SQLite::Statement q(impl_->db, "DELETE FROM pull_request_heads WHERE remote = ? AND number NOT IN (" + numbers + ")");
    q.bind(1, remote);
    q.exec();
  });
}

std::vector<JobRecord> JobStore::pull_request_jobs(const std::string& remote, const std::string& workflow,
                                                   int number) const {
  Lock lock(impl_->mu);
  return guarded("list a pull request's jobs", [&] {
    SQLite::Statement q(impl_->db, std::string("SELECT ") + kJobColumns +
                                       " FROM jobs WHERE remote = ? AND workflow = ? AND pull_request = ? "
                                       "AND state IN ('queued', 'waiting', 'running') ORDER BY id");
    q.bind(1, remote);
    q.bind(2, workflow);
    q.bind(3, number);
    std::vector<JobRecord> out;
    while (q.executeStep()) {
      out.push_back(read_job(q));
      impl_->overlay_unrecorded(out.back());
      if (is_final(out.back().state)) out.pop_back();
    }
    return out;
  });
}

std::optional<PullRequestComment> JobStore::pull_request_comment(const std::string& remote, int number) const {
  Lock lock(impl_->mu);
  return guarded("read a pull request's comment", [&]() -> std::optional<PullRequestComment> {
    SQLite::Statement q(impl_->db, "SELECT comment_id, head_sha, base_sha FROM pull_request_comments "
                                   "WHERE remote = ? AND pull_request = ?");
    q.bind(1, remote);
    q.bind(2, number);
    if (!q.executeStep()) return std::nullopt;
    return PullRequestComment{q.getColumn(0).getString(), q.getColumn(1).getString(), q.getColumn(2).getString()};
  });
}

void JobStore::record_pull_request_comment(const std::string& remote, int number, const PullRequestComment& c,
                                           std::int64_t now) {
  Lock lock(impl_->mu);
  guarded("record a pull request's comment", [&] {
    SQLite::Statement q(impl_->db,
                        "INSERT INTO pull_request_comments (remote, pull_request, comment_id, head_sha, base_sha, "
                        "updated_at) VALUES (?1, ?2, ?3, ?4, ?5, ?6) ON CONFLICT (remote, pull_request) DO UPDATE "
                        "SET comment_id = ?3, head_sha = ?4, base_sha = ?5, updated_at = ?6");
    q.bind(1, remote);
    q.bind(2, number);
    q.bind(3, c.comment_id);
    q.bind(4, c.head_sha);
    q.bind(5, c.base_sha);
    q.bind(6, static_cast<int64_t>(now));
    q.exec();
  });
}

}  // namespace cwf::store
