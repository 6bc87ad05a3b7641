#include "executor/health_check.hh"

#include <httplib.h>

#include "config/names.hh"

namespace cwf::executor {

HealthResult wait_healthy(const config::HealthCheck& check, std::chrono::milliseconds timeout,
                          const CancelToken& cancel, const std::function<void(const std::string&)>& note) {
  using Clock = std::chrono::steady_clock;
  std::size_t host_start = check.url.find("://") + 3;
  std::size_t path_start = check.url.find('/', host_start);
  std::string origin = check.url.substr(0, path_start);
  std::string path = path_start == std::string::npos ? "/" : check.url.substr(path_start);
  std::string shown = config::redact_url(check.url);

  httplib::Client client(origin);
  auto per_request = std::min<std::chrono::milliseconds>(timeout, std::chrono::seconds(10));
  client.set_connection_timeout(per_request);
  client.set_read_timeout(per_request);
  client.set_follow_location(false);
  client.enable_server_certificate_verification(true);

  note("health check: polling " + shown + " every " + config::format_duration(check.interval) + " for up to " +
       config::format_duration(std::chrono::duration_cast<config::Seconds>(timeout)) + ", expecting " +
       std::to_string(check.expect_min) + "-" + std::to_string(check.expect_max));
  auto deadline = Clock::now() + timeout;
  HealthResult result;
  std::string last;
  for (;;) {
    auto res = client.Get(path);
    std::string answer = res ? "HTTP " + std::to_string(res->status) : "no answer (" + httplib::to_string(res.error()) + ")";
    if (res && res->status >= check.expect_min && res->status <= check.expect_max) {
      note("health check: " + answer + ": healthy");
      result.healthy = true;
      result.detail = answer;
      return result;
    }
    if (answer != last) note("health check: " + answer);
    last = answer;
    result.detail = answer;
    auto left = deadline - Clock::now();
    if (left <= std::chrono::milliseconds(0)) break;
    auto pause = std::min<std::chrono::milliseconds>(check.interval,
                                                     std::chrono::duration_cast<std::chrono::milliseconds>(left));
    if (!cancel.sleep_ms(static_cast<int>(pause.count()))) {
      result.detail = "cancelled";
      return result;
    }
    if (Clock::now() >= deadline) break;
  }
  result.detail = "not healthy after " + config::format_duration(std::chrono::duration_cast<config::Seconds>(timeout)) +
                  ": last " + result.detail;
  return result;
}

}  // namespace cwf::executor
