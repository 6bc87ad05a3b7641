#include "executor/podman_launcher.hh"

#include <fcntl.h>
#include <unistd.h>

#include <csignal>
#include <cstdio>
#include <cstring>
#include <sstream>

#include "executor/cancel.hh"
#include "executor/run_process.hh"
#include "util/log.hh"
#include "util/random.hh"

namespace cwf::executor {
namespace {

constexpr const char* kWorkspace = "/workspace";

// A short podman command (kill, rm, ps) to its end, its output kept.
struct Call {
  RunOutcome outcome;
  std::string output;
};

Call podman_call(LocalLauncher& local, const PodmanOptions& o, std::vector<std::string> args,
                 std::chrono::seconds timeout = std::chrono::seconds(30)) {
  args.insert(args.begin(), o.podman_bin);
  CancelToken never;
  Call c;
  c.outcome = run_process(local, {ProcessSpec{args, o.podman_env, "/", std::nullopt}}, Clock::now() + timeout,
                          std::chrono::milliseconds(2000), never, [&](std::string_view chunk) {
                            if (c.output.size() < (1u << 20)) c.output.append(chunk);
                          });
  return c;
}

// The container's process: podman run's, plus what only podman can do to the
// container itself. A SIGTERM reaches the container through podman run (it
// proxies signals); a SIGKILL would kill only the client, so the container
// is removed by name.
class PodmanProcess : public TaskProcess {
 public:
  PodmanProcess(std::unique_ptr<TaskProcess> client, std::string name, std::filesystem::path env_file,
                LocalLauncher& local, const PodmanOptions& options)
      : client_(std::move(client)), name_(std::move(name)), env_file_(std::move(env_file)), local_(local),
        options_(options) {}
  ~PodmanProcess() override {
    if (killed_) podman_call(local_, options_, {"rm", "--force", "--time", "0", "--ignore", name_});
    std::error_code ec;
    std::filesystem::remove(env_file_, ec);
  }
  int output_fd() const override { return client_->output_fd(); }
  int exit_fd() const override { return client_->exit_fd(); }
  void close_output() override { client_->close_output(); }
  std::optional<ExitStatus> try_wait() override {
    auto status = client_->try_wait();
    if (status) {
      std::error_code ec;
      std::filesystem::remove(env_file_, ec);  // read when the container was made
    }
    return status;
  }
  void signal_all(int sig) override {
    client_->signal_all(sig);
    if (sig == SIGKILL) killed_ = true;
  }
  bool group_alive() const override { return client_->group_alive(); }

