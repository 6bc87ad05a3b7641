#include "executor/kubernetes_launcher.hh"

#include <fcntl.h>
#include <pthread.h>
#include <unistd.h>

#include <condition_variable>
#include <csignal>
#include <cstring>

#include "executor/podman_launcher.hh"
#include "util/log.hh"
#include "util/random.hh"

namespace cwf::executor {
namespace {

using Clock = std::chrono::steady_clock;
using kube::PodState;

constexpr std::size_t kMaxLine = 1u << 20;  // a log or watch line longer than this is cut

struct Pipe {
  int r = -1, w = -1;
  bool open() {
    int fds[2];
    if (::pipe2(fds, O_CLOEXEC) != 0) return false;
    r = fds[0];
    w = fds[1];
    return true;
  }
  static void close(int& fd) {
    if (fd >= 0) ::close(fd);
    fd = -1;
  }
};

void write_all(int fd, std::string_view s) {
  while (!s.empty() && fd >= 0) {
    ssize_t n = ::write(fd, s.data(), s.size());
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) return;  // the reader went away: nobody to tell
    s.remove_prefix(static_cast<std::size_t>(n));
  }
}

std::string ns_path(const std::string& ns, const std::string& rest) { return "/api/v1/namespaces/" + kube::escape(ns) + rest; }
std::string jobs_path(const std::string& ns) { return "/apis/batch/v1/namespaces/" + kube::escape(ns) + "/jobs"; }

long long seconds_up(std::chrono::milliseconds ms) { return (ms.count() + 999) / 1000; }

}  // namespace

bool split_stamp(std::string_view line, std::string_view& stamp, std::string_view& text) {
  std::size_t sp = line.find(' ');
  if (sp == std::string_view::npos || sp < 20 || line[4] != '-' || line[10] != 'T') return false;
  stamp = line.substr(0, sp);
  text = line.substr(sp + 1);
  return true;
}

bool stamp_after(std::string_view a, std::string_view b) {
  // The whole seconds are fixed-width; the fraction is as long as it needs to be.
  auto parts = [](std::string_view s) {
    std::size_t dot = s.find('.');
    std::string_view whole = s.substr(0, dot == std::string_view::npos ? s.find('Z') : dot);
    std::string frac;
    if (dot != std::string_view::npos)
      for (std::size_t i = dot + 1; i < s.size() && std::isdigit(static_cast<unsigned char>(s[i])); ++i) frac += s[i];
    frac.resize(9, '0');
    return std::pair{std::string(whole), frac};
  };
  return parts(a) > parts(b);
}

// What a task's pod does, as the watch sees it, and the thread that turns
// it into output and an exit.
struct KubernetesLauncher::Task {
  std::string name, token;
  Pipe out, exit;
  std::mutex mu;
  std::condition_variable changed;
  std::optional<PodState> pod;
  bool pod_gone = false, cancelled = false, killed = false, stop = false;
  std::optional<ExitStatus> status;
  kube::KubeStream log_stream;
  std::thread thread;
  Clock::time_point created = Clock::now();
};

namespace {

// The thread of one task: waits for its pod, follows its log, and decides
// its exit. The only writer of the task's output.
class Follower {
 public:
  Follower(KubernetesLauncher::Task& t, kube::KubeClient& api, const KubernetesOptions& o) : t_(t), api_(api), o_(o) {}

  void run() {
    // A write to a pipe whose reader is gone fails with EPIPE here rather
    // than killing the runner with SIGPIPE (a thread's own signal).
    sigset_t pipe;
    sigemptyset(&pipe);
    sigaddset(&pipe, SIGPIPE);
    pthread_sigmask(SIG_BLOCK, &pipe, nullptr);
    ExitStatus st = follow();
    std::lock_guard lock(t_.mu);
    t_.status = st;
    write_all(t_.exit.w, "x");
  }

 private:
  void note(const std::string& s) { write_all(t_.out.w, "[kubernetes] " + s + "\n"); }

