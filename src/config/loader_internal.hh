#pragma once

// Shared between loader.cc (file, workflows, triggers), task_loader.cc and
// task_links.cc.

#include <optional>
#include <span>
#include <string>
#include <vector>

#include "config/loader.hh"
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
  std::optional<std::string> image;     // script tasks
  const LoadOptions* options = nullptr;
};

// Reports an IMAGE at KEY that is no container image reference.
void check_image(MapReader& r, const std::string& key, const std::string& image);

// Index into OPTIONS of the value at KEY, reporting anything else.
std::optional<std::size_t> read_choice(MapReader& r, const std::string& key,
                                       const std::vector<std::string>& options);

// Links each task to the earlier ones it takes from: a copy without build:
// to the build it copies, a promote or run without release: to the task
// that makes it. TASKS are the list's, nullopt where invalid; NODES their nodes.
void link_tasks(std::vector<std::optional<Task>>& tasks, std::span<const yaml::Node* const> nodes,
                const std::string& what, Diagnostics& diags);

// review_app_loader.cc: the keys of a review_app task, and what it needs of
// the rest of TASK (its app name fits "<app>-pr-<number>").
extern const std::vector<std::string> kReviewAppKeys;
void load_review_app(MapReader& r, Task& t, const Defaults& defaults);
// A workflow's review_app tasks: one at most, on pull requests only.
void check_review_apps(const Workflow& w, const std::string& what, Diagnostics& diags);

// Reads WORKFLOW's "tasks" list; false when any task is invalid.
bool load_tasks(MapReader& workflow, const Defaults& defaults, std::vector<Task>& out);

}  // namespace cwf::config

namespace cwf::config {

// notify_loader.cc: a list of notification targets at NODE (`notifications`,
// a workflow's `notify`); nullopt when any is invalid.
std::optional<std::vector<NotifyTarget>> load_notify_list(const yaml::Node& node, const std::string& what,
                                                          Diagnostics& diags);
// A task's secrets may not name a notification's variable: what a Slack URL
// or a signing key is worth lies in no task seeing it.
void check_notify_secrets(const Config& config, Diagnostics& diags);

}  // namespace cwf::config
