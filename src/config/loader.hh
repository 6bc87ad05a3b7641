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

struct Racks;

struct LoadOptions {
  // The racks file's racks: every build, promote and run task must name one
  // of them (or take its default). Null: racks are the convox CLI's business.
  const Racks* racks = nullptr;
  // The runner's --task-backend: "local" refuses script tasks with an image
  // (nothing would run it). Empty: not checked (validate, plan).
  std::string task_backend;
};

LoadResult load(const Source& src, const LoadOptions& options = {});
LoadResult load_string(std::string name, std::string text, const LoadOptions& options = {});

}  // namespace cwf::config
