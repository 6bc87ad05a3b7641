#include <CLI/CLI.hpp>
#include <iostream>

#include "cli/commands.hh"
#include "git/repository.hh"
#include "util/version.hh"

namespace cwf::cli {

int run_version(const Args& args) {
  CLI::App app("Print the version and the libraries it was built with.", "convox-workflows version");
  if (int rc = parse_args(app, args); rc >= 0) return rc;
  std::cout << "convox-workflows " << kVersion << "\n"
            << "libgit2 " << git::library_version() << "\n";
  return kExitOk;
}

}  // namespace cwf::cli
