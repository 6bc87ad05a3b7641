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

class LocalProcess : public TaskProcess {
 public:
  LocalProcess(pid_t pid, Fd output, Fd exit) : pid_(pid), output_(std::move(output)), exit_(std::move(exit)) {}
  ~LocalProcess() override {
    // Nothing a task started outlives it, whatever path got us here.
    if (!status_) {
      ::kill(-pid_, SIGKILL);
      int st;
      while (::waitpid(pid_, &st, 0) < 0 && errno == EINTR) {
      }
    }
    if (group_alive()) ::kill(-pid_, SIGKILL);
  }
  int output_fd() const override { return output_.get(); }
  int exit_fd() const override { return status_ ? -1 : exit_.get(); }
  void close_output() override { output_.reset(); }
  std::optional<ExitStatus> try_wait() override {
    if (status_) return status_;
    int st = 0;
    pid_t r = ::waitpid(pid_, &st, WNOHANG);
    if (r != pid_) return std::nullopt;
    ExitStatus s;
    if (WIFEXITED(st)) s.code = WEXITSTATUS(st);
    if (WIFSIGNALED(st)) s.signal = WTERMSIG(st);
    status_ = s;
    exit_.reset();
    return status_;
  }
  void signal_all(int sig) override { ::kill(-pid_, sig); }
  bool group_alive() const override { return ::kill(-pid_, 0) == 0; }

 private:
  pid_t pid_;
  Fd output_, exit_;
  std::optional<ExitStatus> status_;
};

}  // namespace

Result<std::unique_ptr<TaskProcess>> LocalLauncher::start(const ProcessSpec& spec) {
  if (spec.argv.empty()) return make_error("nothing to run");
  int fds[2];
  if (::pipe2(fds, O_CLOEXEC) != 0) return make_error(std::string("pipe: ") + std::strerror(errno));
  Fd read_end(fds[0]), write_end(fds[1]);

  SpawnSetup s;
  posix_spawn_file_actions_addopen(&s.actions, 0, "/dev/null", O_RDONLY, 0);
  posix_spawn_file_actions_adddup2(&s.actions, write_end.get(), 1);
  posix_spawn_file_actions_adddup2(&s.actions, write_end.get(), 2);
  if (!spec.cwd.empty()) posix_spawn_file_actions_addchdir_np(&s.actions, spec.cwd.c_str());
  // Its own process group, so a timeout or cancel reaches everything it
  // started; default dispositions and no blocked signals, whatever ours are.
  sigset_t none, defaults;
  sigemptyset(&none);
  sigemptyset(&defaults);
  for (int sig : {SIGPIPE, SIGINT, SIGTERM, SIGHUP, SIGQUIT, SIGCHLD, SIGXFSZ}) sigaddset(&defaults, sig);
  posix_spawnattr_setpgroup(&s.attr, 0);
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
  if (rc != 0) {
    if (rc == ENOENT) return make_error("executable not found: " + spec.argv[0]);
    return make_error("cannot start " + spec.argv[0] + ": " + std::strerror(rc));
  }
  write_end.reset();
  // A larger pipe means fewer wake-ups for a task that prints a lot.
  ::fcntl(read_end.get(), F_SETPIPE_SZ, 1 << 20);
  Fd pidfd(static_cast<int>(::syscall(SYS_pidfd_open, pid, 0)));
  if (pidfd.get() < 0) {
    ::kill(-pid, SIGKILL);
    ::waitpid(pid, nullptr, 0);
    return make_error(std::string("pidfd_open: ") + std::strerror(errno));
  }
  return std::unique_ptr<TaskProcess>(new LocalProcess(pid, std::move(read_end), std::move(pidfd)));
}

}  // namespace cwf::executor
