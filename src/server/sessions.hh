#pragma once

// The web UI's sign-in: a session a browser got by posting the API token to
// /login, named by a random cookie. Held in memory, bounded: a restart signs
// everyone out, and the oldest session goes when a new one would pass the cap.

#include <cstddef>
#include <cstdint>
#include <map>
#include <mutex>
#include <optional>
#include <string>

namespace cwf::server {

struct Session {
  std::string id;    // the cookie's value (32 random bytes, hex)
  std::string csrf;  // the forms' hidden field: another 32 random bytes
  std::int64_t expires_at = 0;
};

class SessionStore {
 public:
  static constexpr std::int64_t kLifetimeMs = 12 * 3600 * 1000;
  static constexpr std::size_t kMaxSessions = 1000;

  Session create(std::int64_t now_ms);
  // The unexpired session ID names, or nullopt.
  std::optional<Session> find(const std::string& id, std::int64_t now_ms) const;
  void end(const std::string& id);
  std::size_t size() const;

 private:
  mutable std::mutex mu_;
  std::map<std::string, Session> by_id_;
};

}  // namespace cwf::server