  ExitStatus failed(int code) {
    ExitStatus st;
    st.code = code;
    return st;
  }

  // Waits for the pod to run (or to be stuck); nullopt: it runs (or ran).
  std::optional<ExitStatus> wait_start() {
    std::string last_waiting;
    Clock::time_point stuck_since{};  // {}: not stuck
    std::unique_lock lock(t_.mu);
    for (;;) {
      if (t_.killed) {
        ExitStatus st;
        st.signal = SIGKILL;
        return st;
      }
      if (t_.stop) return failed(1);
      if (t_.pod && t_.pod->started) return std::nullopt;
      if (t_.pod && t_.pod->checkout_exit && *t_.pod->checkout_exit != 0) {
        int code = *t_.pod->checkout_exit;
        std::string pod = t_.pod->name;
        lock.unlock();
        note("the checkout could not be fetched (init container exited " + std::to_string(code) + "):");
        copy_log(pod, kube::kCheckoutContainer);
        return failed(code);
      }
      if (t_.pod_gone || (t_.pod && (t_.pod->phase == "Failed" || t_.pod->deleting))) {
        std::string why = t_.pod ? t_.pod->pod_reason + (t_.pod->pod_message.empty() ? "" : ": " + t_.pod->pod_message) : "";
        bool cancelled = t_.cancelled;
        lock.unlock();
        if (!cancelled) note("the pod ended before the task started" + (why.empty() ? std::string() : " (" + why + ")"));
        ExitStatus st;
        st.signal = SIGTERM;
        return st;
      }
      auto now = Clock::now();
      std::string waiting;
      if (t_.pod) {
        if (kube::stuck_reason(t_.pod->waiting_reason))
          waiting = t_.pod->waiting_reason + ": " + t_.pod->waiting_message;
        else if (!t_.pod->unschedulable.empty())
          waiting = t_.pod->unschedulable;
      }
      if (waiting.empty()) {
        stuck_since = {};
      } else {
        if (stuck_since == Clock::time_point{}) stuck_since = now;
        if (waiting != last_waiting) {
          last_waiting = waiting;
          std::string line = "pod " + t_.pod->name + " is waiting: " + waiting;  // read under the lock
          lock.unlock();
          note(line);
          lock.lock();
          continue;
        }
        if (now - stuck_since >= o_.pending_timeout) {
          lock.unlock();
          note("the pod did not start in " + std::to_string(o_.pending_timeout.count()) + "s: " + waiting);
          return failed(125);
        }
      }
      if (!t_.pod && now - t_.created >= o_.pending_timeout) {
        lock.unlock();
        note("no pod was made for the Job in " + std::to_string(o_.pending_timeout.count()) + "s: " + job_conditions());
        return failed(125);
      }
      t_.changed.wait_for(lock, std::chrono::seconds(1));
    }
  }

  std::string job_conditions() {
    auto r = api_.get(jobs_path(o_.namespace_) + "/" + t_.name);
    if (!r.ok()) return r.error;
    std::size_t at = r.body.find("\"conditions\"");
    return at == std::string::npos ? "the Job has no conditions" : r.body.substr(at, 400);
  }

  // CONTAINER's log of POD (its first 64 KiB: why it failed) into the output.
  void copy_log(const std::string& pod, const char* container) {
    auto r = api_.get(ns_path(o_.namespace_, "/pods/" + kube::escape(pod) + "/log?container=" + container + "&limitBytes=65536"));
    write_all(t_.out.w, r.ok() ? r.body : "(its log cannot be read: " + r.error + ")\n");
  }

