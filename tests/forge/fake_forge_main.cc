// cwf-fake-forge: the stand-in forge API as a program, for the end-to-end
// tests of the built binary. Writes its port to the file given, serves until
// SIGTERM.
#include <csignal>
#include <fstream>
#include <iostream>
#include <thread>

#include "forge/fake_forge.hh"

namespace {
volatile std::sig_atomic_t g_stop = 0;
extern "C" void on_stop(int) { g_stop = 1; }
}  // namespace

int main(int argc, char** argv) {
  if (argc != 2) {
    std::cerr << "usage: cwf-fake-forge PORT_FILE\n";
    return 2;
  }
  std::signal(SIGTERM, on_stop);
  std::signal(SIGINT, on_stop);
  cwf::test::FakeForge forge(true);
  {
    std::ofstream(std::string(argv[1]) + ".tmp") << forge.port() << "\n";
  }
  std::rename((std::string(argv[1]) + ".tmp").c_str(), argv[1]);
  while (!g_stop) std::this_thread::sleep_for(std::chrono::milliseconds(50));
  return 0;
}
