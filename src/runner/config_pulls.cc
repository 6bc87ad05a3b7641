// The config repository's pull requests: each one that changes the workflows
// file gets one comment with the plan of its head's file against its base
// branch's (or the head's errors), edited in place when either side moves.
#include "config/source.hh"
#include "git/remote.hh"
#include "git/repository.hh"
#include "runner/plan_comment.hh"
#include "runner/runner.hh"
#include "util/log.hh"

namespace cwf::runner {

void Runner::plan_pull_requests(const std::string& url, const std::string& forge, const std::string& repository,
                                const std::vector<forge::PullRequest>& open, const std::map<int, std::string>& refs,
                                const Heads& branches) {
  forge::ForgeApi& api = forge == "gitlab" ? *gitlab_ : *github_;
  bool gitlab = forge == "gitlab";
  const std::string& path = options_.config_path;
  for (const auto& pr : open) {
    auto head = refs.find(pr.number);
    auto base = branches.find(pr.base_branch);
    if (head == refs.end() || base == branches.end()) continue;
    auto known = store_.pull_request_comment(url, pr.number);
    if (known && known->head_sha == head->second && known->base_sha == base->second) continue;
    if (!watcher::local_path(url)) {
      auto creds = watcher::credentials_for(url, options_.forges);
      std::vector<std::string> wanted = {git::pull_request_ref(pr.number, gitlab), "refs/heads/" + pr.base_branch};
      if (auto error = git::fetch_refs(watcher::mirror_path(options_.data_dir, url), url, wanted, creds)) {
        log::warn("cannot fetch a pull request of the config repository", {{"pull_request", std::to_string(pr.number)},
                                                                          {"error", error->message}});
        continue;
      }
    }
    auto repo = git::Repository::discover(source_of(url));
    if (!repo) continue;
    auto head_file = (*repo)->read_file(head->second, path, config::kMaxSourceBytes);
    auto base_file = (*repo)->read_file(base->second, path, config::kMaxSourceBytes);
    if (!head_file || !base_file) continue;
    bool changed = head_file->exists != base_file->exists || head_file->content != base_file->content;
    if (!changed && !known) continue;  // nothing to plan, nothing said before
    std::string body;
    std::optional<config::LoadResult> head_loaded, base_loaded;
    config::LoadOptions load_options{options_.executor.racks.get(), options_.executor.task_backend};
    if (changed) {
      if (head_file->exists)
        head_loaded = config::load(config::Source{path, head_file->content, head_file->size}, load_options);
      if (base_file->exists)
        base_loaded = config::load(config::Source{path, base_file->content, base_file->size}, load_options);
      body = plan_comment({path, head->second, pr.base_branch, base->second, head_loaded ? &*head_loaded : nullptr,
                           base_loaded ? &*base_loaded : nullptr});
    } else {
      body = unchanged_comment(path, head->second);
    }
    auto made = api.comment(repository, pr.number, known ? known->comment_id : "", body);
    if (made.id.empty()) {
      log::warn("cannot comment the plan on the pull request", {{"pull_request", std::to_string(pr.number)},
                                                                {"forge", forge}, {"error", made.error}});
      continue;
    }
    store_.record_pull_request_comment(url, pr.number, {made.id, head->second, base->second}, store::now_ms());
    log::info(known ? "updated the plan on the pull request" : "commented the plan on the pull request",
              {{"pull_request", std::to_string(pr.number)}, {"commit", head->second.substr(0, 12)},
               {"valid", head_loaded && !head_loaded->config ? "no" : "yes"}});
  }
}

}  // namespace cwf::runner