  // The task container's log, followed to its end; resumed after a break
  // from the last line's timestamp (lines at or before it are not repeated).
  void follow_log(const std::string& pod) {
    constexpr auto kSilence = std::chrono::minutes(10);  // a stream this quiet is opened again
    std::string last_stamp, partial;
    int failures = 0;  // in a row, without a line between them
    while (failures < 30) {
      std::string path = ns_path(o_.namespace_, "/pods/" + kube::escape(pod) + "/log?container=" +
                                                    kube::kTaskContainer + "&follow=true&timestamps=true");
      if (!last_stamp.empty()) path += "&sinceTime=" + kube::escape(last_stamp.substr(0, 19) + "Z");
      std::string after = last_stamp;
      bool got = false;
      auto line_out = [&](std::string_view line) {
        got = true;
        std::string_view stamp, text;
        if (!split_stamp(line, stamp, text)) {
          write_all(t_.out.w, std::string(line) + "\n");
          return;
        }
        if (!after.empty() && !stamp_after(stamp, after)) return;  // seen before the break
        last_stamp = std::string(stamp);
        write_all(t_.out.w, std::string(text) + "\n");
      };
      auto opened = Clock::now();
      auto r = api_.stream(path, t_.log_stream, kSilence, [&](std::string_view chunk) {
        partial.append(chunk);
        std::size_t start = 0;
        for (std::size_t nl; (nl = partial.find('\n', start)) != std::string::npos; start = nl + 1)
          line_out(std::string_view(partial).substr(start, nl - start));
        partial.erase(0, start);
        if (partial.size() > kMaxLine) {
          line_out(partial);
          partial.clear();
        }
        return true;
      });
      if (t_.log_stream.stopped()) return;
      bool gone;
      {
        std::lock_guard lock(t_.mu);
        gone = t_.pod_gone;
      }
      if ((r.ok() && r.error.empty()) || gone) {
        if (!partial.empty()) line_out(partial);  // a last line without its newline
        return;
      }
      partial.clear();  // its start comes again from sinceTime
      if (r.status != 0 && r.status != 400 && r.error.find("stream broke") == std::string::npos) {
        note("the pod's log cannot be read: " + r.error);
        return;
      }
      failures = got ? 0 : failures + 1;
      // A quiet task (a long compile) is no failure: its stream is opened again without a word.
      bool quiet = !got && r.status == 200 && Clock::now() - opened >= kSilence - std::chrono::seconds(5);
      if (quiet) failures = 0;
      else if (r.status != 400) note("the log stream broke (" + r.error + "); following it again");
      std::this_thread::sleep_for(std::chrono::milliseconds(500));
    }
    note("the pod's log could not be followed; its exit is still awaited");
  }

  ExitStatus follow() {
    if (auto early = wait_start()) return *early;
    std::string pod;
    {
      std::lock_guard lock(t_.mu);
      pod = t_.pod->name;
    }
    follow_log(pod);
    // The log ends when the container does; its status may come a moment later.
    std::unique_lock lock(t_.mu);
    while (!(t_.pod && t_.pod->exit_code) && !t_.pod_gone && !t_.killed && !t_.stop)
      t_.changed.wait_for(lock, std::chrono::milliseconds(500));
    ExitStatus st;
    if (t_.pod && t_.pod->exit_code) {
      st.code = *t_.pod->exit_code;
      std::string reason = t_.pod->ended_reason;
      lock.unlock();
      if (reason == "OOMKilled") note("the container ran out of memory (OOMKilled)");
      return st;
    }
    if (t_.killed) {
      st.signal = SIGKILL;
      return st;
    }
    bool cancelled = t_.cancelled;
    lock.unlock();
    if (!cancelled) note("the pod went away before its container's exit was seen");
    st.signal = SIGTERM;
    return st;
  }

