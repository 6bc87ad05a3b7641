#pragma once

// The job store's StateHook: for a job's new state, a notification for each
// target of its workflow (the file's `notifications` or its own `notify`)
// that asked for the event, its payload masked like the job's log.

#include <functional>
#include <memory>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "config/model.hh"
#include "store/job_store.hh"

namespace cwf::notify {

using ConfigSource = std::function<std::shared_ptr<const config::Config>()>;
// The value of a variable of the runner's environment (empty: unset).
using EnvLookup = std::function<std::string(const std::string&)>;

class NotifyHook : public store::StateHook {
 public:
  // CONFIG: the live workflows file. MASKED: values masked in job logs;
  // the values of the notifications' own variables are masked too.
  NotifyHook(ConfigSource config, std::string public_url, std::vector<std::string> masked, EnvLookup env);

  std::vector<store::NewNotification> on_job_state(const store::JobRecord& job,
                                                    std::optional<store::JobState> previous) override;
  // Called (inside the store's transaction) when a state queued something.
  void on_queued(std::function<void()> f) { queued_ = std::move(f); }

 private:
  std::function<void()> queued_;
  ConfigSource config_;
  std::string public_url_;
  std::vector<std::string> masked_;
  EnvLookup env_;
};

// The values of every variable CONFIG's notifications name (set ones only):
// what the runner's log and every payload mask.
std::vector<std::string> secret_values(const config::Config& config, const EnvLookup& env);

// Every string in J with secrets (the Masker's rules) replaced by ***.
void mask_strings(nlohmann::ordered_json& j, const std::vector<std::string>& secrets);

}  // namespace cwf::notify
