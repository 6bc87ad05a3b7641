// GET /metrics: Prometheus' text format.
#include "config/names.hh"
#include "server/http_internal.hh"

namespace cwf::server {
namespace {

std::string label(std::string_view v) {  // Prometheus label value escaping
  std::string out;
  for (char c : v) {
    if (c == '\\' || c == '"') out += '\\';
    if (c == '\n') {
      out += "\\n";
      continue;
    }
    out += c;
  }
  return out;
}


void histogram(std::string& out, const char* name, const char* help, const char* key_label,
               const std::vector<store::DurationStats>& stats) {
  out += std::string("# HELP ") + name + " " + help + "\n# TYPE " + name + " histogram\n";
  for (const auto& s : stats) {
    std::string labels = std::string(key_label) + "=\"" + label(s.key) + "\",state=\"" + label(s.state) + "\"";
    for (std::size_t i = 0; i < s.at_most.size(); ++i) {
      char le[32];
      std::snprintf(le, sizeof le, "%g", static_cast<double>(store::kDurationBucketsMs[i]) / 1000.0);
      out += std::string(name) + "_bucket{" + labels + ",le=\"" + le + "\"} " + std::to_string(s.at_most[i]) + "\n";
    }
    out += std::string(name) + "_bucket{" + labels + ",le=\"+Inf\"} " + std::to_string(s.count) + "\n";
    char sum[32];
    std::snprintf(sum, sizeof sum, "%.3f", static_cast<double>(s.sum_ms) / 1000.0);
    out += std::string(name) + "_sum{" + labels + "} " + sum + "\n";
    out += std::string(name) + "_count{" + labels + "} " + std::to_string(s.count) + "\n";
  }
}

}  // namespace

void HttpServer::http_metrics(std::string& out) const {
  auto e = edge_->stats();
  out += "# HELP convox_workflows_http_connections Open HTTP connections, and those a worker is serving.\n"
         "# TYPE convox_workflows_http_connections gauge\n"
         "convox_workflows_http_connections{state=\"open\"} " + std::to_string(e.open) + "\n"
         "convox_workflows_http_connections{state=\"serving\"} " + std::to_string(e.in_workers) + "\n"
         "convox_workflows_http_connections{state=\"following\"} " + std::to_string(e.follow_streams) + "\n";
  out += "# HELP convox_workflows_http_refused_total Connections and requests the edge refused, by reason.\n"
         "# TYPE convox_workflows_http_refused_total counter\n";
  for (auto [reason, n] : {std::pair{"connections", e.refused_busy}, {"head_timeout", e.timed_out},
                           {"bad_head", e.refused_head}, {"follow_limit", e.refused_follow}})
    out += std::string("convox_workflows_http_refused_total{reason=\"") + reason + "\"} " + std::to_string(n) + "\n";
}

void HttpServer::forge_metrics(std::string& out) const {
  auto forges = runner_.forge_stats();
  out += "# HELP convox_workflows_forge_up 1 when the forge's API answered its last request without a server error.\n"
         "# TYPE convox_workflows_forge_up gauge\n";
  for (const auto& f : forges)
    out += "convox_workflows_forge_up{forge=\"" + f.forge + "\"} " + (f.up ? "1" : "0") + "\n";
  out += "# HELP convox_workflows_forge_requests_total Requests to the forge's API, by forge and reply class.\n"
         "# TYPE convox_workflows_forge_requests_total counter\n";
  for (const auto& f : forges)
    for (const auto& [cls, n] : f.replies)
      out += "convox_workflows_forge_requests_total{forge=\"" + f.forge + "\",reply=\"" + cls + "\"} " +
             std::to_string(n) + "\n";
  out += "# HELP convox_workflows_status_posts_total Commit statuses posted, re-posted after a failure, or given up.\n"
         "# TYPE convox_workflows_status_posts_total counter\n";
  for (const auto& f : forges)
    for (auto [outcome, n] : {std::pair{"posted", f.posted}, {"retried", f.retried}, {"dropped", f.dropped}})
      out += "convox_workflows_status_posts_total{forge=\"" + f.forge + "\",outcome=\"" + outcome + "\"} " +
             std::to_string(n) + "\n";
}

void HttpServer::notify_metrics(std::string& out) const {
  out += "# HELP convox_workflows_notifications Notifications in the store, by state (pending: queued or retrying; "
         "failed: given up).\n# TYPE convox_workflows_notifications gauge\n";
  for (const auto& [state, n] : store_.notification_counts())
    out += "convox_workflows_notifications{state=\"" + label(state) + "\"} " + std::to_string(n) + "\n";
  out += "# HELP convox_workflows_notification_attempts_total Notification deliveries tried since the start, by kind "
         "and outcome.\n# TYPE convox_workflows_notification_attempts_total counter\n";
  for (const auto& s : runner_.notify_stats())
    for (auto [outcome, n] : {std::pair{"delivered", s.delivered}, {"retried", s.retried}, {"failed", s.failed}})
      out += "convox_workflows_notification_attempts_total{kind=\"" + s.kind + "\",outcome=\"" + outcome + "\"} " +
             std::to_string(n) + "\n";
}

std::string HttpServer::metrics() const {
  std::string out;
  auto c = runner_.config_status();
  out += "# HELP convox_workflows_config_ready 1 when the last revision of the workflows file was applied.\n"
         "# TYPE convox_workflows_config_ready gauge\nconvox_workflows_config_ready " +
         std::string(c.ready ? "1" : "0") + "\n";
  out += "# HELP convox_workflows_jobs_queued Jobs waiting to start.\n# TYPE convox_workflows_jobs_queued gauge\n"
         "convox_workflows_jobs_queued " + std::to_string(runner_.jobs_queued()) + "\n";
  out += "# HELP convox_workflows_jobs_waiting Jobs the commit-status gate holds.\n"
         "# TYPE convox_workflows_jobs_waiting gauge\nconvox_workflows_jobs_waiting " +
         std::to_string(runner_.jobs_waiting()) + "\n";
  forge_metrics(out);
  notify_metrics(out);
  http_metrics(out);
  out += "# HELP convox_workflows_jobs_running Jobs running.\n# TYPE convox_workflows_jobs_running gauge\n"
         "convox_workflows_jobs_running " + std::to_string(runner_.jobs_running()) + "\n";
  auto jobs = store_.job_durations();
  out += "# HELP convox_workflows_jobs_total Jobs that ended, by workflow and final state.\n"
         "# TYPE convox_workflows_jobs_total counter\n";
  for (const auto& s : jobs)
    out += "convox_workflows_jobs_total{workflow=\"" + label(s.key) + "\",state=\"" + label(s.state) + "\"} " +
           std::to_string(s.count) + "\n";
  histogram(out, "convox_workflows_job_duration_seconds", "How long jobs ran, by workflow and final state.",
            "workflow", jobs);
  histogram(out, "convox_workflows_task_duration_seconds", "How long tasks ran, by type and final state.", "type",
            store_.task_durations());
  auto remotes = runner_.remotes();
  out += "# HELP convox_workflows_polls_total Listings of each remote.\n# TYPE convox_workflows_polls_total counter\n";
  for (const auto& r : remotes)
    out += "convox_workflows_polls_total{remote=\"" + label(config::redact_url(r.url)) + "\"} " +
           std::to_string(r.polls) + "\n";
  out += "# HELP convox_workflows_poll_errors_total Failed listings of each remote.\n"
         "# TYPE convox_workflows_poll_errors_total counter\n";
  for (const auto& r : remotes)
    out += "convox_workflows_poll_errors_total{remote=\"" + label(config::redact_url(r.url)) + "\"} " +
           std::to_string(r.errors) + "\n";
  out += "# HELP convox_workflows_webhook_deliveries_total Webhook deliveries, by forge and outcome.\n"
         "# TYPE convox_workflows_webhook_deliveries_total counter\n";
  std::lock_guard lock(mu_);
  for (const auto& [key, n] : deliveries_)
    out += "convox_workflows_webhook_deliveries_total{forge=\"" + key.first + "\",outcome=\"" + key.second + "\"} " +
           std::to_string(n) + "\n";
  return out;
}

}  // namespace cwf::server
