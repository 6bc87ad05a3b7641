#pragma once

// What applying one workflows file over another changes, field by field, on
// effective values (defaults applied), like `terraform plan`.

#include <nlohmann/json_fwd.hpp>
#include <string>
#include <utility>
#include <vector>

#include "config/model.hh"

namespace cwf::config {

struct FieldChange {
  std::string path;       // "tasks[1].promote"
  std::string old_value;  // JSON-encoded; empty when absent
  std::string new_value;
};

struct WorkflowChange {
  enum class Kind { added, removed, changed } kind;
  std::string name;
  std::string summary;               // added and removed: what the workflow does
  std::vector<FieldChange> fields;   // changed: what differs
};

struct Plan {
  std::vector<WorkflowChange> changes;  // removed, changed, added; each by name
  bool empty() const { return changes.empty(); }
  int count(WorkflowChange::Kind k) const;
};

// The workflow as (path, JSON-encoded value) pairs in a stable order.
std::vector<std::pair<std::string, std::string>> flatten(const Workflow& w);
std::string summarize(const Workflow& w);

Plan diff(const Config& before, const Config& after);
std::string format_plan(const Plan& plan);
nlohmann::json plan_to_json(const Plan& plan);

}  // namespace cwf::config