  KubernetesLauncher::Task& t_;
  kube::KubeClient& api_;
  const KubernetesOptions& o_;
};

class KubernetesProcess : public TaskProcess {
 public:
  KubernetesProcess(std::shared_ptr<KubernetesLauncher::Task> task, kube::KubeClient& api,
                    std::shared_ptr<CheckoutServer> checkouts, const KubernetesOptions& o,
                    std::function<void()> forget)
      : t_(std::move(task)), api_(api), checkouts_(std::move(checkouts)), o_(o), forget_(std::move(forget)) {}
  ~KubernetesProcess() override {
    bool ended;
    {
      std::lock_guard lock(t_->mu);
      t_->stop = true;
      ended = t_->status.has_value();
      t_->changed.notify_all();
    }
    t_->log_stream.stop();
    Pipe::close(t_->out.r);  // a follower blocked on a full pipe gets EPIPE
    if (t_->thread.joinable()) t_->thread.join();
    Pipe::close(t_->out.w);
    if (!ended || !t_->pod || !t_->pod->exit_code) delete_job();
    // The environment lives no longer than its task.
    auto r = api_.del(ns_path(o_.namespace_, "/secrets/" + kube::escape(t_->name)));
    if (!r.ok() && r.status != 404)
      log::warn("cannot delete a task's Secret", {{"secret", t_->name}, {"error", r.error}});
    checkouts_->withdraw(t_->token);
    forget_();
    Pipe::close(t_->exit.r);
    Pipe::close(t_->exit.w);
  }
  int output_fd() const override { return t_->out.r; }
  int exit_fd() const override { return t_->exit.r; }
  void close_output() override { Pipe::close(t_->out.r); }
  std::optional<ExitStatus> try_wait() override {
    std::lock_guard lock(t_->mu);
    if (t_->status && t_->thread.joinable()) {
      // The follower is done writing: the reader sees the end of the output.
      t_->thread.join();
      Pipe::close(t_->out.w);
    }
    return t_->status;
  }
  // SIGTERM: the Job is deleted, the pod gets its grace; SIGKILL: it is
  // given up on (the cluster ends it after the grace all the same).
  void signal_all(int sig) override {
    {
      std::lock_guard lock(t_->mu);
      t_->cancelled = true;
      if (sig == SIGKILL) t_->killed = true;
      t_->changed.notify_all();
    }
    if (sig == SIGKILL) t_->log_stream.stop();
    else delete_job();
  }
  bool group_alive() const override { return false; }

 private:
  void delete_job() {
    if (deleted_) return;
    deleted_ = true;
    auto r = api_.del(jobs_path(o_.namespace_) + "/" + kube::escape(t_->name),
                      R"({"kind":"DeleteOptions","apiVersion":"v1","propagationPolicy":"Background"})");
    if (!r.ok() && r.status != 404) log::warn("cannot delete a task's Job", {{"job", t_->name}, {"error", r.error}});
  }

  std::shared_ptr<KubernetesLauncher::Task> t_;
  kube::KubeClient& api_;
  std::shared_ptr<CheckoutServer> checkouts_;
  const KubernetesOptions& o_;
  std::function<void()> forget_;
  bool deleted_ = false;
};

}  // namespace

KubernetesLauncher::KubernetesLauncher(std::shared_ptr<kube::KubeClient> api, std::shared_ptr<CheckoutServer> checkouts,
                                       KubernetesOptions options)
    : api_(std::move(api)), checkouts_(std::move(checkouts)), options_(std::move(options)) {
  watcher_ = std::thread([this] { watch_loop(); });
}

KubernetesLauncher::~KubernetesLauncher() {
  stopping_ = true;
  watch_stream_.stop();
  if (watcher_.joinable()) watcher_.join();
}

std::size_t KubernetesLauncher::following() const {
  std::lock_guard lock(mu_);
  return tasks_.size();
}

kube::TaskJob KubernetesLauncher::task_job(const ProcessSpec& spec, const std::string& name,
                                           const std::string& checkout_url) const {
  const ContainerSpec& c = *spec.container;
  kube::TaskJob t;
  t.name = name;
  t.namespace_ = options_.namespace_;
  t.runner = options_.runner_id;
  t.job = c.job;
  t.task = c.task;
  t.image = c.image;
  t.cpu = c.cpu;
  t.memory = c.memory;
  t.argv = spec.argv;
  auto rel = spec.cwd.lexically_relative(c.workspace);
  t.workdir = rel.empty() || rel == "." ? kube::kWorkspace : (std::filesystem::path(kube::kWorkspace) / rel).string();
  t.init_image = options_.init_image;
  t.checkout_url = checkout_url;
  t.grace_s = seconds_up(options_.grace);
  // A backstop for a runner that is gone: its own deadline (the task's
  // timeout) comes first and ends the task as locally, this one a grace later.
  t.active_deadline_s = seconds_up(std::chrono::duration_cast<std::chrono::milliseconds>(c.timeout)) + t.grace_s;
  t.ttl_s = options_.ttl.count();
  t.service_account = options_.service_account;
  t.env_secret = true;
  return t;
}

