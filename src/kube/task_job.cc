#include "kube/task_job.hh"

#include <nlohmann/json.hpp>

#include "util/base64.hh"

namespace cwf::kube {
namespace {

using nlohmann::json;

json labels_of(const TaskJob& t) {
  return {{kRunnerLabel, t.runner},
          {kJobLabel, std::to_string(t.job)},
          {kTaskLabel, std::to_string(t.task)},
          {kNameLabel, t.name},
          {"app.kubernetes.io/managed-by", "convox-workflows"}};
}

std::string str(const json& j, const char* key) {
  if (!j.is_object() || !j.contains(key) || !j[key].is_string()) return "";
  return j[key].get<std::string>();
}

const json& at(const json& j, const char* key) {
  static const json null;
  if (!j.is_object() || !j.contains(key)) return null;
  return j[key];
}

// The state of the container named NAME among STATUSES.
const json& container_state(const json& statuses, const char* name) {
  static const json null;
  if (!statuses.is_array()) return null;
  for (const auto& s : statuses)
    if (str(s, "name") == name) return at(s, "state");
  return null;
}

PodState pod_state(const json& pod) {
  PodState p;
  const json& meta = at(pod, "metadata");
  p.name = str(meta, "name");
  p.task_name = str(at(meta, "labels"), kNameLabel);
  p.deleting = at(meta, "deletionTimestamp").is_string();
  const json& status = at(pod, "status");
  p.phase = str(status, "phase");
  p.pod_reason = str(status, "reason");
  p.pod_message = str(status, "message");
  const json& task = container_state(at(status, "containerStatuses"), kTaskContainer);
  const json& init = container_state(at(status, "initContainerStatuses"), kCheckoutContainer);
  if (const json& term = at(init, "terminated"); term.is_object() && at(term, "exitCode").is_number_integer())
    p.checkout_exit = at(term, "exitCode").get<int>();
  if (const json& term = at(task, "terminated"); term.is_object()) {
    p.started = true;
    if (at(term, "exitCode").is_number_integer()) p.exit_code = at(term, "exitCode").get<int>();
    p.ended_reason = str(term, "reason");
  }
  if (at(task, "running").is_object()) p.started = true;
  for (const json* s : {&init, &task})
    if (const json& w = at(*s, "waiting"); w.is_object() && p.waiting_reason.empty() &&
                                           str(w, "reason") != "PodInitializing") {
      p.waiting_reason = str(w, "reason");
      p.waiting_message = str(w, "message");
    }
  if (const json& conds = at(status, "conditions"); conds.is_array())
    for (const auto& c : conds)
      if (str(c, "type") == "PodScheduled" && str(c, "status") == "False")
        p.unschedulable = str(c, "reason") + ": " + str(c, "message");
  return p;
}

}  // namespace

std::string runner_selector(const std::string& runner) { return std::string(kRunnerLabel) + "=" + runner; }

std::string job_json(const TaskJob& t) {
  json resources = json::object();
  if (!t.cpu.empty()) resources["requests"]["cpu"] = resources["limits"]["cpu"] = t.cpu;
  if (!t.memory.empty()) resources["requests"]["memory"] = resources["limits"]["memory"] = t.memory;
  json mount = json::array({{{"name", "workspace"}, {"mountPath", kWorkspace}}});
  json task = {{"name", kTaskContainer},
               {"image", t.image},
               {"command", t.argv},
               {"workingDir", t.workdir},
               {"volumeMounts", mount},
               {"resources", resources}};
  if (t.env_secret) task["envFrom"] = json::array({{{"secretRef", {{"name", t.name}}}}});
  // The checkout URL's token is good once and for minutes: a pod spec is
  // readable by whoever may read pods, so it is no secret worth a Secret.
  json init = {{"name", kCheckoutContainer},
               {"image", t.init_image},
               {"command", {"sh", "-c", "set -o pipefail; wget -q -O - \"$CWF_CHECKOUT_URL\" | tar -x -C \"$CWF_WORKSPACE\""}},
               {"env", json::array({{{"name", "CWF_CHECKOUT_URL"}, {"value", t.checkout_url}},
                                     {{"name", "CWF_WORKSPACE"}, {"value", kWorkspace}}})},
               {"volumeMounts", mount}};
  json pod_spec = {{"restartPolicy", "Never"},
                   {"terminationGracePeriodSeconds", t.grace_s},
                   {"automountServiceAccountToken", false},  // a task has no business with the cluster's API
                   {"initContainers", json::array({init})},
                   {"containers", json::array({task})},
                   {"volumes", json::array({{{"name", "workspace"}, {"emptyDir", json::object()}}})}};
  if (!t.service_account.empty()) pod_spec["serviceAccountName"] = t.service_account;
  json job = {{"apiVersion", "batch/v1"},
              {"kind", "Job"},
              {"metadata", {{"name", t.name}, {"namespace", t.namespace_}, {"labels", labels_of(t)}}},
              {"spec",
               {{"backoffLimit", 0},
                {"activeDeadlineSeconds", t.active_deadline_s},
                {"ttlSecondsAfterFinished", t.ttl_s},
                {"template", {{"metadata", {{"labels", labels_of(t)}}}, {"spec", pod_spec}}}}}};
  return job.dump();
}

std::string secret_json(const TaskJob& t, const std::vector<std::string>& env) {
  json data = json::object();
  for (const auto& kv : env) {
    std::size_t eq = kv.find('=');
    if (eq == std::string::npos || eq == 0) continue;
    data[kv.substr(0, eq)] = base64_encode(std::string_view(kv).substr(eq + 1));
  }
  json secret = {{"apiVersion", "v1"},
                 {"kind", "Secret"},
                 {"type", "Opaque"},
                 {"metadata", {{"name", t.name}, {"namespace", t.namespace_}, {"labels", labels_of(t)}}},
                 {"data", data}};
  return secret.dump();
}

bool stuck_reason(std::string_view r) {
  return r == "ErrImagePull" || r == "ImagePullBackOff" || r == "InvalidImageName" || r == "ErrImageNeverPull" ||
         r == "CreateContainerConfigError" || r == "CreateContainerError" || r == "RunContainerError";
}

std::optional<PodList> parse_pod_list(std::string_view body) {
  json j = json::parse(body, nullptr, false);
  if (!j.is_object() || !at(j, "items").is_array()) return std::nullopt;
  PodList list;
  list.resource_version = str(at(j, "metadata"), "resourceVersion");
  for (const auto& item : j["items"]) list.pods.push_back(pod_state(item));
  return list;
}

std::optional<WatchEvent> parse_watch_event(std::string_view line) {
  json j = json::parse(line, nullptr, false);
  if (!j.is_object() || !at(j, "type").is_string()) return std::nullopt;
  WatchEvent e;
  e.type = j["type"].get<std::string>();
  const json& obj = at(j, "object");
  e.resource_version = str(at(obj, "metadata"), "resourceVersion");
  if (e.type == "ERROR") {
    if (at(obj, "code").is_number_integer()) e.error_code = obj["code"].get<int>();
    e.error_message = str(obj, "message");
  } else if (e.type != "BOOKMARK") {
    e.pod = pod_state(obj);
  }
  return e;
}

std::vector<std::pair<std::string, std::string>> names_and_jobs(std::string_view body) {
  std::vector<std::pair<std::string, std::string>> out;
  json j = json::parse(body, nullptr, false);
  if (!j.is_object() || !at(j, "items").is_array()) return out;
  for (const auto& item : j["items"]) {
    const json& meta = at(item, "metadata");
    out.emplace_back(str(meta, "name"), str(at(meta, "labels"), kJobLabel));
  }
  return out;
}

}  // namespace cwf::kube