 private:
  std::unique_ptr<TaskProcess> client_;
  std::string name_;
  std::filesystem::path env_file_;
  LocalLauncher& local_;
  const PodmanOptions& options_;
  bool killed_ = false;
};

}  // namespace

std::vector<std::string> container_env(const std::vector<std::string>& env, std::vector<std::string>& by_name) {
  static const char* const host_own[] = {"PATH", "HOME", "USER", "LOGNAME", "TMPDIR", "PWD"};
  std::vector<std::string> out;
  for (const auto& kv : env) {
    std::string name = kv.substr(0, kv.find('='));
    bool host = false;
    for (const char* h : host_own) host = host || name == h;
    if (host || name.empty()) continue;
    if (kv.find('\n') != std::string::npos) by_name.push_back(name);
    else out.push_back(kv);
  }
  return out;
}

std::string podman_memory(const std::string& amount) {
  static const std::pair<const char*, const char*> units[] = {{"Ki", "k"}, {"Mi", "m"}, {"Gi", "g"}, {"Ti", "t"}};
  for (auto [k8s, podman] : units)
    if (amount.size() > 2 && amount.compare(amount.size() - 2, 2, k8s) == 0) return amount.substr(0, amount.size() - 2) + podman;
  // Decimal units (k, M, G, T: powers of 1000) in bytes, which podman takes bare.
  static const std::pair<char, unsigned long long> decimal[] = {{'k', 1000ull}, {'M', 1000000ull}, {'G', 1000000000ull}, {'T', 1000000000000ull}};
  for (auto [unit, factor] : decimal)
    if (!amount.empty() && amount.back() == unit) return std::to_string(std::stoull(amount.substr(0, amount.size() - 1)) * factor);
  return amount;  // bytes
}

std::string podman_cpus(const std::string& amount) {
  if (amount.empty() || amount.back() != 'm') return amount;
  unsigned long milli = std::stoul(amount.substr(0, amount.size() - 1));
  std::ostringstream out;
  out << milli / 1000 << "." << std::to_string(1000 + milli % 1000).substr(1);
  return out.str();
}

std::string runner_id(const std::filesystem::path& data_dir) {
  std::uint64_t h = 1469598103934665603ull;  // FNV-1a
  for (char c : std::filesystem::absolute(data_dir).lexically_normal().string())
    h = (h ^ static_cast<unsigned char>(c)) * 1099511628211ull;
  char id[17];
  std::snprintf(id, sizeof id, "%016llx", static_cast<unsigned long long>(h));
  return std::string(id, 10);
}

PodmanOptions podman_options(const std::string& podman_bin, const std::filesystem::path& data_dir,
                             std::vector<std::string> runner_env) {
  return PodmanOptions{podman_bin, std::move(runner_env), data_dir / "task-env", runner_id(data_dir)};
}

PodmanLauncher::PodmanLauncher(PodmanOptions options) : options_(std::move(options)) {}

std::vector<std::string> PodmanLauncher::run_argv(const ProcessSpec& spec, const std::string& name,
                                                  const std::filesystem::path& env_file,
                                                  const std::vector<std::string>& by_name) const {
  const ContainerSpec& c = *spec.container;
  auto rel = spec.cwd.lexically_relative(c.workspace);
  std::string workdir = rel.empty() || rel == "." ? kWorkspace : (std::filesystem::path(kWorkspace) / rel).string();
  std::vector<std::string> argv = {options_.podman_bin, "run", "--rm", "--name", name,
                                   "--label", "cwf.runner=" + options_.runner_id,
                                   "--label", "cwf.job=" + std::to_string(c.job),
                                   "--label", "cwf.task=" + std::to_string(c.task),
                                   "--volume", c.workspace.string() + ":" + kWorkspace, "--workdir", workdir,
                                   "--env-file", env_file.string(), "--stop-timeout", "10",
                                   // podman runs with the runner's environment: an operator's
                                   // containers.conf with env_host = true must not hand it to the task.
                                   "--env-host=false"};
  for (const auto& n : by_name) argv.insert(argv.end(), {"--env", n});
  if (!c.cpu.empty()) argv.insert(argv.end(), {"--cpus", podman_cpus(c.cpu)});
  if (!c.memory.empty()) argv.insert(argv.end(), {"--memory", podman_memory(c.memory)});
  // The image is checked to start with a letter or digit (config::check_image);
  // "--" would be taken as the image by podman, so none is put before it.
  argv.push_back(c.image);
  argv.insert(argv.end(), spec.argv.begin(), spec.argv.end());
  return argv;
}

Result<std::unique_ptr<TaskProcess>> PodmanLauncher::start(const ProcessSpec& spec) {
  if (!spec.container) return local_.start(spec);
  std::vector<std::string> by_name;
  std::vector<std::string> env = container_env(spec.env, by_name);
  std::error_code ec;
  std::filesystem::create_directories(options_.env_dir, ec);
  std::filesystem::permissions(options_.env_dir, std::filesystem::perms::owner_all, ec);
  std::string name = "cwf-" + options_.runner_id + "-" + std::to_string(spec.container->job) + "-" +
                     std::to_string(spec.container->task) + "-" + random_hex(6);
  std::filesystem::path env_file = options_.env_dir / (name + ".env");
  int fd = ::open(env_file.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0600);
  if (fd < 0) return make_error("cannot write the task's env file " + env_file.string() + ": " + std::strerror(errno));
  std::string text;
  for (const auto& kv : env) text += kv + "\n";
  bool written = ::write(fd, text.data(), text.size()) == static_cast<ssize_t>(text.size());
  ::close(fd);
  if (!written) {
    std::filesystem::remove(env_file, ec);
    return make_error("cannot write the task's env file " + env_file.string());
  }
  // podman's own environment: the runner's, plus the values passed by name.
  std::vector<std::string> podman_env = options_.podman_env;
  for (const auto& kv : spec.env)
    for (const auto& n : by_name)
      if (kv.rfind(n + "=", 0) == 0) podman_env.push_back(kv);
  auto client = local_.start(ProcessSpec{run_argv(spec, name, env_file, by_name), podman_env, spec.cwd, std::nullopt});
  if (!client) {
    std::filesystem::remove(env_file, ec);
    return client.error();
  }
  return std::unique_ptr<TaskProcess>(std::make_unique<PodmanProcess>(std::move(*client), name, env_file, local_, options_));
}

Result<std::unique_ptr<TaskProcess>> PodmanLauncher::start_pipeline(const std::vector<ProcessSpec>& stages) {
  for (const auto& s : stages)
    if (s.container) return make_error("a pipeline cannot run in a container");
  return local_.start_pipeline(stages);
}

Result<std::vector<std::int64_t>> PodmanLauncher::remove_leftovers() {
  std::error_code ec;
  for (const auto& entry : std::filesystem::directory_iterator(options_.env_dir, ec))
    if (entry.path().extension() == ".env") std::filesystem::remove(entry.path(), ec);
  auto list = podman_call(local_, options_,
                          {"ps", "--all", "--filter", "label=cwf.runner=" + options_.runner_id, "--format",
                           "{{.Names}} {{index .Labels \"cwf.job\"}}"});
  if (list.outcome.start_error) return make_error("podman: " + *list.outcome.start_error);
  if (!list.outcome.status.success())
    return make_error("podman ps failed: " + list.output.substr(0, 500));
  std::vector<std::int64_t> jobs;
  std::istringstream lines(list.output);
  std::string name, job;
  while (lines >> name >> job) {
    auto rm = podman_call(local_, options_, {"rm", "--force", "--time", "0", "--ignore", name});
    if (!rm.outcome.status.success()) return make_error("podman rm " + name + " failed: " + rm.output.substr(0, 500));
    log::info("removed a container the last run left", {{"container", name}, {"job", job}});
    try {
      jobs.push_back(std::stoll(job));
    } catch (...) {
    }
  }
  return jobs;
}

}  // namespace cwf::executor
