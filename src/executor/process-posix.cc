#include <cerrno>
#include <csignal>
#include <cstring>
#include <fcntl.h>
#include <spawn.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include "executor/process.hh"

namespace cwf::executor {
namespace {

class Fd {
 public:
  explicit Fd(int fd = -1) : fd_(fd) {}
  Fd(Fd&& o) noexcept : fd_(o.release()) {}
  Fd& operator=(Fd&& o) noexcept {
    reset(o.release());
    return *this;
  }
  ~Fd() { reset(); }
  int get() const { return fd_; }
  int release() { return std::exchange(fd_, -1); }
  void reset(int fd = -1) {
    if (fd_ >= 0) ::close(fd_);
    fd_ = fd;
  }

 private:
  int fd_;
};

// posix_spawn's attribute and file-action objects, destroyed on every path.
struct SpawnSetup {
  posix_spawnattr_t attr;
  posix_spawn_file_actions_t actions;
  SpawnSetup() {
    posix_spawnattr_init(&attr);
    posix_spawn_file_actions_init(&actions);
  }
  ~SpawnSetup() {
    posix_spawn_file_actions_destroy(&actions);
    posix_spawnattr_destroy(&attr);
  }
};

// One process, or a pipeline's, in one process group led by the first.
class LocalProcess : public TaskProcess {
 public:
  struct Stage {
    pid_t pid;
    Fd exit;  // a pidfd
    std::optional<ExitStatus> status;
  };
  LocalProcess(std::vector<Stage> stages, Fd output) : stages_(std::move(stages)), output_(std::move(output)) {}
  ~LocalProcess() override {
    // Nothing a task started outlives it, whatever path got us here.
    if (!status_) {
      ::kill(-pgid(), SIGKILL);
      for (auto& s : stages_) {
        if (s.status) continue;
        int st;
        while (::waitpid(s.pid, &st, 0) < 0 && errno == EINTR) {
        }
      }
    }
    if (group_alive()) ::kill(-pgid(), SIGKILL);
  }
  int output_fd() const override { return output_.get(); }
  int exit_fd() const override {
    for (const auto& s : stages_)
      if (!s.status) return s.exit.get();
    return -1;
  }
  void close_output() override { output_.reset(); }
  std::optional<ExitStatus> try_wait() override {
    if (status_) return status_;
    bool all = true;
    for (auto& s : stages_) {
      if (s.status) continue;
      int st = 0;
      if (::waitpid(s.pid, &st, WNOHANG) != s.pid) {
        all = false;
        continue;
      }
      ExitStatus e;
      if (WIFEXITED(st)) e.code = WEXITSTATUS(st);
      if (WIFSIGNALED(st)) e.signal = WTERMSIG(st);
      s.status = e;
      s.exit.reset();
    }
    if (!all) return std::nullopt;
    // Every stage has ended. The first that failed is the cause, unless a
    // broken pipe killed it: then a later stage ended early.
    std::size_t at = stages_.size() - 1;
    std::optional<std::size_t> failed, broken;
    for (std::size_t i = 0; i < stages_.size(); ++i) {
      const ExitStatus& e = *stages_[i].status;
      if (e.success()) continue;
      // 141: a shell whose command SIGPIPE killed.
      if (e.signal == SIGPIPE || e.code == 128 + SIGPIPE) {
        if (!broken) broken = i;
      } else if (!failed) {
        failed = i;
      }
    }
    if (failed) at = *failed;
    else if (broken) at = *broken;
    status_ = *stages_[at].status;
    status_->stage = at;
    return status_;
  }
  void signal_all(int sig) override { ::kill(-pgid(), sig); }
  bool group_alive() const override { return ::kill(-pgid(), 0) == 0; }

 private:
  pid_t pgid() const { return stages_.front().pid; }

