#include <CLI/CLI.hpp>
#include <csignal>
#include <cstring>
#include <iostream>
#include <limits>
#include <unistd.h>

#include "cli/commands.hh"
#include "cli/job_output.hh"
#include "cli/output.hh"
#include "config/loader.hh"
#include "cli/task_backend.hh"
#include "executor/executor.hh"
#include "git/remote.hh"
#include "git/workspace.hh"

extern char** environ;

namespace cwf::cli {
namespace {

executor::CancelToken* g_cancel = nullptr;

extern "C" void on_stop_signal(int) {
  if (g_cancel) g_cancel->cancel();
}

// Ctrl-C and SIGTERM cancel the job (its tasks get SIGTERM, then SIGKILL).
class StopSignals {
 public:
  explicit StopSignals(executor::CancelToken& token) {
    g_cancel = &token;
    struct sigaction sa {};
    sa.sa_handler = on_stop_signal;
    sigemptyset(&sa.sa_mask);
    for (int sig : {SIGINT, SIGTERM}) sigaction(sig, &sa, &old_[sig == SIGINT ? 0 : 1]);
  }
  ~StopSignals() {
    sigaction(SIGINT, &old_[0], nullptr);
    sigaction(SIGTERM, &old_[1], nullptr);
    g_cancel = nullptr;
  }

