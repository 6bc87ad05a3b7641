// The review apps the runner created: the only apps a teardown may delete.
#include "store/store_internal.hh"

namespace cwf::store {
namespace {

const char* const kColumns =
    "remote, workflow, pull_request, repository, app, rack, created_at, last_commit, deployed_at, url, "
    "expire_after_ms, state, deleted_at, deployment_id";

ReviewApp read_app(SQLite::Statement& q) {
  ReviewApp a;
  a.remote = q.getColumn(0).getString();
  a.workflow = q.getColumn(1).getString();
  a.pull_request = q.getColumn(2).getInt();
  a.repository = q.getColumn(3).getString();
  a.app = q.getColumn(4).getString();
  a.rack = q.getColumn(5).getString();
  a.created_at = q.getColumn(6).getInt64();
  a.last_commit = q.getColumn(7).getString();
  a.deployed_at = optional_int64(q.getColumn(8));
  a.url = q.getColumn(9).getString();
  a.expire_after_ms = optional_int64(q.getColumn(10));
  a.state = q.getColumn(11).getString();
  a.deleted_at = optional_int64(q.getColumn(12));
  a.deployment_id = q.getColumn(13).getString();
  return a;
}

void bind_key(SQLite::Statement& q, const ReviewApp& key) {
  q.bind(":remote", key.remote);
  q.bind(":workflow", key.workflow);
  q.bind(":pr", key.pull_request);
}

constexpr const char* kWhereKey = " WHERE remote = :remote AND workflow = :workflow AND pull_request = :pr";

}  // namespace

std::optional<ReviewApp> JobStore::review_app(const std::string& remote, const std::string& workflow,
                                              int pull_request) const {
  Lock lock(impl_->mu);
  return guarded("read a review app", [&]() -> std::optional<ReviewApp> {
    SQLite::Statement q(impl_->db, std::string("SELECT ") + kColumns + " FROM review_apps" + kWhereKey);
    ReviewApp key;
    key.remote = remote;
    key.workflow = workflow;
    key.pull_request = pull_request;
    bind_key(q, key);
    if (!q.executeStep()) return std::nullopt;
    return read_app(q);
  });
}

std::vector<ReviewApp> JobStore::review_apps(const std::string& remote) const {
  Lock lock(impl_->mu);
  return guarded("list review apps", [&] {
    SQLite::Statement q(impl_->db, std::string("SELECT ") + kColumns + " FROM review_apps" +
                                       (remote.empty() ? "" : " WHERE remote = :remote") +
                                       " ORDER BY created_at DESC, pull_request DESC");
    if (!remote.empty()) q.bind(":remote", remote);
    std::vector<ReviewApp> out;
    while (q.executeStep()) out.push_back(read_app(q));
    return out;
  });
}

void JobStore::record_review_app_created(const ReviewApp& a) {
  Lock lock(impl_->mu);
  guarded("record a review app", [&] {
    SQLite::Statement q(impl_->db,
                        "INSERT INTO review_apps (remote, workflow, pull_request, repository, app, rack, created_at) "
                        "VALUES (:remote, :workflow, :pr, :repository, :app, :rack, :at) "
                        "ON CONFLICT (remote, workflow, pull_request) DO UPDATE SET repository = :repository, "
                        "app = :app, rack = :rack, created_at = :at, last_commit = '', deployed_at = NULL, url = '', "
                        "state = 'active', deleted_at = NULL, deployment_id = ''");
    bind_key(q, a);
    q.bind(":repository", a.repository);
    q.bind(":app", a.app);
    q.bind(":rack", a.rack);
    q.bind(":at", static_cast<int64_t>(a.created_at));
    q.exec();
  });
}

void JobStore::record_review_app_deployed(const ReviewApp& key, const std::string& commit, const std::string& url,
                                          std::optional<std::int64_t> expire_after_ms, std::int64_t now) {
  Lock lock(impl_->mu);
  guarded("record a review app's deploy", [&] {
    SQLite::Statement q(impl_->db, std::string("UPDATE review_apps SET last_commit = :commit, url = :url, "
                                               "deployed_at = :at, expire_after_ms = :expire") +
                                       kWhereKey);
    bind_key(q, key);
    q.bind(":commit", commit);
    q.bind(":url", url);
    q.bind(":at", static_cast<int64_t>(now));
    if (expire_after_ms) q.bind(":expire", static_cast<int64_t>(*expire_after_ms));
    else q.bind(":expire");
    q.exec();
  });
}

bool JobStore::mark_review_app_deleting(const ReviewApp& key) {
  Lock lock(impl_->mu);
  return guarded("mark a review app for deletion", [&] {
    SQLite::Statement q(impl_->db, std::string("UPDATE review_apps SET state = 'deleting'") + kWhereKey +
                                       " AND state = 'active'");
    bind_key(q, key);
    return q.exec() == 1;
  });
}

void JobStore::record_review_app_deleted(const ReviewApp& key, std::int64_t now) {
  Lock lock(impl_->mu);
  guarded("record a review app's deletion", [&] {
    SQLite::Statement q(impl_->db, std::string("UPDATE review_apps SET state = 'deleted', deleted_at = :at") + kWhereKey);
    bind_key(q, key);
    q.bind(":at", static_cast<int64_t>(now));
    q.exec();
  });
}

void JobStore::record_review_app_deployment(const ReviewApp& key, const std::string& deployment_id) {
  Lock lock(impl_->mu);
  guarded("record a review app's deployment", [&] {
    SQLite::Statement q(impl_->db, std::string("UPDATE review_apps SET deployment_id = :id") + kWhereKey);
    bind_key(q, key);
    q.bind(":id", deployment_id);
    q.exec();
  });
}

}  // namespace cwf::store
