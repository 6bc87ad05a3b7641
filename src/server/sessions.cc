#include "server/sessions.hh"

#include "util/random.hh"

namespace cwf::server {

Session SessionStore::create(std::int64_t now_ms) {
  Session s{random_hex(32), random_hex(32), now_ms + kLifetimeMs};
  std::lock_guard lock(mu_);
  for (auto it = by_id_.begin(); it != by_id_.end();) it = it->second.expires_at <= now_ms ? by_id_.erase(it) : ++it;
  if (by_id_.size() >= kMaxSessions) {
    auto oldest = by_id_.begin();
    for (auto it = by_id_.begin(); it != by_id_.end(); ++it)
      if (it->second.expires_at < oldest->second.expires_at) oldest = it;
    by_id_.erase(oldest);
  }
  by_id_[s.id] = s;
  return s;
}

std::optional<Session> SessionStore::find(const std::string& id, std::int64_t now_ms) const {
  if (id.size() != 64) return std::nullopt;
  std::lock_guard lock(mu_);
  // A map lookup's timing tells how much of a guess's prefix matched some
  // session's: of no use against 256 random bits.
  auto it = by_id_.find(id);
  if (it == by_id_.end() || it->second.expires_at <= now_ms) return std::nullopt;
  return it->second;
}

void SessionStore::end(const std::string& id) {
  std::lock_guard lock(mu_);
  by_id_.erase(id);
}

std::size_t SessionStore::size() const {
  std::lock_guard lock(mu_);
  return by_id_.size();
}

}  // namespace cwf::server
