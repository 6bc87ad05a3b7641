// `convox-workflows healthcheck`: asks a runner's /healthz, for a container's
// HEALTHCHECK (no curl in the image).
#include <CLI/CLI.hpp>
#include <httplib.h>

#include <iostream>

#include "cli/commands.hh"
#include "config/duration.hh"
#include "server/http_server.hh"

namespace cwf::cli {

int run_healthcheck(const Args& args) {
  CLI::App app("Exit 0 when the runner on this machine answers /healthz with 200, else 1. Its address comes from "
               "--listen, else CONVOX_WORKFLOWS_HEALTH_LISTEN, else CONVOX_WORKFLOWS_LISTEN (as `run` reads "
               "them), else 127.0.0.1:8080.",
               "convox-workflows healthcheck");
  // The health listener first: it answers even when the main one is busy.
  const char* env = std::getenv("CONVOX_WORKFLOWS_HEALTH_LISTEN");
  if (!env || !*env) env = std::getenv("CONVOX_WORKFLOWS_LISTEN");
  std::string listen = env && *env ? env : "127.0.0.1:8080", timeout = "3s";
  app.add_option("--listen", listen, "the runner's HOST:PORT");
  app.add_option("--timeout", timeout, "how long to wait for the answer (default 3s)");
  if (int rc = parse_args(app, args); rc >= 0) return rc;
  std::string host;
  int port = 0;
  auto wait = config::parse_duration(timeout);
  if (!server::parse_listen(listen, host, port) || port == 0 || !wait) {
    std::cerr << "convox-workflows healthcheck: bad --listen '" << listen << "' or --timeout '" << timeout << "'\n";
    return kExitUsage;
  }
  if (host == "0.0.0.0" || host.empty()) host = "127.0.0.1";
  if (host == "::") host = "::1";  // listening everywhere: ask over loopback
  httplib::Client client(host, port);
  client.set_connection_timeout(*wait);
  client.set_read_timeout(*wait);
  auto res = client.Get("/healthz");
  if (res && res->status == 200) return kExitOk;
  std::cerr << "convox-workflows healthcheck: " << host << ":" << port << "/healthz: "
            << (res ? "HTTP " + std::to_string(res->status) : "no answer (" + httplib::to_string(res.error()) + ")") << "\n";
  return kExitFailure;
}

}  // namespace cwf::cli
