#include "cli/commands.hh"

int main(int argc, char** argv) { return cwf::cli::main(argc, argv); }
