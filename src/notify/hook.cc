#include "notify/hook.hh"

#include "notify/event.hh"
#include "util/masker.hh"

namespace cwf::notify {
namespace {

void mask_all(nlohmann::ordered_json& j, const Masker& masker) {
  if (j.is_string()) {
    const auto& s = j.get_ref<const std::string&>();
    if (masker.contains_secret(s)) j = masker.mask(s);
  } else if (j.is_structured()) {
    for (auto& v : j) mask_all(v, masker);
  }
}

}  // namespace

std::vector<std::string> secret_values(const config::Config& config, const EnvLookup& env) {
  std::vector<std::string> out;
  auto add = [&](const std::vector<config::NotifyTarget>& targets) {
    for (const auto& t : targets)
      for (const std::string* name : {&t.url_env, &t.secret_env})
        if (!name->empty())
          if (std::string v = env(*name); !v.empty()) out.push_back(std::move(v));
  };
  add(config.notifications);
  for (const auto& w : config.workflows)
    if (w.notify) add(*w.notify);
  return out;
}

void mask_strings(nlohmann::ordered_json& j, const std::vector<std::string>& secrets) {
  Masker masker(secrets);
  if (!masker.empty()) mask_all(j, masker);
}

NotifyHook::NotifyHook(ConfigSource config, std::string public_url, std::vector<std::string> masked, EnvLookup env)
    : config_(std::move(config)), public_url_(std::move(public_url)), masked_(std::move(masked)), env_(std::move(env)) {}

std::vector<store::NewNotification> NotifyHook::on_job_state(const store::JobRecord& job,
                                                             std::optional<store::JobState> previous) {
  std::vector<store::NewNotification> out;
  auto config = config_();
  if (!config) return out;
  // A job's workflow removed from the file since: the file's notifications still hear of it.
  const config::Workflow* workflow = config->find(job.workflow);
  const auto& targets = workflow ? config->targets_for(*workflow) : config->notifications;
  if (targets.empty()) return out;
  bool recovered = job.state == store::JobState::succeeded && previous == store::JobState::failed;
  auto waiting = waiting_promote(job, workflow);
  std::vector<std::string> secrets = masked_;
  for (auto& v : secret_values(*config, env_)) secrets.push_back(std::move(v));
  for (const auto& t : targets) {
    auto event = event_for(t, job.state, recovered, !waiting.empty());
    if (!event) continue;
    auto body = payload(*event, job, recovered, waiting, public_url_);
    mask_strings(body, secrets);
    out.push_back({config::to_string(*event), to_json(t),
                   body.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace)});
  }
  if (!out.empty() && queued_) queued_();
  return out;
}

}  // namespace cwf::notify
