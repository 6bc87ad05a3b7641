#include <CLI/CLI.hpp>
#include <iostream>
#include <nlohmann/json.hpp>

#include "cli/commands.hh"
#include "cli/output.hh"
#include "config/loader.hh"

namespace cwf::cli {

int run_validate(const Args& args) {
  CLI::App app("Check workflows files. Exit 0: valid; 1: invalid; 2: usage or I/O error.",
               "convox-workflows validate");
  std::vector<std::string> files;
  std::string format = "text";
  app.add_option("files", files, "files to check ('-' reads standard input)")->expected(0, -1);
  std::string racks_file;
  app.add_option("--format", format, "text or json")->check(CLI::IsMember({"text", "json"}));
  app.add_option("--racks-file", racks_file, "check every task's rack against this racks file")
      ->envname("CONVOX_WORKFLOWS_RACKS_FILE");
  if (int rc = parse_args(app, args); rc >= 0) return rc;
  auto racks = read_racks_file(racks_file, std::cerr);
  if (!racks) return kExitUsage;
  if (files.empty()) files.push_back(".convox-workflows.yml");

  int exit_code = kExitOk;
  nlohmann::json report = {{"files", nlohmann::json::array()}};
  for (const auto& path : files) {
    nlohmann::json entry = {{"file", path == "-" ? "<stdin>" : path}};
    auto src = config::read_source(path);
    if (!src) {
      entry["valid"] = false;
      entry["error"] = src.error().message;
      if (format == "text") std::cerr << "convox-workflows validate: " << src.error().message << "\n";
      exit_code = kExitUsage;
      report["files"].push_back(entry);
      continue;
    }
    auto result = config::load(*src, config::LoadOptions{racks->get(), ""});
    bool valid = result.config.has_value();
    if (!valid && exit_code == kExitOk) exit_code = kExitFailure;
    entry["valid"] = valid;
    entry["diagnostics"] = diagnostics_to_json(result.diags);
    entry["workflows"] = nlohmann::json::array();
    if (valid)
      for (const auto& w : result.config->workflows) entry["workflows"].push_back(w.name);
    report["files"].push_back(entry);
    if (format != "text") continue;
    print_diagnostics(std::cerr, src->name, result.diags);
    if (valid) {
      std::size_t n = result.config->workflows.size();
      std::cout << src->name << ": valid (" << n << (n == 1 ? " workflow" : " workflows") << ")\n";
    } else {
      int n = result.diags.error_count();
      std::cerr << src->name << ": invalid (" << n << (n == 1 ? " error" : " errors") << ")\n";
    }
  }
  if (format == "json") {
    report["valid"] = exit_code == kExitOk;
    std::cout << report.dump(2, ' ', false, nlohmann::json::error_handler_t::replace) << "\n";
  }
  return exit_code;
}

}  // namespace cwf::cli
