#pragma once

// Review apps on the forges, off the jobs' threads: deployed, a GitHub
// deployment (environment review/pr-N, transient, status success with the
// app's URL and the job's page: the PR shows "View deployment") or a GitLab
// environment with its external URL; deleted, the deployment made inactive
// or the environment stopped.

#include <condition_variable>
#include <deque>
#include <map>
#include <mutex>
#include <string>
#include <thread>

#include "forge/forge.hh"
#include "store/job_store.hh"

namespace cwf::runner {

// "review/pr-7"
std::string review_environment(int pull_request);

class DeploymentReporter {
 public:
  // FORGES: by integration name, those with a token.
  DeploymentReporter(std::map<std::string, forge::ForgeApi*> forges, store::JobStore& store, std::string public_url);
  ~DeploymentReporter();  // stop()

  // FORGE's REPOSITORY: APP was deployed by JOB, or deleted.
  void deployed(const std::string& forge, const std::string& repository, const store::ReviewApp& app,
                std::int64_t job);
  void deleted(const std::string& forge, const std::string& repository, const store::ReviewApp& app);
  void stop();

 private:
  struct Item {
    bool deploy = true;
    std::string forge, repository;
    store::ReviewApp app;
    std::int64_t job = 0;
  };
  void work();
  void send(const Item& item);

  std::map<std::string, forge::ForgeApi*> forges_;
  store::JobStore& store_;
  std::string public_url_;
  std::mutex mu_;
  std::condition_variable wake_;
  std::deque<Item> queue_;
  bool stopping_ = false;
  std::thread worker_;
};

}  // namespace cwf::runner
