// The podman backend's command line and environment (its end-to-end test:
// tests/executor/podman_test.sh, with a real podman).

#include <catch2/catch.hpp>

#include "executor/podman_launcher.hh"

using namespace cwf::executor;

TEST_CASE("podman run: the checkout at /workspace, labels, limits, the env file; the task's values never in argv") {
  PodmanLauncher launcher(PodmanOptions{"/usr/bin/podman", {}, "/data/task-env", "abc123"});
  ProcessSpec spec{{"/bin/sh", "-c", "go test ./..."}, {"PATH=/usr/bin", "SECRET=s3cret"}, "/data/ws/7/sub", std::nullopt};
  spec.container = ContainerSpec{"golang:1.22", "500m", "2Gi", "/data/ws/7", 7, 2};
  auto argv = launcher.run_argv(spec, "cwf-abc123-7-2-x", "/data/task-env/cwf-abc123-7-2-x.env", {"KEY"});
  std::vector<std::string> want = {"/usr/bin/podman", "run", "--rm", "--name", "cwf-abc123-7-2-x",
                                   "--label", "cwf.runner=abc123", "--label", "cwf.job=7", "--label", "cwf.task=2",
                                   "--volume", "/data/ws/7:/workspace", "--workdir", "/workspace/sub",
                                   "--env-file", "/data/task-env/cwf-abc123-7-2-x.env", "--stop-timeout", "10", "--env-host=false",
                                   "--env", "KEY", "--cpus", "0.500", "--memory", "2g",
                                   "golang:1.22", "/bin/sh", "-c", "go test ./..."};
  CHECK(argv == want);
  for (const auto& a : argv) CHECK(a.find("s3cret") == std::string::npos);
  spec.cwd = "/data/ws/7";
  CHECK(launcher.run_argv(spec, "n", "f", {})[14] == "/workspace");  // --workdir's value
}

TEST_CASE("a container's environment: the host's own variables left to the image; multi-line values by name") {
  std::vector<std::string> by_name;
  auto env = container_env({"PATH=/usr/bin", "HOME=/root", "USER=ci", "LOGNAME=ci", "TMPDIR=/tmp", "LANG=C.UTF-8",
                            "GIT_BRANCH=main", "KEY=-----BEGIN-----\nabc\n-----END-----", "EMPTY="},
                           by_name);
  CHECK(env == std::vector<std::string>{"LANG=C.UTF-8", "GIT_BRANCH=main", "EMPTY="});
  CHECK(by_name == std::vector<std::string>{"KEY"});
}

TEST_CASE("Kubernetes-style amounts in podman's units") {
  CHECK(podman_memory("512Mi") == "512m");
  CHECK(podman_memory("2Gi") == "2g");
  CHECK(podman_memory("64Ki") == "64k");
  CHECK(podman_memory("1G") == "1000000000");
  CHECK(podman_memory("5000") == "5000");
  CHECK(podman_cpus("2") == "2");
  CHECK(podman_cpus("0.5") == "0.5");
  CHECK(podman_cpus("500m") == "0.500");
  CHECK(podman_cpus("2500m") == "2.500");
  CHECK(podman_cpus("5m") == "0.005");
}
