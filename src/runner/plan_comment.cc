#include "runner/plan_comment.hh"

#include <algorithm>

#include "config/plan.hh"

namespace cwf::runner {
namespace {

// GitHub takes 65,536 characters; GitLab 1,000,000.
constexpr std::size_t kMaxBlock = 60000;

std::string fenced(std::string text) {
  if (text.size() > kMaxBlock) {
    text.resize(kMaxBlock);
    while (!text.empty() && (static_cast<unsigned char>(text.back()) & 0xC0) == 0x80) text.pop_back();
    if (!text.empty() && static_cast<unsigned char>(text.back()) >= 0xC0) text.pop_back();  // a cut sequence's lead
    text += "\n... (cut: run convox-workflows plan for the rest)\n";
  }
  std::size_t longest = 0, run = 0;
  for (char c : text) {
    run = c == '`' ? run + 1 : 0;
    longest = std::max(longest, run);
  }
  std::string fence(std::max<std::size_t>(3, longest + 1), '`');
  if (!text.empty() && text.back() != '\n') text += '\n';
  return fence + "text\n" + text + fence + "\n";
}

std::string short_sha(const std::string& sha) { return sha.substr(0, 12); }

}  // namespace

std::string plan_comment(const PlanSides& s) {
  std::string out = "<!-- convox-workflows: plan -->\n";
  std::string head = "`" + short_sha(s.head_sha) + "`";
  if (!s.head) {
    return out + "### convox-workflows: this pull request deletes `" + s.path + "`\n\nAt " + head +
           " there is no workflows file: merged, the runner keeps running the last one it applied.\n";
  }
  if (!s.head->config) {
    std::string errors;
    int n = 0;
    for (const auto& d : s.head->diags.items())
      if (d.severity == config::Severity::error) {
        errors += config::format_diagnostic(s.path, d) + "\n";  // the PR's own text, fenced
        ++n;
      }
    return out + "### convox-workflows: `" + s.path + "` is invalid at " + head + "\n\n" + std::to_string(n) +
           (n == 1 ? " error" : " errors") + "; merged, it changes nothing (the runner keeps its last good file):\n\n" +
           fenced(errors);
  }
  config::Config none;
  config::Plan plan = config::diff(s.base && s.base->config ? *s.base->config : none, *s.head->config);
  out += "### convox-workflows: plan of `" + s.path + "` at " + head + "\n\nAgainst `" + s.base_branch + "` (`" +
         short_sha(s.base_sha) + "`)" + (s.base && s.base->config ? "" : ", which has no valid workflows file") + ": ";
  using K = config::WorkflowChange::Kind;
  out += std::to_string(plan.count(K::added)) + " added, " + std::to_string(plan.count(K::changed)) + " changed, " +
         std::to_string(plan.count(K::removed)) + " removed.\n\n";
  if (plan.empty()) return out + "Merged, it changes no workflow.\n";
  return out + fenced(config::format_plan(plan));
}

std::string unchanged_comment(const std::string& path, const std::string& head_sha) {
  return "<!-- convox-workflows: plan -->\n### convox-workflows: `" + path + "` unchanged\n\nAt `" + short_sha(head_sha) +
         "` this pull request no longer changes the workflows file.\n";
}

}  // namespace cwf::runner