  std::vector<Stage> stages_;
  Fd output_;
  std::optional<ExitStatus> status_;
};

// Starts SPEC with IN as its stdin (-1: /dev/null), OUT and ERR as stdout
// and stderr, in the process group PGID (0: a new one it leads).
Result<pid_t> spawn(const ProcessSpec& spec, int in, int out, int err, pid_t pgid) {
  if (spec.argv.empty()) return make_error("nothing to run");
  SpawnSetup s;
  if (in < 0) posix_spawn_file_actions_addopen(&s.actions, 0, "/dev/null", O_RDONLY, 0);
  else posix_spawn_file_actions_adddup2(&s.actions, in, 0);
  posix_spawn_file_actions_adddup2(&s.actions, out, 1);
  posix_spawn_file_actions_adddup2(&s.actions, err, 2);
  if (!spec.cwd.empty()) posix_spawn_file_actions_addchdir_np(&s.actions, spec.cwd.c_str());
  // Its own process group, so a timeout or cancel reaches everything it
  // started; default dispositions and no blocked signals, whatever ours are.
  sigset_t none, defaults;
  sigemptyset(&none);
  sigemptyset(&defaults);
  for (int sig : {SIGPIPE, SIGINT, SIGTERM, SIGHUP, SIGQUIT, SIGCHLD, SIGXFSZ}) sigaddset(&defaults, sig);
  posix_spawnattr_setpgroup(&s.attr, pgid);
  posix_spawnattr_setsigmask(&s.attr, &none);
  posix_spawnattr_setsigdefault(&s.attr, &defaults);
  posix_spawnattr_setflags(&s.attr, POSIX_SPAWN_SETPGROUP | POSIX_SPAWN_SETSIGMASK | POSIX_SPAWN_SETSIGDEF);

  std::vector<char*> argv, envp;
  for (const auto& a : spec.argv) argv.push_back(const_cast<char*>(a.c_str()));
  argv.push_back(nullptr);
  for (const auto& e : spec.env) envp.push_back(const_cast<char*>(e.c_str()));
  envp.push_back(nullptr);

  pid_t pid = 0;
  int rc = ::posix_spawnp(&pid, argv[0], &s.actions, &s.attr, argv.data(), envp.data());
  if (rc == ENOENT) return make_error("executable not found: " + spec.argv[0]);
  if (rc != 0) return make_error("cannot start " + spec.argv[0] + ": " + std::strerror(rc));
  return pid;
}

}  // namespace

Result<std::unique_ptr<TaskProcess>> LocalLauncher::start(const ProcessSpec& spec) { return start_pipeline({spec}); }

Result<std::unique_ptr<TaskProcess>> LocalLauncher::start_pipeline(const std::vector<ProcessSpec>& specs) {
  if (specs.empty()) return make_error("nothing to run");
  int fds[2];
  if (::pipe2(fds, O_CLOEXEC) != 0) return make_error(std::string("pipe: ") + std::strerror(errno));
  Fd read_end(fds[0]), write_end(fds[1]);

  std::vector<LocalProcess::Stage> stages;
  // Whatever started already is killed and reaped when a later stage fails.
  auto abandon = [&](std::string error) -> Result<std::unique_ptr<TaskProcess>> {
    if (!stages.empty()) ::kill(-stages.front().pid, SIGKILL);
    for (auto& st : stages) ::waitpid(st.pid, nullptr, 0);
    return make_error(std::move(error));
  };
  Fd stdin_of_next;  // the read end of the pipe from the stage before
  for (std::size_t i = 0; i < specs.size(); ++i) {
    bool last = i + 1 == specs.size();
    Fd to_next, from_this;
    if (!last) {
      if (::pipe2(fds, O_CLOEXEC) != 0) return abandon(std::string("pipe: ") + std::strerror(errno));
      from_this.reset(fds[0]);
      to_next.reset(fds[1]);
      ::fcntl(from_this.get(), F_SETPIPE_SZ, 1 << 20);  // a build's tarball flows through here
    }
    auto pid = spawn(specs[i], stdin_of_next.get(), last ? write_end.get() : to_next.get(), write_end.get(),
                     stages.empty() ? 0 : stages.front().pid);
    if (!pid) return abandon(pid.error().message);
    stages.push_back({*pid, Fd(), std::nullopt});
    stdin_of_next = std::move(from_this);
    Fd pidfd(static_cast<int>(::syscall(SYS_pidfd_open, *pid, 0)));
    if (pidfd.get() < 0) return abandon(std::string("pidfd_open: ") + std::strerror(errno));
    stages.back().exit = std::move(pidfd);
  }
  write_end.reset();
  // A larger pipe means fewer wake-ups for a task that prints a lot.
  ::fcntl(read_end.get(), F_SETPIPE_SZ, 1 << 20);
  return std::unique_ptr<TaskProcess>(new LocalProcess(std::move(stages), std::move(read_end)));
}

}  // namespace cwf::executor
