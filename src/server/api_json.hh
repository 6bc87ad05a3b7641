#pragma once

// The API's JSON shapes (docs/http-api.md), in one place.

#include <nlohmann/json.hpp>

#include "runner/reconciler.hh"
#include "store/job_store.hh"

namespace cwf::server {

nlohmann::ordered_json job_json(const store::JobRecord& job, bool with_tasks);
nlohmann::ordered_json review_app_json(const store::ReviewApp& app);
// A notification, its target described without secrets (notify::describe).
nlohmann::ordered_json notification_json(const store::Notification& n);
nlohmann::ordered_json config_json(const runner::ConfigStatus& status);
nlohmann::ordered_json workflow_json(const config::Workflow& w, const store::JobRecord* last_job, bool watching);

}  // namespace cwf::server
