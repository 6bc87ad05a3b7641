#pragma once

// Shared between loader.cc (file, workflows, triggers) and task_loader.cc.

#include <optional>
#include <string>
#include <vector>

#include "config/map_reader.hh"
#include "config/model.hh"

namespace cwf::config {

struct Racks;

struct Defaults {
  std::optional<std::string> rack;
  Position rack_pos;
  const Racks* racks = nullptr;  // LoadOptions::racks
  std::optional<Seconds> timeout;
  std::optional<std::string> manifest;  // build tasks
};

// Index into OPTIONS of the value at KEY, reporting anything else.
std::optional<std::size_t> read_choice(MapReader& r, const std::string& key,
                                       const std::vector<std::string>& options);

// Reads WORKFLOW's "tasks" list; false when any task is invalid.
bool load_tasks(MapReader& workflow, const Defaults& defaults, std::vector<Task>& out);

}  // namespace cwf::config
