#pragma once

// Loads and validates a workflows file: every problem is reported in one run,
// and a Config is returned only when there is no error (warnings never block).

#include <optional>
#include <string>

#include "config/diagnostics.hh"
#include "config/model.hh"
#include "config/source.hh"

namespace cwf::config {

struct LoadResult {
  std::optional<Config> config;
  Diagnostics diags;
};

LoadResult load(const Source& src);
LoadResult load_string(std::string name, std::string text);

}  // namespace cwf::config
