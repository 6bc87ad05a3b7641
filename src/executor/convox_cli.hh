#pragma once

// The convox CLI's command lines for each task type, and reading what
// `convox build --id` reports. Values from the file and the push go in as
// separate arguments, never through a shell.

#include <string>
#include <string_view>
#include <vector>

#include "config/model.hh"

namespace cwf::executor {

std::vector<std::string> build_argv(const std::string& convox, const config::Task& t, const std::string& workspace,
                                    const std::string& description);
std::vector<std::string> promote_argv(const std::string& convox, const config::Task& t, const std::string& release);
std::vector<std::string> run_argv(const std::string& convox, const config::Task& t, const std::string& release);
// A copy: `builds export` (the tarball on stdout) piped into `builds import --id`.
std::vector<std::string> export_argv(const std::string& convox, const config::Task& t, const std::string& build);
std::vector<std::string> import_argv(const std::string& convox, const config::Task& t);
// A review app (T.app): `apps info|create|delete APP`, `env set K=V... --app
// APP` (T.env), `services --app APP`.
std::vector<std::string> apps_argv(const std::string& convox, const config::Task& t, const char* verb);
std::vector<std::string> env_set_argv(const std::string& convox, const config::Task& t);
std::vector<std::string> services_argv(const std::string& convox, const config::Task& t);

// Finds the "Build:   BXXXX" and "Release: RXXXX" lines that end
// `convox build --id` output, `builds import`'s "Importing build... OK,
// RXXXX", and the CLI's "ERROR: ..." lines, in output fed in any chunking.
class BuildOutputScanner {
 public:
  void feed(std::string_view chunk);
  void finish();  // the last line may lack its newline
  const std::string& build_id() const { return build_id_; }
  const std::string& release_id() const { return release_id_; }
  // The CLI's last "ERROR: ..." line, the reason a command failed.
  const std::string& error_line() const { return error_line_; }
  // The first: of a pipeline's commands, the one that failed first.
  const std::string& first_error_line() const { return first_error_line_; }
  // `convox services`: the first service's DOMAIN in its SERVICE DOMAIN
  // PORTS table (a service without one has none).
  const std::string& service_domain() const { return service_domain_; }

 private:
  void line(std::string_view l);
  std::string partial_;
  std::string build_id_, release_id_, error_line_, first_error_line_, service_domain_;
  bool importing_ = false, services_table_ = false;
};

}  // namespace cwf::executor
