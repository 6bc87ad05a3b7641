// The forges' lists of open pull requests and merge requests, read without I/O.
#include <nlohmann/json.hpp>

#include "forge/forge.hh"

namespace cwf::forge {
namespace {

using nlohmann::json;

std::string str(const json& j, std::initializer_list<const char*> path) {
  const json* at = &j;
  for (const char* k : path) {
    if (!at->is_object()) return "";
    auto it = at->find(k);
    if (it == at->end()) return "";
    at = &*it;
  }
  return at->is_string() ? at->get<std::string>() : "";
}

bool flag(const json& j, const char* key) {
  auto it = j.find(key);
  return it != j.end() && it->is_boolean() && it->get<bool>();
}

// A PR number as a forge gives it: a positive integer that fits.
int number_of(const json& j, const char* key) {
  auto it = j.find(key);
  if (it == j.end() || !it->is_number_integer()) return 0;
  auto n = it->get<std::int64_t>();
  return n > 0 && n <= 1'000'000'000 ? static_cast<int>(n) : 0;
}

bool same_repository(std::string a, std::string b) {
  // GitHub's names are case-insensitive: Acme/Web is acme/web.
  for (char& c : a) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  for (char& c : b) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return a == b;
}

std::optional<json> array_page(std::string_view page) {
  json doc = json::parse(page, nullptr, false);
  if (doc.is_discarded() || !doc.is_array()) return std::nullopt;
  return doc;
}

}  // namespace

std::optional<std::string> add_github_pulls(std::string_view page, const std::string& repository,
                                            std::vector<PullRequest>& into) {
  auto doc = array_page(page);
  if (!doc) return "the pull requests are not the documented JSON (an array)";
  for (const auto& p : *doc) {
    if (!p.is_object()) continue;
    PullRequest pr;
    pr.number = number_of(p, "number");
    if (pr.number == 0) continue;
    pr.head_sha = str(p, {"head", "sha"});
    pr.head_branch = str(p, {"head", "ref"});
    pr.base_branch = str(p, {"base", "ref"});
    // A deleted fork leaves head.repo null: still not this repository.
    std::string head_repo = str(p, {"head", "repo", "full_name"});
    std::string base_repo = str(p, {"base", "repo", "full_name"});
    pr.fork = head_repo.empty() || !same_repository(head_repo, base_repo.empty() ? repository : base_repo);
    pr.draft = flag(p, "draft");
    pr.url = str(p, {"html_url"});
    pr.title = str(p, {"title"});
    pr.author = str(p, {"user", "login"});
    into.push_back(std::move(pr));
  }
  return std::nullopt;
}

std::optional<std::string> add_gitlab_merge_requests(std::string_view page, std::vector<PullRequest>& into) {
  auto doc = array_page(page);
  if (!doc) return "the merge requests are not the documented JSON (an array)";
  for (const auto& m : *doc) {
    if (!m.is_object()) continue;
    PullRequest pr;
    pr.number = number_of(m, "iid");
    if (pr.number == 0) continue;
    pr.head_sha = str(m, {"sha"});
    pr.head_branch = str(m, {"source_branch"});
    pr.base_branch = str(m, {"target_branch"});
    auto source = m.find("source_project_id"), target = m.find("target_project_id");
    pr.fork = source == m.end() || target == m.end() || !source->is_number_integer() || *source != *target;
    // `work_in_progress` is the older name of `draft` (deprecated in GitLab 14).
    pr.draft = flag(m, "draft") || flag(m, "work_in_progress");
    pr.url = str(m, {"web_url"});
    pr.title = str(m, {"title"});
    pr.author = str(m, {"author", "username"});
    into.push_back(std::move(pr));
  }
  return std::nullopt;
}

}  // namespace cwf::forge
