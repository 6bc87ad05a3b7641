// A job's end when the database can't take it: kept, shown, retried, saved.

#include <algorithm>
#include <fstream>
#include <mutex>
#include <nlohmann/json.hpp>
#include <sstream>

#include "store/store_internal.hh"
#include "util/atomic_file.hh"
#include "util/log.hh"

namespace cwf::store {
namespace {

constexpr const char* kSavedEnds = "unrecorded-ends.json";
constexpr std::int64_t kFirstRetryMs = 1000, kMaxRetryMs = 60000;

nlohmann::json optional_json(const std::optional<std::int64_t>& v) { return v ? nlohmann::json(*v) : nlohmann::json(); }
std::optional<std::int64_t> optional_from(const nlohmann::json& j) {
  return j.is_number_integer() ? std::optional<std::int64_t>(j.get<std::int64_t>()) : std::nullopt;
}

nlohmann::json to_json(const JobEnd& end) {
  nlohmann::json tasks = nlohmann::json::array();
  for (const auto& t : end.tasks) {
    tasks.push_back({{"index", t.index}, {"state", to_string(t.state)}, {"reason", t.reason},
                     {"exit_code", t.exit_code ? nlohmann::json(*t.exit_code) : nlohmann::json()},
                     {"signal", t.signal ? nlohmann::json(*t.signal) : nlohmann::json()},
                     {"started_at", optional_json(t.started_at)}, {"finished_at", optional_json(t.finished_at)},
                     {"build_id", t.build_id}, {"release_id", t.release_id}, {"log_path", t.log_path},
                     {"log_offset", t.log_offset}, {"log_bytes", t.log_bytes}});
  }
  return {{"id", end.id}, {"state", to_string(end.state)}, {"reason", end.reason},
          {"started_at", optional_json(end.started_at)}, {"finished_at", optional_json(end.finished_at)},
          {"tasks", tasks}};
}

JobEnd from_json(const nlohmann::json& j) {
  JobEnd end;
  end.id = j.at("id").get<std::int64_t>();
  end.state = parse_job_state(j.at("state").get<std::string>()).value_or(JobState::failed);
  end.reason = j.at("reason").get<std::string>();
  end.started_at = optional_from(j.at("started_at"));
  end.finished_at = optional_from(j.at("finished_at"));
  for (const auto& t : j.at("tasks")) {
    TaskRecord r;
    r.index = t.at("index").get<int>();
    r.state = parse_task_state(t.at("state").get<std::string>()).value_or(TaskState::failed);
    r.reason = t.at("reason").get<std::string>();
    if (t.at("exit_code").is_number_integer()) r.exit_code = t.at("exit_code").get<int>();
    if (t.at("signal").is_number_integer()) r.signal = t.at("signal").get<int>();
    r.started_at = optional_from(t.at("started_at"));
    r.finished_at = optional_from(t.at("finished_at"));
    r.build_id = t.at("build_id").get<std::string>();
    r.release_id = t.at("release_id").get<std::string>();
    r.log_path = t.at("log_path").get<std::string>();
    r.log_offset = t.at("log_offset").get<std::int64_t>();
    r.log_bytes = t.at("log_bytes").get<std::int64_t>();
    end.tasks.push_back(std::move(r));
  }
  return end;
}

}  // namespace

void JobStore::Impl::write_end(const JobEnd& end) {
  SQLite::Transaction tx(db);
  SQLite::Statement job(db, "UPDATE jobs SET state = ?2, reason = ?3, started_at = ?4, finished_at = ?5 WHERE id = ?1");
  job.bind(1, static_cast<int64_t>(end.id));
  job.bind(2, to_string(end.state));
  job.bind(3, end.reason);
  bind_optional(job, 4, end.started_at);
  bind_optional(job, 5, end.finished_at);
  job.exec();
  SQLite::Statement task(db,
                         "UPDATE tasks SET state = ?3, reason = ?4, exit_code = ?5, signal = ?6, started_at = ?7, "
                         "finished_at = ?8, build_id = ?9, release_id = ?10, log_path = ?11, log_offset = ?12, "
                         "log_bytes = ?13 WHERE job_id = ?1 AND idx = ?2");
  for (const auto& t : end.tasks) {
    task.reset();
    task.bind(1, static_cast<int64_t>(end.id));
    task.bind(2, t.index);
    task.bind(3, to_string(t.state));
    task.bind(4, t.reason);
    bind_optional(task, 5, t.exit_code);
    bind_optional(task, 6, t.signal);
    bind_optional(task, 7, t.started_at);
    bind_optional(task, 8, t.finished_at);
    if (t.build_id.empty()) task.bind(9); else task.bind(9, t.build_id);
    if (t.release_id.empty()) task.bind(10); else task.bind(10, t.release_id);
    if (t.log_path.empty()) task.bind(11); else task.bind(11, t.log_path);
    task.bind(12, static_cast<int64_t>(t.log_offset));
    task.bind(13, static_cast<int64_t>(t.log_bytes));
    task.exec();
  }
  queue_notifications(end.id);
  tx.commit();
}

void JobStore::Impl::overlay_unrecorded(JobRecord& job) const {
  auto it = unrecorded.find(job.id);
  if (it == unrecorded.end()) return;
  const JobEnd& end = it->second.end;
  job.state = end.state;
  job.reason = end.reason;
  job.started_at = end.started_at;
  job.finished_at = end.finished_at;
  for (const auto& t : end.tasks) {
    auto task = std::find_if(job.tasks.begin(), job.tasks.end(), [&](const TaskRecord& r) { return r.index == t.index; });
    if (task == job.tasks.end()) continue;
    std::string name = task->name, type = task->type;  // the database's: the end doesn't carry them
    *task = t;
    task->name = std::move(name);
    task->type = std::move(type);
  }
}

void JobStore::Impl::record_saved_ends() {
  auto path = dir / kSavedEnds;
  std::ifstream in(path);
  if (!in) return;
  std::stringstream text;
  text << in.rdbuf();
  try {
    auto saved = nlohmann::json::parse(text.str());
    for (const auto& j : saved.at("ends")) {
      JobEnd end = from_json(j);
      write_end(end);
      log::info("recorded the end of a job the last runner could not record",
                {{"job", std::to_string(end.id)}, {"state", to_string(end.state)}, {"reason", end.reason}});
    }
  } catch (const nlohmann::json::exception& e) {
    log::error("cannot read the unrecorded job ends; they are lost",
               {{"file", path.string()}, {"error", e.what()}});
  }
  std::error_code ec;
  std::filesystem::remove(path, ec);
}

bool JobStore::finish_job(const JobEnd& end) {
  Lock lock(impl_->mu);
  try {
    impl_->write_end(end);
    impl_->unrecorded.erase(end.id);
    return true;
  } catch (const SQLite::Exception& e) {
    auto& u = impl_->unrecorded[end.id];
    u.end = end;
    u.error = e.what();
    u.next_at = now_ms() + kFirstRetryMs;
    log::error("cannot record the end of a job; keeping it and retrying",
               {{"job", std::to_string(end.id)}, {"state", to_string(end.state)}, {"error", u.error}});
    return false;
  }
}

std::size_t JobStore::retry_unrecorded(std::int64_t now) {
  Lock lock(impl_->mu);
  for (auto it = impl_->unrecorded.begin(); it != impl_->unrecorded.end();) {
    auto& u = it->second;
    if (u.next_at > now) {
      ++it;
      continue;
    }
    try {
      impl_->write_end(u.end);
      log::info("recorded the end of a job at last",
                {{"job", std::to_string(u.end.id)}, {"attempts", std::to_string(u.attempts + 2)}});
      it = impl_->unrecorded.erase(it);
    } catch (const SQLite::Exception& e) {
      ++u.attempts;
      u.error = e.what();
      u.next_at = now + std::min(kMaxRetryMs, kFirstRetryMs << std::min(u.attempts, 6));
      ++it;
    }
  }
  return impl_->unrecorded.size();
}

namespace {
std::mutex last_error_mu;
JobStore::LastError last_error_seen;
}  // namespace

void note_store_error(const std::string& message) {
  std::lock_guard lock(last_error_mu);
  last_error_seen = {message, now_ms()};
}

JobStore::LastError JobStore::last_error() {
  std::lock_guard lock(last_error_mu);
  return last_error_seen;
}

std::size_t JobStore::unrecorded() const {
  Lock lock(impl_->mu);
  return impl_->unrecorded.size();
}

Result<bool> JobStore::save_unrecorded() {
  Lock lock(impl_->mu);
  if (impl_->unrecorded.empty()) return true;
  nlohmann::json ends = nlohmann::json::array();
  for (const auto& [id, u] : impl_->unrecorded) ends.push_back(to_json(u.end));
  auto written = write_file_atomically(impl_->dir / kSavedEnds, nlohmann::json{{"ends", ends}}.dump());
  if (!written) return make_error(written.error().message);
  return true;
}

}  // namespace cwf::store
