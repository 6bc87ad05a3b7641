#pragma once

// GitOps for the workflows file: a valid revision replaces the running config
// at once; an invalid one changes nothing, and the reason stays visible until
// a valid revision comes (the status follows Flux's ready / last applied /
// last attempted revision).

#include <cstdint>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <vector>

#include "config/loader.hh"
#include "config/model.hh"
#include "config/plan.hh"

namespace cwf::runner {

using ConfigPtr = std::shared_ptr<const config::Config>;

struct ConfigStatus {
  std::string source;  // "git file:///srv/ops.git main:.convox-workflows.yml" or "file /etc/x.yml"
  bool ready = false;
  std::vector<std::string> errors;  // FILE:LINE:COL: error: ... of the last attempt, when rejected
  std::string last_applied_revision, last_attempted_revision;
  std::int64_t last_applied_at = 0, last_attempted_at = 0;
  std::size_t workflows = 0;
};

class Reconciler {
 public:
  // LOAD: what every revision is loaded with (the racks file's racks).
  explicit Reconciler(std::string source, config::LoadOptions load = {});

  struct Outcome {
    bool applied = false;      // false: rejected, or the revision was already applied
    bool attempted = false;    // false: nothing new was offered
    config::Plan plan;         // applied: what changed
    std::vector<std::string> errors;
  };
  // NAME is the file's name in diagnostics; SIZE its real size, when
  // CONTENT was read only up to the limit.
  Outcome offer(const std::string& revision, const std::string& name, const std::string& content,
                std::uint64_t size = 0);
  // A revision that cannot even be read (no such file at that commit, say).
  Outcome reject(const std::string& revision, const std::string& error);
  // The config saved by an earlier run, trusted as the last good one.
  bool restore(const std::string& revision, const std::string& name, const std::string& content,
               std::int64_t applied_at);

  ConfigPtr current() const;
  ConfigStatus status() const;

 private:
  config::LoadOptions load_;
  mutable std::mutex mu_;
  ConfigPtr current_;
  std::string applied_content_;
  ConfigStatus status_;
};

// "+ a; ~ b: tasks[0].app "x" -> "y"; - c" or "no change": the plan on one line.
std::string one_line(const config::Plan& plan);

}  // namespace cwf::runner
