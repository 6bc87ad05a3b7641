// The forges' commit-status JSON, read and written without any I/O.
#include <map>

#include <nlohmann/json.hpp>

#include "forge/forge.hh"

namespace cwf::forge {
namespace {

using nlohmann::json;

bool own(const std::string& context) { return context.rfind(kOwnContextPrefix, 0) == 0; }

std::string str(const json& j, const char* key) {
  auto it = j.find(key);
  return it != j.end() && it->is_string() ? it->get<std::string>() : "";
}

std::optional<json> array_in(std::string_view page, const char* key, json& doc) {
  doc = json::parse(page, nullptr, false);
  if (doc.is_discarded()) return std::nullopt;
  if (!key) return doc.is_array() ? std::optional<json>(doc) : std::nullopt;
  if (!doc.is_object() || !doc.contains(key) || !doc[key].is_array()) return std::nullopt;
  return doc[key];
}

}  // namespace

Verdict verdict(const Contexts& c) {
  if (!c.failing.empty()) return Verdict::failure;
  if (!c.pending.empty()) return Verdict::pending;
  return c.seen > 0 ? Verdict::success : Verdict::none;
}

std::string join_some(const std::vector<std::string>& items, std::size_t max) {
  std::string out;
  for (std::size_t i = 0; i < items.size() && i < max; ++i) out += (i ? ", " : "") + items[i];
  if (items.size() > max) out += " and " + std::to_string(items.size() - max) + " more";
  return out;
}

std::optional<std::string> add_github_statuses(std::string_view page, Contexts& into) {
  json doc;
  auto statuses = array_in(page, "statuses", doc);
  if (!statuses) return "the combined status is not the documented JSON (no \"statuses\" array)";
  // The combined state would count our own contexts; each context's latest
  // status is in the array, so the verdict is made from those.
  for (const auto& s : *statuses) {
    std::string context = str(s, "context"), state = str(s, "state");
    if (own(context)) continue;
    ++into.seen;
    if (state == "pending") into.pending.push_back(context + " (pending)");
    else if (state != "success") into.failing.push_back(context + " (" + (state.empty() ? "unknown" : state) + ")");
  }
  return std::nullopt;
}

std::optional<std::string> add_github_check_runs(std::string_view page, Contexts& into) {
  json doc;
  auto runs = array_in(page, "check_runs", doc);
  if (!runs) return "the check runs are not the documented JSON (no \"check_runs\" array)";
  for (const auto& r : *runs) {
    std::string name = str(r, "name"), status = str(r, "status"), conclusion = str(r, "conclusion");
    if (own(name)) continue;
    ++into.seen;
    if (status != "completed") into.pending.push_back(name + " (" + (status.empty() ? "queued" : status) + ")");
    else if (conclusion == "failure" || conclusion == "timed_out" || conclusion == "cancelled" ||
             conclusion == "action_required")
      into.failing.push_back(name + " (" + conclusion + ")");
  }
  return std::nullopt;
}

std::optional<std::string> gitlab_contexts(const std::vector<std::string>& pages, Contexts& into) {
  std::map<std::string, json> latest;  // by name: the try with the highest id
  for (const auto& page : pages) {
    json doc;
    auto statuses = array_in(page, nullptr, doc);
    if (!statuses) return "the commit's statuses are not the documented JSON (not an array)";
    for (const auto& s : *statuses) {
      std::string name = str(s, "name");
      auto id = s.value("id", static_cast<std::int64_t>(0));
      auto it = latest.find(name);
      if (it == latest.end() || it->second.value("id", static_cast<std::int64_t>(0)) < id) latest[name] = s;
    }
  }
  for (const auto& [name, s] : latest) {
    if (own(name)) continue;
    ++into.seen;
    std::string status = str(s, "status");
    bool may_fail = s.value("allow_failure", false);
    if (status == "success" || status == "skipped") continue;
    if (status == "failed" || status == "canceled") {
      if (!may_fail) into.failing.push_back(name + " (" + status + ")");
    } else if (status == "manual") {
      if (!may_fail) into.pending.push_back(name + " (manual)");  // a blocking manual job waits for a person
    } else {
      into.pending.push_back(name + " (" + (status.empty() ? "unknown" : status) + ")");
    }
  }
  return std::nullopt;
}

std::string short_description(const std::string& d) {
  constexpr std::size_t kMax = 140;
  if (d.size() <= kMax) return d;
  std::size_t cut = kMax - 3;
  while (cut > 0 && (static_cast<unsigned char>(d[cut]) & 0xC0) == 0x80) --cut;  // not inside a character
  return d.substr(0, cut) + "...";
}

std::string github_status_body(const StatusPost& post) {
  static const char* states[] = {"pending", "pending", "success", "failure", "error"};
  json j = {{"state", states[static_cast<int>(post.state)]},
            {"context", post.context},
            {"description", short_description(post.description)}};
  if (!post.target_url.empty()) j["target_url"] = post.target_url;
  return j.dump(-1, ' ', false, json::error_handler_t::replace);
}

std::string gitlab_status_body(const StatusPost& post) {
  static const char* states[] = {"pending", "running", "success", "failed", "canceled"};
  json j = {{"state", states[static_cast<int>(post.state)]},
            {"name", post.context},
            {"description", short_description(post.description)}};
  if (!post.target_url.empty()) j["target_url"] = post.target_url;
  return j.dump(-1, ' ', false, json::error_handler_t::replace);
}

}  // namespace cwf::forge