Result<std::unique_ptr<TaskProcess>> KubernetesLauncher::start(const ProcessSpec& spec) {
  if (!spec.container) return local_.start(spec);
  if (stopping_) return make_error("the runner is stopping");
  auto task = std::make_shared<Task>();
  // DNS-1123, at most 63 characters (the pod's job-name label): 4 + 10 + ids + 7.
  task->name = "cwf-" + options_.runner_id + "-" + std::to_string(spec.container->job) + "-" +
               std::to_string(spec.container->task) + "-" + random_hex(3);
  if (!task->out.open() || !task->exit.open()) return make_error(std::string("pipe: ") + std::strerror(errno));
  // Before the Job exists, so the watch can't see its pod first.
  {
    std::lock_guard lock(mu_);
    tasks_[task->name] = task;
  }
  auto forget = [this, name = task->name] {
    std::lock_guard lock(mu_);
    tasks_.erase(name);
  };
  auto undo = [&](const std::string& why) {
    forget();
    checkouts_->withdraw(task->token);
    for (Pipe* p : {&task->out, &task->exit}) {
      Pipe::close(p->r);
      Pipe::close(p->w);
    }
    return make_error(why);
  };
  task->token = checkouts_->offer(spec.container->workspace, options_.pending_timeout + std::chrono::seconds(60));
  kube::TaskJob tj = task_job(spec, task->name, options_.checkout_url + "/checkouts/" + task->token);
  std::vector<std::string> by_name;  // a Secret's values may hold newlines: none are passed by name here
  std::vector<std::string> env = container_env(spec.env, by_name);
  for (const auto& kv : spec.env)
    for (const auto& n : by_name)
      if (kv.rfind(n + "=", 0) == 0) env.push_back(kv);
  auto secret = api_->post(ns_path(options_.namespace_, "/secrets"), kube::secret_json(tj, env));
  if (!secret.ok()) return undo("cannot create the task's Secret in namespace " + options_.namespace_ + ": " + secret.error);
  auto job = api_->post(jobs_path(options_.namespace_), kube::job_json(tj));
  if (!job.ok()) {
    api_->del(ns_path(options_.namespace_, "/secrets/" + kube::escape(task->name)));
    return undo("cannot create the task's Job in namespace " + options_.namespace_ + ": " + job.error);
  }
  write_all(task->out.w, "[kubernetes] job " + options_.namespace_ + "/" + task->name + " (image " +
                             spec.container->image + ")\n");
  task->thread = std::thread([t = task.get(), this] { Follower(*t, *api_, options_).run(); });
  return std::unique_ptr<TaskProcess>(
      std::make_unique<KubernetesProcess>(task, *api_, checkouts_, options_, std::move(forget)));
}

Result<std::unique_ptr<TaskProcess>> KubernetesLauncher::start_pipeline(const std::vector<ProcessSpec>& stages) {
  for (const auto& s : stages)
    if (s.container) return make_error("a pipeline cannot run in a container");
  return local_.start_pipeline(stages);
}

void KubernetesLauncher::dispatch(const PodState& pod, bool gone) {
  std::shared_ptr<Task> t;
  {
    std::lock_guard lock(mu_);
    auto it = tasks_.find(pod.task_name);
    if (it == tasks_.end()) return;
    t = it->second;
  }
  std::lock_guard lock(t->mu);
  // A Job's pod that is not the one followed (there is one: backoffLimit 0).
  if (t->pod && t->pod->name != pod.name && !gone) return;
  t->pod = pod;
  if (gone) t->pod_gone = true;
  t->changed.notify_all();
}

