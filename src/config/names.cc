#include "config/names.hh"

#include <algorithm>

#include "config/glob.hh"
#include "config/model.hh"

namespace cwf::config {
namespace {

std::size_t edit_distance(std::string_view a, std::string_view b) {
  std::vector<std::size_t> before(b.size() + 1), prev(b.size() + 1), cur(b.size() + 1);
  for (std::size_t j = 0; j <= b.size(); ++j) prev[j] = j;
  for (std::size_t i = 1; i <= a.size(); ++i) {
    cur[0] = i;
    for (std::size_t j = 1; j <= b.size(); ++j) {
      std::size_t sub = prev[j - 1] + (a[i - 1] == b[j - 1] ? 0 : 1);
      cur[j] = std::min({prev[j] + 1, cur[j - 1] + 1, sub});
      // A swap of two neighbours ("biuld") is one typo, not two.
      if (i > 1 && j > 1 && a[i - 1] == b[j - 2] && a[i - 2] == b[j - 1])
        cur[j] = std::min(cur[j], before[j - 2] + 1);
    }
    before = prev;
    std::swap(prev, cur);
  }
  return prev[b.size()];
}

bool lower_alnum(char c) { return (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9'); }
bool alnum(char c) { return lower_alnum(c) || (c >= 'A' && c <= 'Z'); }

// A path segment of a forge repository: [A-Za-z0-9_.][A-Za-z0-9_.-]*
bool repo_segment(std::string_view s) {
  auto ok = [](char c) { return alnum(c) || c == '_' || c == '.' || c == '-'; };
  return !s.empty() && s[0] != '-' && std::all_of(s.begin(), s.end(), ok);
}

bool has_space(std::string_view s) {
  return std::any_of(s.begin(), s.end(), [](char c) { return c == ' ' || c == '\t' || c == '\n' || c == '\r'; });
}

// user@host:path, the scp-like form ssh remotes are usually written in.
bool scp_like(std::string_view url) {
  std::size_t at = url.find('@'), colon = url.find(':');
  if (at == std::string_view::npos || at == 0 || colon == std::string_view::npos || colon < at + 2) return false;
  auto user_ok = [](char c) { return alnum(c) || c == '.' || c == '_' || c == '-'; };
  auto host_ok = [](char c) { return alnum(c) || c == '.' || c == '-'; };
  std::string_view user = url.substr(0, at), host = url.substr(at + 1, colon - at - 1), path = url.substr(colon + 1);
  return std::all_of(user.begin(), user.end(), user_ok) && std::all_of(host.begin(), host.end(), host_ok) &&
         !path.empty() && path[0] != '/' && !has_space(path);
}

}  // namespace

std::optional<std::string> closest_match(std::string_view word,
                                         const std::vector<std::string>& candidates) {
  if (word.size() > 64) return std::nullopt;
  std::optional<std::string> best;
  std::size_t best_d = std::max<std::size_t>(1, std::min<std::size_t>(3, word.size() / 3)) + 1;
  std::string lower(word);
  std::transform(lower.begin(), lower.end(), lower.begin(), ::tolower);
  for (const auto& c : candidates) {
    std::size_t d = edit_distance(lower, c);
    if (d < best_d) {
      best_d = d;
      best = c;
    }
  }
  return best;
}

std::optional<std::string> workflow_name_error(std::string_view name) {
  if (name.empty()) return "a name cannot be empty";
  if (name.size() > 63) return "longer than 63 characters";
  auto inner = [](char c) { return lower_alnum(c) || c == '-'; };
  if (!lower_alnum(name.front()) || !lower_alnum(name.back()) || !std::all_of(name.begin(), name.end(), inner))
    return "use lower-case letters, digits and '-', starting and ending with a letter or digit";
  return std::nullopt;
}

std::string suggest_workflow_name(std::string_view name) {
  std::string out;
  for (char c : name) {
    if (c >= 'A' && c <= 'Z') c = static_cast<char>(c - 'A' + 'a');
    if ((c >= 'a' && c <= 'z') || (c >= '0' && c <= '9')) {
      out += c;
    } else if (!out.empty() && out.back() != '-') {
      out += '-';
    }
  }
  while (!out.empty() && out.back() == '-') out.pop_back();
  return out.substr(0, 63);
}

std::optional<std::string> env_name_error(std::string_view name) {
  auto ok = [](char c) { return alnum(c) || c == '_'; };
  if (name.empty() || (name[0] >= '0' && name[0] <= '9') || !std::all_of(name.begin(), name.end(), ok)) return "use letters, digits and '_', not starting with a digit";
  return std::nullopt;
}

std::string rack_label(std::string_view rack) { return rack.empty() ? "the current rack" : std::string(rack); }

std::string app_on_rack(std::string_view app, std::string_view rack) {
  return std::string(app) + " on " + rack_label(rack);
}

std::optional<std::string> convox_id_error(std::string_view id) {
  if (id.empty() || id.size() > 64 || !std::all_of(id.begin(), id.end(), alnum)) return "use letters and digits only";
  return std::nullopt;
}

bool runner_own_variable(std::string_view name) {
  static const char* const names[] = {"GITHUB_TOKEN", "GITLAB_TOKEN", "GITHUB_TOKEN_FILE", "GITLAB_TOKEN_FILE",
                                      "CONVOX_PASSWORD_FILE"};
  return name.starts_with("CONVOX_WORKFLOWS_") || std::find(std::begin(names), std::end(names), name) != std::end(names);
}

std::optional<std::string> relative_path_error(std::string_view path) {
  if (path.empty()) return "empty path";
  if (path.front() == '/') return "an absolute path; use a path relative to the checkout";
  if (path.find('\\') != std::string_view::npos) return "use '/' to separate directories";
  int depth = 0;
  std::size_t start = 0;
  while (start <= path.size()) {
    std::size_t end = path.find('/', start);
    if (end == std::string_view::npos) end = path.size();
    std::string_view seg = path.substr(start, end - start);
    if (seg == "..") {
      if (--depth < 0) return "it leads outside the checkout";
    } else if (!seg.empty() && seg != ".") {
      ++depth;
    }
    start = end + 1;
  }
  return std::nullopt;
}

std::optional<std::string> branch_error(std::string_view b) {
  if (b.empty()) return "a branch cannot be empty";
  if (b.starts_with("refs/")) return "write the branch name without 'refs/heads/'";
  if (b.front() == '/' || b.back() == '/') return "a branch cannot start or end with '/'";
  if (b.front() == '-') return "a branch cannot start with '-'";
  if (b.find("..") != std::string_view::npos) return "a branch cannot contain '..'";
  if (b.find("//") != std::string_view::npos) return "a branch cannot contain '//'";
  if (b.find("@{") != std::string_view::npos) return "a branch cannot contain '@{'";
  if (b.ends_with(".lock") || b.ends_with(".")) return "a branch cannot end with '.lock' or '.'";
  for (char c : b) {
    if (static_cast<unsigned char>(c) <= 0x20 || c == 0x7F || c == '~' || c == '^' || c == ':' ||
        c == '\\')
      return std::string("a branch cannot contain '") + (c == ' ' ? std::string("space") : std::string(1, c)) + "'";
  }
  if (auto e = glob_error(b)) return "bad glob: " + *e;
  return std::nullopt;
}

std::optional<std::string> forge_repository_error(std::string_view repo, bool allow_subgroups) {
  const char* shape = allow_subgroups ? "expected 'group/name' or 'group/subgroup/name'"
                                      : "expected 'owner/name'";
  if (repo.find("://") != std::string_view::npos || repo.starts_with("git@"))
    return std::string(shape) + ", not a URL (the forge URL is a runner flag)";
  if (repo.ends_with(".git")) return std::string(shape) + " without '.git'";
  std::size_t parts = 0, start = 0;
  while (start <= repo.size()) {
    std::size_t end = repo.find('/', start);
    if (end == std::string_view::npos) end = repo.size();
    std::string_view seg = repo.substr(start, end - start);
    if (seg.empty() || seg == "." || seg == ".." || !repo_segment(seg)) return std::string(shape);
    ++parts;
    start = end + 1;
  }
  if (parts < 2 || (!allow_subgroups && parts != 2)) return std::string(shape);
  return std::nullopt;
}

std::string redact_url(std::string_view url) {
  std::size_t scheme = url.find("://");
  if (scheme == std::string_view::npos) return std::string(url);
  std::size_t host_start = scheme + 3;
  std::size_t authority_end = url.find('/', host_start);
  std::size_t at = url.rfind('@', authority_end == std::string_view::npos ? url.size() : authority_end);
  if (at == std::string_view::npos || at < host_start) return std::string(url);
  return std::string(url.substr(0, host_start)) + "***" + std::string(url.substr(at));
}

std::optional<std::string> http_url_error(std::string_view url) {
  std::string_view rest = url.starts_with("https://") ? url.substr(8) : url.starts_with("http://") ? url.substr(7) : "";
  if (rest.empty() || has_space(url) || rest[0] == '/' || rest[0] == '?' || rest[0] == '#')
    return "expected an http:// or https:// URL";
  return std::nullopt;
}

std::optional<std::string> git_url_error(std::string_view url) {
  if (url.starts_with("http://")) return "plain http is not allowed; use https";
  if (scp_like(url)) return std::nullopt;
  bool scheme = url.starts_with("https://") || url.starts_with("ssh://") || url.starts_with("file://");
  if (!scheme || has_space(url)) return "expected an https://, ssh://, file:// or user@host:path URL";
  std::size_t scheme_end = url.find("://") + 3;
  std::string_view rest = url.substr(scheme_end);
  std::string_view authority = rest.substr(0, rest.find('/'));
  if (url.starts_with("https://") && authority.find('@') != std::string_view::npos)
    return "credentials in the URL would be committed; give the runner a token instead";
  if (url.starts_with("file://") && !rest.starts_with("/")) return "a file URL needs an absolute path (file:///srv/repo.git)";
  if (!url.starts_with("file://") && authority.empty()) return "the URL has no host";
  return std::nullopt;
}

std::string review_app_name(std::string_view base, int pull_request) {
  return std::string(base) + "-pr-" + std::to_string(pull_request);
}

std::string branch_label(const Trigger& t) {
  if (!t.pull_request) return t.branch;
  return t.pull_request->base == "*" ? "pull requests" : "pull requests into " + t.pull_request->base;
}

}  // namespace cwf::config
