#include <CLI/CLI.hpp>
#include <csignal>
#include <fcntl.h>
#include <malloc.h>
#include <sys/file.h>
#include <sys/resource.h>
#include <algorithm>
#include <cstring>
#include <fstream>
#include <iostream>
#include <sstream>

#include "cli/commands.hh"
#include "cli/output.hh"
#include "config/duration.hh"
#include "config/names.hh"
#include "config/source.hh"
#include "cli/task_backend.hh"
#include "runner/runner.hh"
#include "server/http_server.hh"
#include "util/log.hh"
#include "util/masker.hh"

extern char** environ;

namespace cwf::cli {
namespace {

std::atomic<bool> g_stop{false};

extern "C" void on_stop(int) { g_stop.store(true); }

std::string env_or(const char* name, std::string fallback = "") {
  const char* v = std::getenv(name);
  return v ? std::string(v) : fallback;
}

bool has_credentials(const std::string& url) {
  std::size_t scheme = url.find("://");
  if (scheme == std::string::npos) return false;
  std::size_t at = url.find('@', scheme), slash = url.find('/', scheme + 3);
  return at != std::string::npos && (slash == std::string::npos || at < slash) &&
         url.find(':', scheme + 3) < at;
}

bool forge_url_ok(const std::string& url) {
  for (const char* scheme : {"https://", "http://", "file://", "git://", "ssh://"})
    if (url.rfind(scheme, 0) == 0 && url.size() > std::strlen(scheme)) return !has_credentials(url);
  return false;
}

// A duration flag ("30s", "1m"): false (with the message printed) when bad.
bool duration_flag(const std::string& name, const std::string& text, std::chrono::milliseconds& out) {
  auto d = config::parse_duration(text);
  if (!d) {
    std::cerr << "convox-workflows run: bad " << name << " '" << text << "' (e.g. 1s, 30s, 5m)\n";
    return false;
  }
  out = *d;
  return true;
}

// A secret file's content without its final newline; empty is an error.
// read_source: a regular file only, so a FIFO can't block the start.
Result<std::string> read_secret(const std::string& path) {
  auto src = config::read_source(path);
  if (!src) return make_error("cannot read the secret file " + src.error().message);
  std::string s = std::move(src->text);
  while (!s.empty() && (s.back() == '\n' || s.back() == '\r')) s.pop_back();
  if (s.empty()) return make_error("the secret file " + path + " is empty");
  return s;
}

}  // namespace

int run_run(const Args& args) {
  // A long-lived server whose request bodies and threads come in bursts:
  // glibc would otherwise raise its mmap threshold after the first large
  // free (keeping later large buffers on the heap, never returned) and give
  // each new thread an arena of its own. Both leave RSS at its high-water mark.
  ::mallopt(M_MMAP_THRESHOLD, 256 * 1024);
  ::mallopt(M_ARENA_MAX, 2);
  CLI::App app(
      "Watch the repositories of the workflows and run a job for every push, until SIGTERM or SIGINT. Every flag "
      "can also be set as CONVOX_WORKFLOWS_<FLAG> (e.g. CONVOX_WORKFLOWS_POLL_INTERVAL=10s). Tokens come from "
      "GITHUB_TOKEN and GITLAB_TOKEN.",
      "convox-workflows run");
  // The last of a repeated flag wins, so a wrapper script can override.
  app.option_defaults()->multi_option_policy(CLI::MultiOptionPolicy::TakeLast);
  runner::RunnerOptions o;
  o.retention.keep_jobs = 10000;
  std::string data_dir, poll = "30s", grace = "30s", timeout = "30s", kill_grace = "10s";
  std::string log_format = "text", log_level = "info";
  std::uint64_t log_limit_mib = 64;
  auto env = [](CLI::Option* opt, const char* name) { return opt->envname(std::string("CONVOX_WORKFLOWS_") + name); };
  env(app.add_option("--config-repo", o.config_repo, "the repository holding the workflows file (URL or path)"),
      "CONFIG_REPO");
  env(app.add_option("--config-branch", o.config_branch, "its branch (default main)"), "CONFIG_BRANCH");
  env(app.add_option("--config-path", o.config_path, "the file's path in it (default .convox-workflows.yml)"),
      "CONFIG_PATH");
  env(app.add_option("--workflows-file", o.workflows_file, "or: a workflows file on disk, re-read when it changes"),
      "WORKFLOWS_FILE");
  env(app.add_option("--data-dir", data_dir, "jobs, logs, mirrors and state (default $XDG_STATE_HOME/convox-workflows)"),
      "DATA_DIR");
  env(app.add_option("--poll-interval", poll, "how often every remote is listed (default 30s)"), "POLL_INTERVAL");
  env(app.add_option("--max-parallel-jobs", o.max_parallel_jobs, "jobs running at once (default 2)")
          ->check(CLI::Range(1, 1024)),
      "MAX_PARALLEL_JOBS");
  env(app.add_option("--poll-workers", o.poll_workers, "remotes listed at once (default 8)")->check(CLI::Range(1, 64)),
      "POLL_WORKERS");
  env(app.add_option("--remote-timeout", timeout, "a remote that makes no progress for this long fails (default 30s)"),
      "REMOTE_TIMEOUT");
  env(app.add_option("--shutdown-grace", grace, "on SIGTERM, how long running jobs may go on (default 30s)"),
      "SHUTDOWN_GRACE");
  env(app.add_option("--github-url", o.forges.github_url, "GitHub's URL: owner/name is <url>/owner/name.git"),
      "GITHUB_URL");
  env(app.add_option("--gitlab-url", o.forges.gitlab_url, "GitLab's URL: group/name is <url>/group/name.git"),
      "GITLAB_URL");
  env(app.add_option("--ssh-key", o.forges.ssh_key, "private key file for ssh remotes"), "SSH_KEY");
  env(app.add_option("--ssh-known-hosts", o.forges.ssh_known_hosts,
                     "the ssh servers' host keys trusted, as in ~/.ssh/known_hosts (default: that file)"),
      "SSH_KNOWN_HOSTS");
  env(app.add_option("--convox-bin", o.executor.convox_bin, "the convox CLI (default: convox on PATH)"), "CONVOX_BIN");
  std::string racks_file;
  env(app.add_option("--racks-file", racks_file, "the racks tasks act on, and how to reach them (see docs/executor.md)"),
      "RACKS_FILE");
  env(app.add_option("--secret-env", o.executor.secret_env, "mask this variable's value in job logs (repeatable)")
          ->multi_option_policy(CLI::MultiOptionPolicy::TakeAll),
      "SECRET_ENV");
  env(app.add_option("--grace", kill_grace, "a stopped task's time between SIGTERM and SIGKILL (default 10s)"),
      "GRACE");
  env(app.add_option("--log-limit", log_limit_mib, "MiB of log kept per job (default 64)")->check(CLI::Range(1, 1 << 20)),
      "LOG_LIMIT");
  env(app.add_option("--log-format", log_format, "text or json (default text)"), "LOG_FORMAT");
  env(app.add_option("--log-level", log_level, "debug, info, warn or error (default info)"), "LOG_LEVEL");
  log::Options log_options;
  int log_file_max_mib = 10;
  env(app.add_option("--log-file", log_options.file, "write the runner's log to this file, not stderr"), "LOG_FILE");
  env(app.add_option("--log-file-max-mb", log_file_max_mib, "rotate the log file past this many MiB (default 10)")
          ->check(CLI::Range(1, 1 << 20)),
      "LOG_FILE_MAX_MB");
  env(app.add_option("--log-file-keep", log_options.file_keep, "rotated log files kept: FILE.1 ... (default 5)")
          ->check(CLI::Range(1, 1000)),
      "LOG_FILE_KEEP");
  std::string listen = "127.0.0.1:8080", github_secret_file, gitlab_secret_file, api_token_file;
  env(app.add_option("--api-token-file", api_token_file,
                     "the bearer token of the API's trigger, cancel and rerun (or CONVOX_WORKFLOWS_API_TOKEN)"),
      "API_TOKEN_FILE");
  env(app.add_option("--listen", listen, "HTTP address (API, webhooks, /healthz, /metrics); port 0: any; off: none"),
      "LISTEN");
  std::string health_listen, follow_max = "30m";
  env(app.add_option("--health-listen", health_listen,
                     "a second address serving only /healthz and /readyz, for probes (default: none)"),
      "HEALTH_LISTEN");
  auto& edge = o.server.edge;
  env(app.add_option("--http-threads", edge.http_threads, "threads serving API and UI requests (default 8)")
          ->check(CLI::Range(1, 1024)),
      "HTTP_THREADS");
  env(app.add_option("--max-connections", edge.max_connections,
                     "open HTTP connections at most; more are refused at once (default 512, and at most half "
                     "the open-files limit)")
          ->check(CLI::Range(8, 1 << 20)),
      "MAX_CONNECTIONS");
  env(app.add_option("--max-follow-streams", edge.max_follow, "log follow streams open at once (default 64)")
          ->check(CLI::Range(1, 4096)),
      "MAX_FOLLOW_STREAMS");
  env(app.add_option("--max-follow-streams-per-client", edge.max_follow_per_client,
                     "log follow streams open at once from one address (default 16)")
          ->check(CLI::Range(1, 4096)),
      "MAX_FOLLOW_STREAMS_PER_CLIENT");
  env(app.add_option("--follow-max-duration", follow_max,
                     "a log follow stream ends after this; the client resumes at its offset (default 30m)"),
      "FOLLOW_MAX_DURATION");
  env(app.add_option("--allowed-hosts", o.server.allowed_hosts,
                     "Host names the HTTP server answers (comma-separated, *.domain allowed; default: any)")
          ->delimiter(',')
          ->multi_option_policy(CLI::MultiOptionPolicy::TakeAll),
      "ALLOWED_HOSTS");
  env(app.add_option("--github-webhook-secret-file", github_secret_file, "the secret GitHub signs webhooks with"),
      "GITHUB_WEBHOOK_SECRET_FILE");
  env(app.add_option("--gitlab-webhook-secret-file", gitlab_secret_file, "the token GitLab sends with webhooks"),
      "GITLAB_WEBHOOK_SECRET_FILE");
  std::string status_timeout = "1h", status_grace = "30s", forge_timeout = "10s";
  env(app.add_option("--github-api-url", o.github_api_url, "GitHub's REST API (default https://api.github.com)"),
      "GITHUB_API_URL");
  env(app.add_option("--gitlab-api-url", o.gitlab_api_url, "GitLab's REST API (default https://gitlab.com/api/v4)"),
      "GITLAB_API_URL");
  env(app.add_option("--status-timeout", status_timeout,
                     "a job whose commit status stays pending this long is skipped (default 1h)"),
      "STATUS_TIMEOUT");
  env(app.add_option("--status-grace", status_grace,
                     "a commit with no status at all runs after this long (default 30s)"),
      "STATUS_GRACE");
  env(app.add_option("--forge-timeout", forge_timeout, "connect and read timeout of the forges' APIs (default 10s)"),
      "FORGE_TIMEOUT");
  env(app.add_option("--public-url", o.public_url, "the runner's address as people reach it; statuses link to jobs"),
      "PUBLIC_URL");
  BackendFlags backend;
  add_backend_flags(app, backend);
  std::string ui_auth = "actions";
  env(app.add_option("--ui-auth", ui_auth,
                     "actions: anyone reads, signing in (the API token) runs and cancels; required: the pages "
                     "and the read API too need it (default actions)")
          ->check(CLI::IsMember({"actions", "required"})),
      "UI_AUTH");
  int retain_days = 0;
  env(app.add_option("--retain-jobs", o.retention.keep_jobs,
                     "finished jobs kept, with their logs; older ones are pruned (default 10000; 0: all)")
          ->check(CLI::Range(0, 100000000)),
      "RETAIN_JOBS");
  env(app.add_option("--retain-days", retain_days, "finished jobs older than this are pruned (default 0: no limit)")
          ->check(CLI::Range(0, 36500)),
      "RETAIN_DAYS");
  std::string notify_timeout = "10s", notify_retry = "10s", notify_retry_max = "1h", notify_give_up = "24h";
  env(app.add_option("--notify-timeout", notify_timeout,
                     "a notification's receiver must connect and answer each read within this (default 10s)"),
      "NOTIFY_TIMEOUT");
  env(app.add_option("--notify-retry", notify_retry,
                     "the wait before a failed notification's first retry; it doubles each time (default 10s)"),
      "NOTIFY_RETRY");
  env(app.add_option("--notify-retry-max", notify_retry_max, "the longest wait between retries (default 1h)"),
      "NOTIFY_RETRY_MAX");
  env(app.add_option("--notify-give-up", notify_give_up,
                     "a notification not delivered this long after its event fails for good (default 24h)"),
      "NOTIFY_GIVE_UP");
  env(app.add_option("--notify-workers", o.notify.workers, "notifications sent at once (default 4)")
          ->check(CLI::Range(1, 64)),
      "NOTIFY_WORKERS");
  env(app.add_flag("--once", o.once, "list every remote once, run the jobs that triggers, exit"), "ONCE");
  if (int rc = parse_args(app, args); rc >= 0) return rc;
  o.retention.max_age_ms = static_cast<std::int64_t>(retain_days) * 86400000;

  // Secrets mounted as files, as sidecars get them: NAME_FILE fills NAME.
  for (const char* name : {"GITHUB_TOKEN", "GITLAB_TOKEN", "CONVOX_WORKFLOWS_API_TOKEN", "CONVOX_PASSWORD"}) {
    std::string file = env_or((std::string(name) + "_FILE").c_str());
    if (file.empty()) continue;
    auto read = read_secret(file);
    if (!read) {
      std::cerr << "convox-workflows run: " << name << "_FILE: " << read.error().message << "\n";
      return kExitUsage;
    }
    ::setenv(name, read->c_str(), 1);
  }
  if (!log::parse_level(log_level, log_options.level) || !log::parse_format(log_format, log_options.format)) {
    std::cerr << "convox-workflows run: --log-format is text or json; --log-level is debug, info, warn or error\n";
    return kExitUsage;
  }
  log_options.file_max_bytes = static_cast<std::uint64_t>(log_file_max_mib) << 20;
  if (auto configured = log::configure(log_options); !configured) {
    std::cerr << "convox-workflows run: --log-file: " << configured.error().message << "\n";
    return kExitUsage;
  }
  if (o.config_repo.empty() == o.workflows_file.empty()) {
    std::cerr << "convox-workflows run: give the workflows file's place: --config-repo URL (with --config-branch and "
                 "--config-path) or --workflows-file PATH\n";
    return kExitUsage;
  }
  if (!duration_flag("--poll-interval", poll, o.poll_interval) || !duration_flag("--shutdown-grace", grace, o.shutdown_grace) ||
      !duration_flag("--remote-timeout", timeout, o.remote_timeout) || !duration_flag("--grace", kill_grace, o.executor.grace) ||
      !duration_flag("--status-timeout", status_timeout, o.gate.status_timeout) ||
      !duration_flag("--status-grace", status_grace, o.gate.status_grace) ||
      !duration_flag("--forge-timeout", forge_timeout, o.forge_timeout) ||
      !duration_flag("--follow-max-duration", follow_max, edge.follow_max) ||
      !duration_flag("--notify-timeout", notify_timeout, o.notify.timeout) ||
      !duration_flag("--notify-retry", notify_retry, o.notify.first_retry) ||
      !duration_flag("--notify-retry-max", notify_retry_max, o.notify.max_retry) ||
      !duration_flag("--notify-give-up", notify_give_up, o.notify.give_up_after))
    return kExitUsage;
  for (auto* url : {&o.github_api_url, &o.gitlab_api_url, &o.public_url}) {
    while (url->size() > 1 && url->back() == '/') url->pop_back();
    bool web = url->rfind("https://", 0) == 0 || url->rfind("http://", 0) == 0;
    if ((url != &o.public_url || !url->empty()) && (!web || has_credentials(*url))) {
      std::cerr << "convox-workflows run: bad URL '" << config::redact_url(*url)
                << "' for an API or --public-url (https:// or http://, without credentials)\n";
      return kExitUsage;
    }
  }
  for (auto* url : {&o.forges.github_url, &o.forges.gitlab_url}) {
    while (url->size() > 1 && url->back() == '/') url->pop_back();
    if (!forge_url_ok(*url)) {
      std::cerr << "convox-workflows run: bad forge URL '" << config::redact_url(*url)
                << "' (https://, http://, git://, ssh:// or file://, without credentials: tokens come from "
                   "GITHUB_TOKEN and GITLAB_TOKEN)\n";
      return kExitUsage;
    }
  }
  if (!o.config_repo.empty()) {
    if (has_credentials(o.config_repo)) {
      std::cerr << "convox-workflows run: --config-repo must not carry credentials ("
                << config::redact_url(o.config_repo) << "); use GITHUB_TOKEN, GITLAB_TOKEN or --ssh-key\n";
      return kExitUsage;
    }
    bool url = o.config_repo.find("://") != std::string::npos ||
               (o.config_repo.find('@') != std::string::npos && o.config_repo.find(':') != std::string::npos);
    // file:// like the triggers' URLs, so a repository holding both the
    // workflows file and the app is one remote, listed once.
    if (!url) o.config_repo = "file://" + std::filesystem::absolute(o.config_repo).lexically_normal().string();
  } else {
    o.workflows_file = std::filesystem::absolute(o.workflows_file).lexically_normal().string();
  }
  for (auto* file : {&o.forges.ssh_key, &o.forges.ssh_known_hosts}) {
    if (file->empty()) continue;
    *file = std::filesystem::absolute(*file).string();
    if (auto probe = config::read_source(*file); !probe) {
      std::string why = probe.error().message.substr(std::min(probe.error().message.size(), file->size() + 2));
      std::cerr << "convox-workflows run: cannot read " << *file << " (--ssh-key, --ssh-known-hosts): " << why << "\n";
      return kExitUsage;
    }
  }
  if (o.executor.convox_bin.find('/') != std::string::npos)
    o.executor.convox_bin = std::filesystem::absolute(o.executor.convox_bin).string();
  o.serve = listen != "off";
  if (o.serve && !server::parse_listen(listen, o.server.host, o.server.port)) {
    std::cerr << "convox-workflows run: bad --listen '" << listen << "' (HOST:PORT, e.g. 127.0.0.1:8080, 0.0.0.0:0; or off)\n";
    return kExitUsage;
  }
  if (!health_listen.empty() && !server::parse_listen(health_listen, o.server.health_host, o.server.health_port)) {
    std::cerr << "convox-workflows run: bad --health-listen '" << health_listen << "' (HOST:PORT, e.g. 0.0.0.0:8081)\n";
    return kExitUsage;
  }
  for (auto& h : o.server.allowed_hosts) {
    std::transform(h.begin(), h.end(), h.begin(), [](unsigned char c) { return std::tolower(c); });
    if (h.empty() || h.find_first_of(" /:@") != std::string::npos) {
      std::cerr << "convox-workflows run: bad --allowed-hosts name '" << h << "' (a host name, or *.domain)\n";
      return kExitUsage;
    }
  }
  o.server.public_url = o.public_url;
  // Idle connections hold descriptors: raise the soft limit to the hard one,
  // and keep half of it for repositories, logs and the store.
  if (rlimit nofile{}; ::getrlimit(RLIMIT_NOFILE, &nofile) == 0) {
    if (nofile.rlim_cur < nofile.rlim_max) {
      nofile.rlim_cur = nofile.rlim_max;
      ::setrlimit(RLIMIT_NOFILE, &nofile);
      ::getrlimit(RLIMIT_NOFILE, &nofile);
    }
    edge.max_connections = std::min<std::size_t>(edge.max_connections, std::max<rlim_t>(8, nofile.rlim_cur / 2));
  }
  o.server.api_token = env_or("CONVOX_WORKFLOWS_API_TOKEN");
  for (auto [file, secret] : {std::pair{&github_secret_file, &o.server.github_secret},
                              std::pair{&gitlab_secret_file, &o.server.gitlab_secret},
                              std::pair{&api_token_file, &o.server.api_token}}) {
    if (file->empty()) continue;
    auto read = read_secret(*file);
    if (!read) {
      std::cerr << "convox-workflows run: " << read.error().message << "\n";
      return kExitUsage;
    }
    *secret = *read;
  }
  o.server.ui_auth_required = ui_auth == "required";
  if (o.server.ui_auth_required && o.server.api_token.empty()) {
    std::cerr << "convox-workflows run: --ui-auth required needs an API token to sign in with (--api-token-file)\n";
    return kExitUsage;
  }
  o.forges.github_token = env_or("GITHUB_TOKEN");
  o.forges.gitlab_token = env_or("GITLAB_TOKEN");
  o.executor.log_cap = log_limit_mib << 20;
  auto racks = read_racks_file(racks_file, std::cerr);
  if (!racks) return kExitUsage;
  o.executor.racks = *racks;
  o.executor.runner_secrets = rack_secrets(racks->get());
  // The executor decides what each task gets of this (executor/task_env.hh):
  // never the runner's tokens, their files' paths or its own settings.
  for (char** e = environ; e && *e; ++e) o.executor.base_env.emplace_back(*e);
  // Secrets that are no variable's value: masked all the same, everywhere.
  for (const std::string* s : {&o.server.api_token, &o.server.github_secret, &o.server.gitlab_secret})
    if (!s->empty()) o.executor.runner_secrets.push_back(*s);
  std::vector<std::string> masked = secrets_from_env(o.executor.base_env, o.executor.secret_env);
  masked.insert(masked.end(), o.executor.runner_secrets.begin(), o.executor.runner_secrets.end());
  log::mask_secrets(masked);
  o.notify.masked = masked;  // the notifications' own secrets are added as the file names them
  o.notify.deadline = std::max(3 * o.notify.timeout, o.notify.deadline);
  o.data_dir = std::filesystem::absolute(data_dir_or_default(data_dir));
  o.executor.task_backend = backend.backend;
  auto launcher = make_launcher(backend, o.data_dir, o.executor.base_env, o.executor.grace);
  if (!launcher) {
    std::cerr << "convox-workflows run: " << launcher.error().message << "\n";
    return kExitUsage;
  }
  o.launcher = std::move(*launcher);

  std::error_code ec;
  std::filesystem::create_directories(o.data_dir, ec);
  // Two runners on one data dir would each think the other's jobs were interrupted.
  int lock_fd = ::open((o.data_dir / "runner.lock").c_str(), O_RDWR | O_CREAT | O_CLOEXEC, 0644);
  if (lock_fd < 0 || ::flock(lock_fd, LOCK_EX | LOCK_NB) != 0) {
    std::cerr << "convox-workflows run: another runner is using " << o.data_dir.string()
              << " (runner.lock is held); give each runner its own --data-dir\n";
    return kExitFailure;
  }
  auto store = store::JobStore::open(o.data_dir);
  if (!store) {
    std::cerr << "convox-workflows run: " << store.error().message << "\n";
    return kExitFailure;
  }
  struct sigaction sa {};
  sa.sa_handler = on_stop;
  sigemptyset(&sa.sa_mask);
  sigaction(SIGINT, &sa, nullptr);
  sigaction(SIGTERM, &sa, nullptr);
  runner::Runner runner(std::move(o), **store);
  return runner.run(g_stop);
}

}  // namespace cwf::cli