 private:
  struct sigaction old_[2];
};

std::vector<std::string> environment() {
  std::vector<std::string> env;
  for (char** e = environ; e && *e; ++e) env.emplace_back(*e);
  return env;
}

}  // namespace

int run_exec(const Args& args) {
  CLI::App app(
      "Run a workflow once, here, on a commit of a local repository: the tasks run in order in a fresh checkout, "
      "the log streams to the terminal, the job is recorded. Exit 0: the job succeeded; 1: it failed; 2: usage.",
      "convox-workflows exec");
  std::string workflow, file, repo = ".", rev = "HEAD", data_dir, convox_bin = "convox", grace_text = "10s";
  std::uint64_t log_limit_mib = 64;
  std::vector<std::string> secret_env;
  bool keep = false, quiet = false;
  app.add_option("--workflow", workflow, "the workflow to run")->required();
  app.add_option("--file", file, "the workflows file (default: .convox-workflows.yml at the repository's root)");
  app.add_option("--repo", repo, "the repository (default: the current one)");
  app.add_option("--commit", rev, "the revision to run on (default HEAD)");
  app.add_option("--data-dir", data_dir, "where jobs and logs are kept (default $XDG_STATE_HOME/convox-workflows)");
  app.add_option("--convox-bin", convox_bin, "the convox CLI (default: convox on PATH)");
  app.add_option("--secret-env", secret_env, "mask this environment variable's value in logs (repeatable)");
  std::string racks_file;
  app.add_option("--racks-file", racks_file, "the racks tasks act on, and how to reach them (see docs/executor.md)")
      ->envname("CONVOX_WORKFLOWS_RACKS_FILE");
  BackendFlags backend;
  add_backend_flags(app, backend);
  app.add_option("--grace", grace_text, "how long a stopped task gets between SIGTERM and SIGKILL (default 10s)");
  app.add_option("--log-limit", log_limit_mib, "MiB of log kept per job (default 64)")->check(CLI::Range(1, 1 << 20));
  app.add_flag("--keep-workspace", keep, "keep the checkout after the job");
  app.add_flag("-q,--quiet", quiet, "do not stream the log; print only the summary");
  if (int rc = parse_args(app, args); rc >= 0) return rc;

  auto grace = config::parse_duration(grace_text);
  if (!grace) {
    std::cerr << "convox-workflows exec: bad --grace '" << grace_text << "' (e.g. 10s, 1m)\n";
    return kExitUsage;
  }
  auto commit = git::resolve_commit(repo, rev);
  if (!commit) {
    std::cerr << "convox-workflows exec: " << commit.error().message << "\n";
    return kExitUsage;
  }
  if (file.empty()) file = (std::filesystem::path(commit->workdir.empty() ? repo : commit->workdir) /
                            ".convox-workflows.yml").string();
  auto src = config::read_source(file);
  if (!src) {
    std::cerr << "convox-workflows exec: " << src.error().message << "\n";
    return kExitUsage;
  }
  auto racks = read_racks_file(racks_file, std::cerr);
  if (!racks) return kExitUsage;
  auto loaded = config::load(*src, config::LoadOptions{racks->get(), backend.backend});
  print_diagnostics(std::cerr, src->name, loaded.diags);
  if (!loaded.config) {
    std::cerr << src->name << " is invalid; nothing was run\n";
    return kExitUsage;
  }
  const config::Workflow* wf = loaded.config->find(workflow);
  if (!wf) {
    std::cerr << "convox-workflows exec: no workflow '" << workflow << "' in " << src->name << " (it has:";
    for (const auto& w : loaded.config->workflows) std::cerr << " " << w.name;
    std::cerr << ")\n";
    return kExitUsage;
  }
  // The CLI runs inside the workspace, so a relative path must not change meaning.
  if (convox_bin.find('/') != std::string::npos) convox_bin = std::filesystem::absolute(convox_bin).string();

  std::filesystem::path dir = data_dir_or_default(data_dir);
  auto opened = store::JobStore::open(dir);
  if (!opened) {
    std::cerr << "convox-workflows exec: the job cannot start: " << opened.error().message << "\n";
    return kExitFailure;
  }
  auto launcher = make_launcher(backend, dir, environment(), *grace);
  if (!launcher) {
    std::cerr << "convox-workflows exec: " << launcher.error().message << "\n";
    return kExitUsage;
  }
  executor::ExecutorOptions options;
  options.task_backend = backend.backend;
  options.convox_bin = convox_bin;
  options.base_env = environment();
  options.secret_env = secret_env;
  options.racks = *racks;
  options.runner_secrets = rack_secrets(racks->get());
  options.log_cap = log_limit_mib << 20;
  options.grace = *grace;
  options.echo = quiet ? nullptr : &std::cout;
  executor::Executor exec(**opened, **launcher, options);
  executor::JobSpec spec{wf, wf->trigger.repository, commit->branch, commit->sha, "exec", "", std::nullopt, false};

  std::int64_t id = 0;
  std::filesystem::path workspace;
  // The checkout goes whatever happens, unless asked to stay.
  struct WorkspaceGuard {
    const std::filesystem::path& path;
    bool keep;
    ~WorkspaceGuard() {
      std::error_code ec;
      if (!keep && !path.empty()) std::filesystem::remove_all(path, ec);
    }
  } guard{workspace, keep};
  try {
    store::NewJob job = executor::new_job(spec);
    if (auto summary = git::commit_summary(repo, commit->sha)) {
      job.commit_title = summary->title;
      job.commit_author = summary->author;
    }
    id = (*opened)->create_job(job, store::now_ms());
    std::cout << "job " << id << ": " << wf->name << " on " << commit->sha.substr(0, 12)
              << (commit->branch.empty() ? "" : " (" + commit->branch + ")") << "\n";
    workspace = dir / "workspaces" / std::to_string(id);
    std::error_code ec;
    std::filesystem::remove_all(workspace, ec);
    std::filesystem::create_directories(workspace.parent_path(), ec);
    auto checkout = git::checkout_workspace(repo, commit->sha, workspace);
    store::JobState state = store::JobState::failed;
    if (!checkout) {
      exec.fail_before_start(id, spec, "cannot check out the commit: " + checkout.error().message);
    } else {
      executor::CancelToken cancel;
      StopSignals signals(cancel);
      state = exec.run(id, spec, workspace, cancel);
    }
    if (keep) std::cout << "workspace kept at " << workspace.string() << "\n";
    if (auto job = (*opened)->get_job(id)) print_job_summary(std::cout, *job, isatty(STDOUT_FILENO));
    // exec won't wait for the disk: one more try, then the saved file.
    if ((*opened)->retry_unrecorded(std::numeric_limits<std::int64_t>::max()) > 0) {
      auto saved = (*opened)->save_unrecorded();
      std::cerr << "convox-workflows exec: job " << id << " " << store::to_string(state) << ", but the job store could "
                << "not record its end" << (saved ? "; saved: the next run or exec on this data dir records it" : ": " + saved.error().message) << "\n";
      return kExitFailure;
    }
    return state == store::JobState::succeeded ? kExitOk : kExitFailure;
  } catch (const store::StoreError& e) {
    std::cout.flush();
    std::cerr << "convox-workflows exec: job " << id << " failed, and could not be recorded: " << e.what() << "\n";
    return kExitFailure;
  }
}

}  // namespace cwf::cli
