#include "executor/convox_cli.hh"

namespace cwf::executor {
namespace {

void add_rack(std::vector<std::string>& argv, const std::string& rack) {
  if (rack.empty()) return;
  argv.push_back("--rack");
  argv.push_back(rack);
}

std::string_view trim(std::string_view s) {
  while (!s.empty() && (s.front() == ' ' || s.front() == '\t')) s.remove_prefix(1);
  while (!s.empty() && (s.back() == ' ' || s.back() == '\r' || s.back() == '\t')) s.remove_suffix(1);
  return s;
}

}  // namespace

std::vector<std::string> build_argv(const std::string& convox, const config::Task& t, const std::string& workspace,
                                    const std::string& description) {
  std::vector<std::string> argv = {convox, "build", workspace, "--app", t.app, "--manifest", t.manifest,
                                   "--description", description, "--id"};
  add_rack(argv, t.rack);
  for (const auto& [k, v] : t.build_args) {
    argv.push_back("--build-args");
    argv.push_back(k + "=" + v);
  }
  return argv;
}

std::vector<std::string> promote_argv(const std::string& convox, const config::Task& t, const std::string& release) {
  std::vector<std::string> argv = {convox, "releases", "promote", release, "--app", t.app, "--wait"};
  add_rack(argv, t.rack);
  return argv;
}

std::vector<std::string> run_argv(const std::string& convox, const config::Task& t, const std::string& release) {
  std::vector<std::string> argv = {convox, "run", t.service, t.command, "--app", t.app};
  if (!release.empty()) {
    argv.push_back("--release");
    argv.push_back(release);
  }
  add_rack(argv, t.rack);
  return argv;
}

std::vector<std::string> export_argv(const std::string& convox, const config::Task& t, const std::string& build) {
  std::vector<std::string> argv = {convox, "builds", "export", build, "--app", t.from_app};
  add_rack(argv, t.from_rack);
  return argv;
}

std::vector<std::string> import_argv(const std::string& convox, const config::Task& t) {
  std::vector<std::string> argv = {convox, "builds", "import", "--app", t.app, "--id"};
  add_rack(argv, t.rack);
  return argv;
}

std::vector<std::string> apps_argv(const std::string& convox, const config::Task& t, const char* verb) {
  std::vector<std::string> argv = {convox, "apps", verb, t.app};
  add_rack(argv, t.rack);
  return argv;
}

std::vector<std::string> env_set_argv(const std::string& convox, const config::Task& t) {
  std::vector<std::string> argv = {convox, "env", "set"};
  for (const auto& [k, v] : t.env) argv.push_back(k + "=" + v);
  argv.push_back("--app");
  argv.push_back(t.app);
  add_rack(argv, t.rack);
  return argv;
}

std::vector<std::string> services_argv(const std::string& convox, const config::Task& t) {
  std::vector<std::string> argv = {convox, "services", "--app", t.app};
  add_rack(argv, t.rack);
  return argv;
}

void BuildOutputScanner::feed(std::string_view chunk) {
  std::size_t start = 0, nl;
  while ((nl = chunk.find('\n', start)) != std::string_view::npos) {
    if (partial_.empty()) {
      line(chunk.substr(start, nl - start));
    } else {
      partial_.append(chunk, start, nl - start);
      line(partial_);
      partial_.clear();
    }
    start = nl + 1;
  }
  // Only a line's start matters here; a long line need not be kept whole.
  if (partial_.size() < 256) partial_.append(chunk.substr(start, 256));
}

void BuildOutputScanner::finish() {
  if (!partial_.empty()) line(partial_);
  partial_.clear();
}

void BuildOutputScanner::line(std::string_view l) {
  // With --id, stdout holds only the release id with no newline; it may end
  // up glued in front of a stderr line, so look for the labels anywhere.
  auto value_after = [&](std::string_view label) -> std::string {
    std::size_t at = l.find(label);
    if (at == std::string_view::npos) return "";
    std::string_view v = trim(l.substr(at + label.size()));
    return std::string(v.substr(0, v.find(' ')));
  };
  // The CLI ends a step's "Doing X... " with "OK" or, on the same line, "ERROR: ...".
  std::string_view t = trim(l);
  if (std::size_t at = t.find("... ERROR:"); !t.starts_with("ERROR:") && at != std::string_view::npos)
    t.remove_prefix(at + 4);
  if (t.starts_with("ERROR:")) {
    error_line_ = std::string(t.substr(0, 300));
    if (first_error_line_.empty()) first_error_line_ = error_line_;
  }
  if (auto b = value_after("Build:"); !b.empty()) build_id_ = b;
  if (auto r = value_after("Release:"); !r.empty()) release_id_ = r;
  // "Importing build... " comes first, its "OK, RXXXX" once the import is
  // done, with an export's lines maybe between them.
  if (l.find("Importing build...") != std::string_view::npos) importing_ = true;
  // SERVICE  DOMAIN  PORTS, then "web  web.app.x.convox.cloud  443:3000".
  if (t.starts_with("SERVICE ") && t.find(" DOMAIN") != std::string_view::npos) services_table_ = true;
  else if (services_table_ && service_domain_.empty()) {
    std::size_t gap = t.find_first_of(" \t");
    std::string_view domain = gap == std::string_view::npos ? std::string_view() : trim(t.substr(gap));
    domain = domain.substr(0, domain.find_first_of(" \t"));
    if (domain.find('.') != std::string_view::npos && domain.find(':') == std::string_view::npos &&
        domain.find('/') == std::string_view::npos && domain.size() < 256)
      service_domain_ = std::string(domain);
  }
  if (importing_)
    if (auto r = value_after("OK,"); !r.empty()) release_id_ = r;
}

}  // namespace cwf::executor
