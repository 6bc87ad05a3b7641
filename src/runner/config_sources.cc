// The workflows file's two sources: a file in a branch of a repository (read
// at each new head of that branch) or a file on disk (checked each second),
// both offered to the Reconciler.
#include <sys/stat.h>

#include <cstring>

#include "config/names.hh"
#include "config/source.hh"
#include "git/repository.hh"
#include "runner/runner.hh"
#include "util/log.hh"

namespace cwf::runner {
namespace {

std::string short_sha(const std::string& sha) { return sha.substr(0, 12); }

}  // namespace

void Runner::check_config_branch(const std::string& url, const Heads& now) {
  auto it = now.find(options_.config_branch);
  if (it == now.end()) {
    reject_config("(none)", "no branch '" + options_.config_branch + "' on " + config::redact_url(url));
    return;
  }
  const std::string& sha = it->second;
  if (sha == reconciler_.status().last_attempted_revision) return;
  std::string source = source_of(url);
  auto read = [&]() -> Result<git::FileAtRevision> {
    auto repo = git::Repository::discover(source);
    if (!repo) return repo.error();
    return (*repo)->read_file(sha, options_.config_path, config::kMaxSourceBytes);
  };
  auto file = read();
  if (!file && !watcher::local_path(url)) {  // a first start: the mirror does not have it yet
    auto error = git::fetch_branches(source, url, {options_.config_branch},
                                     watcher::credentials_for(url, options_.forges));
    if (!error) file = read();
  }
  if (!file) {
    log::warn("cannot read the workflows file", {{"revision", sha}, {"error", file.error().message}});
    return;  // the next poll tries again
  }
  if (!file->exists) {
    std::string error = options_.config_path + " does not exist at " + short_sha(sha) + " (" +
                        options_.config_branch + ")";
    reject_config(sha, error);
    report_config(sha, {error});
    return;
  }
  offer_config(sha, options_.config_path, file->content, file->size);
  auto status = reconciler_.status();
  if (status.last_attempted_revision == sha && sha != last_config_report_) {
    last_config_report_ = sha;
    report_config(sha, status.ready ? std::vector<std::string>{} : status.errors);
  }
}

void Runner::check_config_file() {
  const std::string& path = options_.workflows_file;
  struct stat st {};
  if (::stat(path.c_str(), &st) != 0) {
    file_stamp_ = {};
    reject_config("(missing)", path + ": " + std::strerror(errno));
    return;
  }
  FileStamp stamp{static_cast<std::int64_t>(st.st_mtim.tv_sec) * 1000000000 + st.st_mtim.tv_nsec,
                  static_cast<std::int64_t>(st.st_size), static_cast<std::int64_t>(st.st_ino)};
  if (stamp.mtime_ns == file_stamp_.mtime_ns && stamp.size == file_stamp_.size && stamp.inode == file_stamp_.inode)
    return;
  file_stamp_ = stamp;
  auto src = config::read_source(path);
  if (!src) {
    reject_config("(unreadable)", src.error().message);
    return;
  }
  offer_config(git::blob_id(src->text), path, src->text, src->size);
}

void Runner::offer_config(const std::string& revision, const std::string& name, const std::string& content,
                          std::uint64_t size) {
  auto out = reconciler_.offer(revision, name, content, size);
  if (!out.attempted) return;
  if (!out.applied) {
    std::string errors;
    for (const auto& e : out.errors) errors += (errors.empty() ? "" : " | ") + e;
    log::error("rejected the workflows file; the last good one keeps running",
               {{"revision", revision},
                {"last_applied_revision", reconciler_.status().last_applied_revision},
                {"errors", errors}});
    write_state(false);
    return;
  }
  auto status = reconciler_.status();
  log::info("applied the workflows file", {{"revision", revision},
                                           {"workflows", std::to_string(status.workflows)},
                                           {"changes", one_line(out.plan)}});
  try {
    store_.save_applied_config({status.source, revision, content, store::now_ms()});
  } catch (const store::StoreError& e) {
    log::error("cannot save the applied workflows file", {{"error", e.what()}});
  }
  update_remotes();
  mask_notification_secrets();
  write_state(false);
}

void Runner::reject_config(const std::string& revision, const std::string& error) {
  auto out = reconciler_.reject(revision, error);
  if (!out.attempted) return;
  log::error("rejected the workflows file; the last good one keeps running", {{"revision", revision}, {"errors", error}});
  write_state(false);
}

}  // namespace cwf::runner
