#pragma once

// The store's schema as numbered SQL files (schema/migrations/NNNN_*.sql),
// compiled into the binary; PRAGMA user_version counts those applied.

#include <string>
#include <vector>

namespace cwf::store {

struct Migration {
  const char* name;
  const char* sql;
};

const std::vector<Migration>& migrations();

}  // namespace cwf::store
