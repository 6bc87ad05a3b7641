#include <CLI/CLI.hpp>
#include <fstream>
#include <iostream>
#include <thread>

#include "cli/commands.hh"
#include "store/job_store.hh"

namespace cwf::cli {

std::filesystem::path data_dir_or_default(const std::string& flag);

namespace {

// Prints what was appended to PATH since OFFSET; returns the new offset.
std::uint64_t print_from(const std::filesystem::path& path, std::uint64_t offset) {
  std::ifstream in(path, std::ios::binary);
  if (!in) return offset;
  in.seekg(static_cast<std::streamoff>(offset));
  char buf[65536];
  while (in.read(buf, sizeof buf) || in.gcount() > 0) {
    std::cout.write(buf, in.gcount());
    offset += static_cast<std::uint64_t>(in.gcount());
  }
  std::cout.flush();
  return offset;
}

}  // namespace

int run_logs(const Args& args) {
  CLI::App app("Print a job's log (every task's, or one's), optionally following it while the job runs.",
               "convox-workflows logs");
  std::int64_t job_id = 0;
  int task = -1;
  bool follow = false;
  std::string data_dir;
  app.add_option("job", job_id, "the job's id")->required();
  app.add_option("--task", task, "only this task (0-based, as in the file)");
  app.add_flag("-f,--follow", follow, "keep printing until the job ends");
  app.add_option("--data-dir", data_dir, "where jobs are kept (default $XDG_STATE_HOME/convox-workflows)");
  if (int rc = parse_args(app, args); rc >= 0) return rc;

  auto dir = data_dir_or_default(data_dir);
  auto opened = store::JobStore::open(dir, true);
  if (!opened) {
    std::cerr << "convox-workflows logs: " << opened.error().message << "\n";
    return kExitFailure;
  }
  auto job = (*opened)->get_job(job_id);
  if (!job) {
    std::cerr << "convox-workflows logs: no job " << job_id << "\n";
    return kExitFailure;
  }
  if (task >= static_cast<int>(job->tasks.size())) {
    std::cerr << "convox-workflows logs: job " << job_id << " has " << job->tasks.size() << " tasks\n";
    return kExitUsage;
  }
  std::vector<std::uint64_t> offsets(job->tasks.size(), 0);
  for (;;) {
    bool done = store::is_final(job->state);
    for (const auto& t : job->tasks) {
      if ((task >= 0 && t.index != task) || t.log_path.empty()) continue;
      offsets[static_cast<std::size_t>(t.index)] = print_from(dir / t.log_path, offsets[static_cast<std::size_t>(t.index)]);
    }
    // The job was final before this pass read the files: nothing more will come.
    if (!follow || done) break;
    std::this_thread::sleep_for(std::chrono::milliseconds(200));
    job = (*opened)->get_job(job_id);
    if (!job) break;
  }
  return kExitOk;
}

}  // namespace cwf::cli
