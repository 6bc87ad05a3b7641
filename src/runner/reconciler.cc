#include "runner/reconciler.hh"

#include "config/loader.hh"
#include "store/job_store.hh"

namespace cwf::runner {

Reconciler::Reconciler(std::string source, config::LoadOptions load)
    : load_(load), current_(std::make_shared<config::Config>()) {
  status_.source = std::move(source);
}

Reconciler::Outcome Reconciler::offer(const std::string& revision, const std::string& name,
                                      const std::string& content, std::uint64_t size) {
  std::lock_guard lock(mu_);
  Outcome out;
  if (revision == status_.last_attempted_revision) return out;
  if (status_.ready && content == applied_content_) {
    // A commit that left the file alone (the config branch is often the app's
    // own branch): the revision moves, nothing is re-applied or logged.
    status_.last_attempted_revision = status_.last_applied_revision = revision;
    return out;
  }
  out.attempted = true;
  status_.last_attempted_revision = revision;
  status_.last_attempted_at = store::now_ms();
  auto loaded = config::load(config::Source{name, content, std::max<std::uint64_t>(size, content.size())}, load_);
  if (!loaded.config) {
    for (const auto& d : loaded.diags.items())
      if (d.severity == config::Severity::error) out.errors.push_back(config::format_diagnostic(name, d, true));  // public: no text of the file
    status_.ready = false;
    status_.errors = out.errors;
    return out;
  }
  auto next = std::make_shared<const config::Config>(std::move(*loaded.config));
  out.plan = config::diff(*current_, *next);
  out.applied = true;
  current_ = std::move(next);
  applied_content_ = content;
  status_.ready = true;
  status_.errors.clear();
  status_.last_applied_revision = revision;
  status_.last_applied_at = status_.last_attempted_at;
  status_.workflows = current_->workflows.size();
  return out;
}

Reconciler::Outcome Reconciler::reject(const std::string& revision, const std::string& error) {
  std::lock_guard lock(mu_);
  Outcome out;
  if (revision == status_.last_attempted_revision) return out;
  out.attempted = true;
  out.errors = {error};
  status_.ready = false;
  status_.errors = out.errors;
  status_.last_attempted_revision = revision;
  status_.last_attempted_at = store::now_ms();
  return out;
}

bool Reconciler::restore(const std::string& revision, const std::string& name, const std::string& content,
                         std::int64_t applied_at) {
  // A saved file that names a rack the racks file no longer has is not restored.
  auto loaded = config::load_string(name, content, load_);
  if (!loaded.config) return false;
  std::lock_guard lock(mu_);
  current_ = std::make_shared<const config::Config>(std::move(*loaded.config));
  applied_content_ = content;
  status_.ready = true;
  status_.last_applied_revision = status_.last_attempted_revision = revision;
  status_.last_applied_at = status_.last_attempted_at = applied_at;
  status_.workflows = current_->workflows.size();
  return true;
}

ConfigPtr Reconciler::current() const {
  std::lock_guard lock(mu_);
  return current_;
}

ConfigStatus Reconciler::status() const {
  std::lock_guard lock(mu_);
  return status_;
}

std::string one_line(const config::Plan& plan) {
  using K = config::WorkflowChange::Kind;
  if (plan.empty()) return "no change";
  std::string out = "+" + std::to_string(plan.count(K::added)) + " ~" + std::to_string(plan.count(K::changed)) + " -" +
                    std::to_string(plan.count(K::removed)) + ":";
  constexpr std::size_t kShown = 10;  // a log line, not the whole plan
  std::size_t shown = 0, total = 0;
  for (const auto& c : plan.changes) {
    std::vector<std::string> items;
    if (c.kind == K::changed) {
      for (const auto& f : c.fields)
        items.push_back("~ " + c.name + ": " + f.path + ": " + (f.old_value.empty() ? "(none)" : f.old_value) +
                        " -> " + (f.new_value.empty() ? "(none)" : f.new_value));
    } else {
      items.push_back((c.kind == K::added ? "+ " : "- ") + c.name);
    }
    for (auto& item : items) {
      ++total;
      if (shown == kShown) continue;
      out += (shown++ ? "; " : " ") + item;
    }
  }
  if (total > shown) out += "; and " + std::to_string(total - shown) + " more";
  return out;
}

}  // namespace cwf::runner