bool KubernetesLauncher::watch_once(std::string& rv) {
  std::string selector = kube::escape(kube::runner_selector(options_.runner_id));
  std::string base = ns_path(options_.namespace_, "/pods?labelSelector=" + selector);
  if (rv.empty()) {
    auto list = api_->get(base);
    if (!list.ok()) {
      log::warn("cannot list the tasks' pods", {{"error", list.error}});
      return false;
    }
    auto pods = kube::parse_pod_list(list.body);
    if (!pods) return false;
    for (const auto& p : pods->pods) dispatch(p, false);
    rv = pods->resource_version;
  }
  std::string buffer;
  bool restart = false;
  auto r = api_->stream(base + "&watch=true&allowWatchBookmarks=true&timeoutSeconds=300&resourceVersion=" + kube::escape(rv),
                        watch_stream_, std::chrono::seconds(330), [&](std::string_view chunk) {
                          buffer.append(chunk);
                          std::size_t start = 0;
                          for (std::size_t nl; (nl = buffer.find('\n', start)) != std::string::npos; start = nl + 1) {
                            auto e = kube::parse_watch_event(std::string_view(buffer).substr(start, nl - start));
                            if (!e) continue;
                            if (e->type == "ERROR") {
                              // 410 Gone: the version is too old to watch from; list again.
                              if (e->error_code != 410) log::warn("the pods' watch failed", {{"error", e->error_message}});
                              restart = true;
                              return false;
                            }
                            if (!e->resource_version.empty()) rv = e->resource_version;
                            if (e->pod) dispatch(*e->pod, e->type == "DELETED");
                          }
                          buffer.erase(0, start);
                          if (buffer.size() > 16 * kMaxLine) {
                            restart = true;
                            return false;
                          }
                          return true;
                        });
  if (restart || r.status == 410) rv.clear();
  else if (!r.ok() && !watch_stream_.stopped()) {
    log::warn("the pods' watch broke", {{"error", r.error}});
    return false;
  }
  return true;
}

void KubernetesLauncher::watch_loop() {
  std::string rv;
  while (!stopping_) {
    if (!watch_once(rv) && !stopping_) {
      rv.clear();
      for (int i = 0; i < 20 && !stopping_; ++i) std::this_thread::sleep_for(std::chrono::milliseconds(100));
    }
  }
}

Result<std::vector<std::int64_t>> KubernetesLauncher::remove_leftovers() {
  std::string selector = "?labelSelector=" + kube::escape(kube::runner_selector(options_.runner_id));
  std::vector<std::int64_t> jobs;
  auto list = api_->get(jobs_path(options_.namespace_) + selector);
  if (!list.ok()) return make_error("cannot list the Jobs the last run left: " + list.error);
  for (const auto& [name, job] : kube::names_and_jobs(list.body)) {
    auto r = api_->del(jobs_path(options_.namespace_) + "/" + kube::escape(name),
                       R"({"kind":"DeleteOptions","apiVersion":"v1","propagationPolicy":"Background"})");
    if (!r.ok() && r.status != 404) return make_error("cannot delete Job " + name + ": " + r.error);
    log::info("deleted a Job the last run left", {{"job", name}, {"for", job}});
    try {
      jobs.push_back(std::stoll(job));
    } catch (...) {
    }
  }
  auto secrets = api_->get(ns_path(options_.namespace_, "/secrets" + selector));
  if (!secrets.ok()) return make_error("cannot list the Secrets the last run left: " + secrets.error);
  for (const auto& [name, job] : kube::names_and_jobs(secrets.body)) {
    auto r = api_->del(ns_path(options_.namespace_, "/secrets/" + kube::escape(name)));
    if (!r.ok() && r.status != 404) return make_error("cannot delete Secret " + name + ": " + r.error);
  }
  return jobs;
}

}  // namespace cwf::executor
