#include <CLI/CLI.hpp>
#include <fstream>
#include <iostream>
#include <thread>
#include <unistd.h>

#include "cli/api_client.hh"
#include "cli/commands.hh"
#include "cli/terminal_filter.hh"
#include "store/job_store.hh"

namespace cwf::cli {

namespace {

// Prints PATH's bytes from OFFSET up to END (or its end), through FILTER;
// returns where it stopped.
std::uint64_t print_range(const std::filesystem::path& path, std::uint64_t offset, std::optional<std::uint64_t> end,
                          TerminalFilter& filter) {
  std::ifstream in(path, std::ios::binary);
  if (!in) return offset;
  in.seekg(static_cast<std::streamoff>(offset));
  char buf[65536];
  for (;;) {
    std::uint64_t want = sizeof buf;
    if (end) want = std::min<std::uint64_t>(want, *end > offset ? *end - offset : 0);
    if (want == 0) break;
    in.read(buf, static_cast<std::streamsize>(want));
    if (in.gcount() <= 0) break;
    std::cout << filter.feed(std::string_view(buf, static_cast<std::size_t>(in.gcount())));
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
  std::string server, token_file;
  app.add_option("--server", server, "ask a running runner's API instead (http://host:port)");
  app.add_option("--token-file", token_file, "the API token, if the runner wants one");
  if (int rc = parse_args(app, args); rc >= 0) return rc;
  // A log is what code in a pushed commit printed: colour passes to a
  // terminal, no other escape sequence ever does.
  TerminalFilter filter(::isatty(STDOUT_FILENO) == 1);
  if (!server.empty()) {
    if (task >= 0) {
      std::cerr << "convox-workflows logs: --task reads the local store; with --server the whole log comes\n";
      return kExitUsage;
    }
    auto client = ApiClient::connect(server, token_file);
    if (!client) {
      std::cerr << "convox-workflows logs: " << client.error().message << "\n";
      return kExitUsage;
    }
    std::string base = "/api/jobs/" + std::to_string(job_id) + "/log";
    std::uint64_t offset = 0;
    // A follow stream ends when the job does, or at the runner's time limit
    // on streams (or 429 while its streams are all taken): go on from where
    // this one stopped until the job has ended.
    for (int attempt = 0;; ++attempt) {
      auto streamed = (*client)->stream(base + (follow ? "?follow=1&offset=" + std::to_string(offset) : ""),
                                        [&](const char* data, std::size_t n) {
                                          std::cout << filter.feed(std::string_view(data, n));
                                          std::cout.flush();
                                          offset += n;
                                          return true;
                                        });
      if (streamed && streamed->status == 429 && follow && attempt < 100) {
        std::this_thread::sleep_for(std::chrono::seconds(5));
        continue;
      }
      if (!streamed || streamed->status != 200) {
        std::cerr << "convox-workflows logs: " << (streamed ? error_of(*streamed) : streamed.error().message) << "\n";
        return kExitFailure;
      }
      if (!follow) break;
      auto job = (*client)->get("/api/jobs/" + std::to_string(job_id));
      if (!job || job->status != 200 || store::is_final(job_from_json(job->body).state)) break;
    }
    return kExitOk;
  }

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
  // Tasks run one after another, so the job's file holds them in order; one
  // task is the range the store indexed for it.
  std::uint64_t offset = 0;
  bool started = false;
  for (;;) {
    bool final = store::is_final(job->state);
    std::filesystem::path file = store::log_file(*job, dir);
    std::optional<std::uint64_t> end;
    for (const auto& t : job->tasks) {
      if (t.index != task || t.log_path.empty()) continue;
      if (!started) offset = static_cast<std::uint64_t>(t.log_offset);
      started = true;
      bool done = t.state != store::TaskState::running && t.state != store::TaskState::pending;
      if (done) end = static_cast<std::uint64_t>(t.log_offset + t.log_bytes);
      final = final || done;
    }
    if (task < 0 || started) {
      if (!file.empty()) offset = print_range(file, offset, end, filter);
      if (!file.empty() && task < 0 && store::is_final(job->state)) std::cout << store::log_cut_note(*job, offset);
    }
    // The job (or task) had ended before this pass read the file: nothing more will come.
    if (!follow || final) break;
    std::this_thread::sleep_for(std::chrono::milliseconds(200));
    job = (*opened)->get_job(job_id);
    if (!job) break;
  }
  return kExitOk;
}

}  // namespace cwf::cli
