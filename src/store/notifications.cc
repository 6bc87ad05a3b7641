// Notifications of jobs' events: queued with the state that causes them,
// claimed by the notifier, their attempts recorded (issue 19).
#include "store/store_internal.hh"
#include "util/log.hh"

namespace cwf::store {
namespace {

constexpr const char* kColumns =
    "id, delivery, job_id, workflow, event, target, payload, state, attempts, next_at, created_at, last_status, "
    "last_error, finished_at";

Notification read_notification(SQLite::Statement& q) {
  Notification n;
  n.id = q.getColumn(0).getInt64();
  n.delivery = q.getColumn(1).getString();
  n.job_id = q.getColumn(2).getInt64();
  n.workflow = q.getColumn(3).getString();
  n.event = q.getColumn(4).getString();
  n.target = q.getColumn(5).getString();
  n.payload = q.getColumn(6).getString();
  n.state = q.getColumn(7).getString();
  n.attempts = q.getColumn(8).getInt();
  n.next_at = q.getColumn(9).getInt64();
  n.created_at = q.getColumn(10).getInt64();
  n.last_status = optional_int(q.getColumn(11));
  n.last_error = q.getColumn(12).getString();
  n.finished_at = optional_int64(q.getColumn(13));
  return n;
}

}  // namespace

void JobStore::Impl::queue_notifications(std::int64_t id) {
  if (!hook) return;
  auto job = read_job_with_tasks(id);
  if (!job) return;
  std::optional<JobState> previous;
  if (job->state == JobState::succeeded) {
    // Promote and teardown jobs are errands of their own: they don't break or mend a branch.
    SQLite::Statement q(db,
                        "SELECT state FROM jobs WHERE workflow = ?1 AND id < ?2 AND branch = ?3 "
                        "AND coalesce(pull_request, -1) = ?4 AND promote_task IS NULL AND teardown = 0 "
                        "AND state IN ('succeeded', 'failed') ORDER BY id DESC LIMIT 1");
    q.bind(1, job->workflow);
    q.bind(2, static_cast<int64_t>(job->id));
    q.bind(3, job->branch);
    q.bind(4, job->pull_request.value_or(-1));
    if (q.executeStep()) previous = parse_job_state(q.getColumn(0).getString());
  }
  std::vector<NewNotification> queued;
  try {
    queued = hook->on_job_state(*job, previous);
  } catch (const std::exception& e) {
    // The job's state matters more than its notice: it is recorded all the same.
    log::error("cannot make the job's notifications", {{"job", std::to_string(id)}, {"error", e.what()}});
    return;
  }
  if (queued.empty()) return;
  SQLite::Statement insert(db,
                           "INSERT INTO notifications (delivery, job_id, workflow, event, target, payload, state, "
                           "next_at, created_at) VALUES (lower(hex(randomblob(16))), ?1, ?2, ?3, ?4, ?5, 'pending', ?6, ?6)");
  std::int64_t now = now_ms();
  for (const auto& n : queued) {
    insert.reset();
    insert.bind(1, static_cast<int64_t>(id));
    insert.bind(2, job->workflow);
    insert.bind(3, n.event);
    insert.bind(4, n.target);
    insert.bind(5, n.payload);
    insert.bind(6, static_cast<int64_t>(now));
    insert.exec();
  }
}

void JobStore::set_state_hook(StateHook* hook) {
  Lock lock(impl_->mu);
  impl_->hook = hook;
}

namespace {

// Pending ones that may go next: not being sent (BUSY), and not behind an
// earlier pending one of the same job and target, which goes first (being
// sent right now, or waiting for its retry).
std::string sendable(const std::vector<std::int64_t>& busy) {
  std::string skip;
  for (std::int64_t id : busy) skip += (skip.empty() ? "" : ",") + std::to_string(id);
  return std::string(" FROM notifications n WHERE state = 'pending'") +
         (skip.empty() ? "" : " AND id NOT IN (" + skip + ")") +
         " AND NOT EXISTS (SELECT 1 FROM notifications o WHERE o.job_id = n.job_id AND o.target = n.target AND "
         "o.id < n.id AND o.state = 'pending')";
}

}  // namespace

std::vector<Notification> JobStore::due_notifications(std::int64_t now, const std::vector<std::int64_t>& busy,
                                                      int limit) const {
  Lock lock(impl_->mu);
  return guarded("read due notifications", [&] {
    SQLite::Statement q(impl_->db, std::string("SELECT ") + kColumns + sendable(busy) +
                                       " AND next_at <= ?1 ORDER BY next_at, id LIMIT ?2");
    q.bind(1, static_cast<int64_t>(now));
    q.bind(2, limit);
    std::vector<Notification> out;
    while (q.executeStep()) out.push_back(read_notification(q));
    return out;
  });
}

std::optional<std::int64_t> JobStore::next_notification_at(const std::vector<std::int64_t>& busy) const {
  Lock lock(impl_->mu);
  return guarded("read the next notification", [&]() -> std::optional<std::int64_t> {
    SQLite::Statement q(impl_->db, "SELECT min(next_at)" + sendable(busy));
    if (!q.executeStep() || q.getColumn(0).isNull()) return std::nullopt;
    return q.getColumn(0).getInt64();
  });
}

void JobStore::record_notification_attempt(std::int64_t id, const NotificationAttempt& a) {
  Lock lock(impl_->mu);
  guarded("record a notification's attempt", [&] {
    using O = NotificationAttempt::Outcome;
    SQLite::Statement q(impl_->db,
                        "UPDATE notifications SET state = ?2, attempts = attempts + 1, last_status = ?3, "
                        "last_error = ?4, next_at = ?5, finished_at = ?6 WHERE id = ?1 AND state = 'pending'");
    q.bind(1, static_cast<int64_t>(id));
    q.bind(2, a.outcome == O::delivered ? "delivered" : a.outcome == O::failed ? "failed" : "pending");
    bind_optional(q, 3, a.status);
    q.bind(4, a.error);
    q.bind(5, static_cast<int64_t>(a.outcome == O::retry ? a.next_at : a.at));
    if (a.outcome == O::retry) q.bind(6);
    else q.bind(6, static_cast<int64_t>(a.at));
    q.exec();
  });
}

std::vector<Notification> JobStore::list_notifications(const NotificationFilter& f) const {
  Lock lock(impl_->mu);
  return guarded("list notifications", [&] {
    std::string sql = std::string("SELECT ") + kColumns + " FROM notifications WHERE 1";
    if (!f.state.empty()) sql += " AND state = :state";
    if (f.before_id) sql += " AND id < :before";
    sql += " ORDER BY id DESC LIMIT :limit";
    SQLite::Statement q(impl_->db, sql);
    if (!f.state.empty()) q.bind(":state", f.state);
    if (f.before_id) q.bind(":before", static_cast<int64_t>(*f.before_id));
    q.bind(":limit", f.limit);
    std::vector<Notification> out;
    while (q.executeStep()) out.push_back(read_notification(q));
    return out;
  });
}

std::optional<Notification> JobStore::get_notification(std::int64_t id) const {
  Lock lock(impl_->mu);
  return guarded("get a notification", [&]() -> std::optional<Notification> {
    SQLite::Statement q(impl_->db, std::string("SELECT ") + kColumns + " FROM notifications WHERE id = ?");
    q.bind(1, static_cast<int64_t>(id));
    if (!q.executeStep()) return std::nullopt;
    return read_notification(q);
  });
}

bool JobStore::requeue_notification(std::int64_t id, std::int64_t now) {
  Lock lock(impl_->mu);
  return guarded("queue a notification again", [&] {
    SQLite::Statement q(impl_->db,
                        "UPDATE notifications SET state = 'pending', next_at = ?2, created_at = ?2, finished_at = NULL "
                        "WHERE id = ?1 AND state = 'failed'");
    q.bind(1, static_cast<int64_t>(id));
    q.bind(2, static_cast<int64_t>(now));
    return q.exec() == 1;
  });
}

std::map<std::string, std::int64_t> JobStore::notification_counts() const {
  Lock lock(impl_->mu);
  return guarded("count notifications", [&] {
    std::map<std::string, std::int64_t> out = {{"pending", 0}, {"delivered", 0}, {"failed", 0}};
    SQLite::Statement q(impl_->db, "SELECT state, count(*) FROM notifications GROUP BY state");
    while (q.executeStep()) out[q.getColumn(0).getString()] = q.getColumn(1).getInt64();
    return out;
  });
}

}  // namespace cwf::store
