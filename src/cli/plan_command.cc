#include <CLI/CLI.hpp>
#include <iostream>
#include <nlohmann/json.hpp>

#include "cli/commands.hh"
#include "cli/output.hh"
#include "config/loader.hh"
#include "config/plan.hh"
#include "git/repository.hh"

namespace cwf::cli {
namespace {

struct Side {
  std::string label;
  std::string note;  // e.g. that the file does not exist at that revision
  config::LoadResult loaded;
};

Result<Side> side_from_file(const std::string& path) {
  auto src = config::read_source(path);
  if (!src) return src.error();
  return Side{src->name, "", config::load(*src)};
}

Result<Side> side_from_git(const git::Repository& repo, const std::string& rev, const std::string& path) {
  auto file = repo.read_file(rev, path, config::kMaxSourceBytes);
  if (!file) return file.error();
  Side side;
  side.label = rev + ":" + path;
  if (!file->exists) {
    // A revision without the file has no workflows: everything in the other is new.
    side.note = path + " does not exist at " + rev + " (" + file->commit.substr(0, 12) + ")";
    side.loaded.config = config::Config{};
    return side;
  }
  config::Source src{side.label, std::move(file->content), file->size};
  side.loaded = config::load(src);
  return side;
}

}  // namespace

int run_plan(const Args& args) {
  CLI::App app(
      "Show the workflows that applying NEW over OLD adds, removes and changes, field by field.\n"
      "  convox-workflows plan OLD_FILE NEW_FILE\n"
      "  convox-workflows plan --git REV_A REV_B [--file PATH]\n"
      "Exit 0; 1 when a side is invalid; 2 on usage errors; with --detailed-exitcode, 2 when "
      "there are changes.",
      "convox-workflows plan");
  std::vector<std::string> operands;
  bool use_git = false, detailed = false;
  std::string file = ".convox-workflows.yml", format = "text", repo_dir = ".";
  app.add_option("operands", operands, "OLD NEW: two files, or two revisions with --git")->expected(2);
  app.add_flag("--git", use_git, "compare the file at two revisions of the current repository");
  app.add_option("--file", file, "the workflows file inside the repository (with --git)");
  app.add_option("-C,--repo", repo_dir, "the repository (with --git; default: the current directory)");
  app.add_flag("--detailed-exitcode", detailed, "exit 2 when there are changes");
  app.add_option("--format", format, "text or json")->check(CLI::IsMember({"text", "json"}));
  if (int rc = parse_args(app, args); rc >= 0) return rc;
  if (operands.size() != 2) {
    std::cerr << "convox-workflows plan: expected two operands: OLD NEW\n";
    return kExitUsage;
  }

  Result<Side> before = make_error(""), after = make_error("");
  if (use_git) {
    auto repo = git::Repository::discover(repo_dir);
    if (!repo) {
      std::cerr << "convox-workflows plan: " << repo.error().message << "\n";
      return kExitUsage;
    }
    before = side_from_git(**repo, operands[0], file);
    after = side_from_git(**repo, operands[1], file);
  } else {
    before = side_from_file(operands[0]);
    after = side_from_file(operands[1]);
  }
  for (const auto* side : {&before, &after}) {
    if (!*side) {
      std::cerr << "convox-workflows plan: " << side->error().message << "\n";
      return kExitUsage;
    }
  }

  bool invalid = false;
  nlohmann::json report = nlohmann::json::object();
  for (auto [key, side] : {std::pair{"old", &*before}, std::pair{"new", &*after}}) {
    report[key] = {{"source", side->label}, {"valid", side->loaded.config.has_value()},
                   {"diagnostics", diagnostics_to_json(side->loaded.diags)}};
    if (!side->note.empty()) report[key]["note"] = side->note;
    if (format == "text" && !side->note.empty()) std::cout << "note: " << side->note << "\n";
    if (format == "text") print_diagnostics(std::cerr, side->label, side->loaded.diags);
    if (!side->loaded.config) {
      invalid = true;
      if (format == "text")
        std::cerr << side->label << " is invalid (" << side->loaded.diags.error_count()
                  << " errors); no plan can be made\n";
    }
  }
  if (invalid) {
    if (format == "json") std::cout << report.dump(2, ' ', false, nlohmann::json::error_handler_t::replace) << "\n";
    return kExitFailure;
  }
  config::Plan plan = config::diff(*before->loaded.config, *after->loaded.config);
  if (format == "json") {
    report["plan"] = config::plan_to_json(plan);
    std::cout << report.dump(2, ' ', false, nlohmann::json::error_handler_t::replace) << "\n";
  } else {
    std::cout << config::format_plan(plan);
  }
  return detailed && !plan.empty() ? 2 : kExitOk;
}

}  // namespace cwf::cli
