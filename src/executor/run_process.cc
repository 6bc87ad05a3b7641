#include "executor/run_process.hh"

#include <cerrno>
#include <memory>
#include <csignal>
#include <poll.h>
#include <unistd.h>

namespace cwf::executor {

RunOutcome run_process(TaskLauncher& launcher, const std::vector<ProcessSpec>& stages, Clock::time_point deadline,
                       std::chrono::milliseconds grace, const CancelToken& cancel,
                       const std::function<void(std::string_view)>& on_output) {
  RunOutcome out;
  auto started = stages.size() == 1 ? launcher.start(stages.front()) : launcher.start_pipeline(stages);
  if (!started) {
    out.start_error = started.error().message;
    return out;
  }
  TaskProcess& p = **started;
  std::optional<Clock::time_point> kill_at;      // SIGTERM sent; SIGKILL due then
  std::optional<Clock::time_point> drain_until;  // exited; how long to wait for the pipe to close
  bool exited = false;
  auto stop = [&](Clock::time_point now) {
    if (kill_at) return;
    p.signal_all(SIGTERM);
    kill_at = now + grace;
  };
  // On the heap, uninitialised: a thread_local array would be TLS that every
  // thread of the process (pollers, HTTP) pays for, 256 KB of RSS each.
  constexpr std::size_t kBufSize = 256 * 1024;
  std::unique_ptr<char[]> buf(new char[kBufSize]);
  for (;;) {
    auto now = Clock::now();
    if (!exited && !kill_at && now >= deadline) {
      out.timed_out = true;
      stop(now);
    }
    if (!exited && !kill_at && cancel.cancelled()) {
      out.cancelled = true;
      stop(now);
    }
    if (kill_at && now >= *kill_at) {
      p.signal_all(SIGKILL);
      kill_at.reset();
      if (exited) drain_until = now + grace;
    }
    if (exited && p.output_fd() < 0) break;
    if (drain_until && now >= *drain_until) break;  // something that left the group holds the pipe

    pollfd fds[3];
    int n = 0, out_i = -1, exit_i = -1;
    if (p.output_fd() >= 0) fds[out_i = n++] = {p.output_fd(), POLLIN, 0};
    if (!exited) fds[exit_i = n++] = {p.exit_fd(), POLLIN, 0};
    if (!cancel.cancelled() && !exited) fds[n++] = {cancel.fd(), POLLIN, 0};
    Clock::time_point wake = now + std::chrono::seconds(1);
    if (!exited) wake = std::min(wake, deadline);
    if (kill_at) wake = std::min(wake, *kill_at);
    if (drain_until) wake = std::min(wake, *drain_until);
    auto wait = std::chrono::duration_cast<std::chrono::milliseconds>(wake - now).count();
    if (::poll(fds, static_cast<nfds_t>(n), static_cast<int>(std::max<long long>(wait, 0))) < 0 && errno != EINTR)
      break;

    if (out_i >= 0 && fds[out_i].revents) {
      ssize_t r = ::read(p.output_fd(), buf.get(), kBufSize);
      if (r > 0) {
        on_output(std::string_view(buf.get(), static_cast<std::size_t>(r)));
        continue;  // drain before looking at the exit
      }
      if (r == 0 || errno != EINTR) p.close_output();
    }
    if (exit_i >= 0 && fds[exit_i].revents) {
      if (auto st = p.try_wait()) {
        exited = true;
        out.status = *st;
        // Whatever it left running in the background does not outlive it.
        if (p.group_alive()) {
          kill_at.reset();
          stop(Clock::now());
        } else {
          drain_until = Clock::now() + grace;
        }
      }
    }
  }
  return out;
}

}  // namespace cwf::executor
