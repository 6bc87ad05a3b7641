#pragma once

// Rules for the names and paths a workflows file holds, and "did you mean".

#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace cwf::config {

// The closest of CANDIDATES to WORD within a small edit distance, if any.
std::optional<std::string> closest_match(std::string_view word,
                                         const std::vector<std::string>& candidates);

// Each returns nullopt when valid, else the reason (to follow "invalid X: ").
std::optional<std::string> workflow_name_error(std::string_view name);
std::optional<std::string> env_name_error(std::string_view name);
// A Convox build or release ID ("BABCDEFGHIJ"): it is a command-line
// argument of the convox CLI, so nothing that could read as a flag.
std::optional<std::string> convox_id_error(std::string_view id);
// The runner's own variables: GITHUB_TOKEN, GITLAB_TOKEN, CONVOX_WORKFLOWS_*
// and the *_FILE variables its secrets come from. No task receives these.
bool runner_own_variable(std::string_view name);
// A path that must stay inside the checkout: relative, no ".." escaping it.
std::optional<std::string> relative_path_error(std::string_view path);
// A branch name or branch glob, by git's ref-name rules.
std::optional<std::string> branch_error(std::string_view branch);
// "owner/name" (github), "group/sub/name" (gitlab).
std::optional<std::string> forge_repository_error(std::string_view repo, bool allow_subgroups);
// An https, ssh (URL or scp-like) or file URL, without credentials in it.
std::optional<std::string> git_url_error(std::string_view url);

// An http:// or https:// URL with a host.
std::optional<std::string> http_url_error(std::string_view url);

// "acme/staging", or "the current rack" for none; "web on acme/staging".
std::string rack_label(std::string_view rack);
std::string app_on_rack(std::string_view app, std::string_view rack);

// URL with any user:password@ replaced by ***@, for messages and logs.
std::string redact_url(std::string_view url);

// A pull request's review app: "<base>-pr-<number>".
std::string review_app_name(std::string_view base, int pull_request);

struct Trigger;
// What a trigger watches, for people: "main", "pull requests into main".
std::string branch_label(const Trigger& trigger);

// "Deploy_Prod" -> "deploy-prod": a suggestion for an invalid workflow name.
std::string suggest_workflow_name(std::string_view name);

}  // namespace cwf::config
