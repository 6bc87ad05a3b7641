// The kubernetes backend's pure parts: the Job and Secret it sends, what it
// reads from pods' statuses and watch events, kubeconfig and in-cluster
// configuration, the log's timestamps, and the checkout's tar stream (read
// back by GNU tar). Its end-to-end test: tests/executor/kubernetes_test.sh.

#include <catch2/catch.hpp>

#include <nlohmann/json.hpp>

#include <httplib.h>
#include <sys/stat.h>

#include "executor/checkout_server.hh"
#include "executor/kubernetes_launcher.hh"
#include "executor/tar_stream.hh"
#include "kube/kube_config.hh"
#include "kube/task_job.hh"
#include "test_support.hh"
#include "util/base64.hh"

using namespace cwf;
using nlohmann::json;

TEST_CASE("a task's Job: one pod, never retried, the checkout by an init container, limits, labels, no values") {
  auto checkouts = std::make_shared<executor::CheckoutServer>();
  executor::KubernetesOptions o;
  o.namespace_ = "ci";
  o.runner_id = "abc123";
  o.grace = std::chrono::milliseconds(2500);
  o.ttl = std::chrono::seconds(600);
  // The watch fails (nothing listens) and retries quietly; building a Job needs no API.
  executor::KubernetesLauncher launcher(
      std::make_shared<kube::KubeClient>(kube::KubeConfig{"http://127.0.0.1:9", "", false, "", {}, "", "", "", ""},
                                         std::chrono::milliseconds(200)),
      checkouts, o);
  executor::ProcessSpec spec{{"/bin/sh", "-c", "go test ./..."}, {"SECRET=s3cret"}, "/data/ws/7/sub", std::nullopt};
  spec.container = executor::ContainerSpec{"golang:1.22", "500m", "2Gi", "/data/ws/7", 7, 2, std::chrono::milliseconds(60000)};
  auto tj = launcher.task_job(spec, "cwf-abc123-7-2-ff", "http://runner:8081/checkouts/t0");
  json job = json::parse(kube::job_json(tj));
  CHECK(job["kind"] == "Job");
  CHECK(job["metadata"]["namespace"] == "ci");
  CHECK(job["metadata"]["labels"]["convox-workflows/runner"] == "abc123");
  CHECK(job["metadata"]["labels"]["convox-workflows/job"] == "7");
  CHECK(job["metadata"]["labels"]["convox-workflows/task"] == "2");
  CHECK(job["spec"]["backoffLimit"] == 0);
  CHECK(job["spec"]["activeDeadlineSeconds"] == 63);  // the timeout, then the grace (rounded up)
  CHECK(job["spec"]["ttlSecondsAfterFinished"] == 600);
  auto pod = job["spec"]["template"]["spec"];
  CHECK(job["spec"]["template"]["metadata"]["labels"]["convox-workflows/name"] == "cwf-abc123-7-2-ff");
  CHECK(pod["restartPolicy"] == "Never");
  CHECK(pod["terminationGracePeriodSeconds"] == 3);
  CHECK(pod["automountServiceAccountToken"] == false);
  auto task = pod["containers"][0];
  CHECK(task["image"] == "golang:1.22");
  CHECK(task["command"] == json({"/bin/sh", "-c", "go test ./..."}));
  CHECK(task["workingDir"] == "/workspace/sub");
  CHECK(task["resources"]["limits"]["cpu"] == "500m");
  CHECK(task["resources"]["requests"]["memory"] == "2Gi");
  CHECK(task["envFrom"][0]["secretRef"]["name"] == "cwf-abc123-7-2-ff");
  CHECK(pod["initContainers"][0]["env"][0]["value"] == "http://runner:8081/checkouts/t0");
  CHECK(kube::job_json(tj).find("s3cret") == std::string::npos);
  json secret = json::parse(kube::secret_json(tj, {"SECRET=s3cret", "KEY=a\nb", "EMPTY="}));
  CHECK(secret["data"]["SECRET"] == base64_encode("s3cret"));
  CHECK(secret["data"]["KEY"] == base64_encode("a\nb"));
  CHECK(secret["data"]["EMPTY"] == "");
  CHECK(secret["metadata"]["labels"]["convox-workflows/runner"] == "abc123");
  spec.container->cpu.clear();
  spec.container->memory.clear();
  spec.cwd = "/data/ws/7";
  auto plain = json::parse(kube::job_json(launcher.task_job(spec, "n", "u")));
  CHECK(plain["spec"]["template"]["spec"]["containers"][0]["resources"] == json::object());
  CHECK(plain["spec"]["template"]["spec"]["containers"][0]["workingDir"] == "/workspace");
}

TEST_CASE("pods' statuses: started, exit codes, the reasons a pod waits, unschedulable, deleted") {
  auto list = kube::parse_pod_list(R"({"kind":"PodList","metadata":{"resourceVersion":"42"},"items":[
    {"metadata":{"name":"p1","labels":{"convox-workflows/name":"j1"}},"status":{"phase":"Pending",
      "initContainerStatuses":[{"name":"checkout","state":{"running":{}}}],
      "containerStatuses":[{"name":"task","state":{"waiting":{"reason":"PodInitializing"}}}]}},
    {"metadata":{"name":"p2","labels":{"convox-workflows/name":"j2"},"deletionTimestamp":"2024-01-01T00:00:00Z"},
     "status":{"phase":"Failed","initContainerStatuses":[{"name":"checkout","state":{"terminated":{"exitCode":0}}}],
      "containerStatuses":[{"name":"task","state":{"terminated":{"exitCode":137,"reason":"OOMKilled"}}}]}},
    {"metadata":{"name":"p3","labels":{"convox-workflows/name":"j3"}},"status":{"phase":"Pending",
      "containerStatuses":[{"name":"task","state":{"waiting":{"reason":"ImagePullBackOff","message":"Back-off pulling image"}}}]}},
    {"metadata":{"name":"p4","labels":{"convox-workflows/name":"j4"}},"status":{"phase":"Pending",
      "conditions":[{"type":"PodScheduled","status":"False","reason":"Unschedulable","message":"0/3 nodes are available"}]}}
  ]})");
  REQUIRE(list);
  CHECK(list->resource_version == "42");
  REQUIRE(list->pods.size() == 4);
  CHECK(list->pods[0].task_name == "j1");
  CHECK_FALSE(list->pods[0].started);
  CHECK(list->pods[0].waiting_reason.empty());  // PodInitializing is no trouble
  CHECK(list->pods[1].deleting);
  CHECK(list->pods[1].started);
  CHECK(list->pods[1].exit_code == 137);
  CHECK(list->pods[1].ended_reason == "OOMKilled");
  CHECK(list->pods[1].checkout_exit == 0);
  CHECK(list->pods[2].waiting_reason == "ImagePullBackOff");
  CHECK(kube::stuck_reason(list->pods[2].waiting_reason));
  CHECK_FALSE(kube::stuck_reason("ContainerCreating"));
  CHECK(list->pods[3].unschedulable == "Unschedulable: 0/3 nodes are available");
  CHECK_FALSE(kube::parse_pod_list("{\"items\": 3}"));
  CHECK_FALSE(kube::parse_pod_list("not json"));
}

TEST_CASE("watch events: changes, bookmarks, a 410 that means list again; junk is skipped") {
  auto e = kube::parse_watch_event(
      R"({"type":"DELETED","object":{"kind":"Pod","metadata":{"name":"p","resourceVersion":"77","labels":{"convox-workflows/name":"j"}}}})");
  REQUIRE(e);
  CHECK(e->type == "DELETED");
  CHECK(e->resource_version == "77");
  REQUIRE(e->pod);
  CHECK(e->pod->task_name == "j");
  auto b = kube::parse_watch_event(R"({"type":"BOOKMARK","object":{"kind":"Pod","metadata":{"resourceVersion":"90"}}})");
  REQUIRE(b);
  CHECK_FALSE(b->pod);
  CHECK(b->resource_version == "90");
  auto gone = kube::parse_watch_event(
      R"js({"type":"ERROR","object":{"kind":"Status","code":410,"reason":"Expired","message":"too old resource version: 1 (500)"}})js");
  REQUIRE(gone);
  CHECK(gone->error_code == 410);
  CHECK(gone->error_message == "too old resource version: 1 (500)");
  CHECK_FALSE(kube::parse_watch_event("{\"type\": 5}"));
  CHECK_FALSE(kube::parse_watch_event("{truncated"));
}

TEST_CASE("log timestamps: split, and compared with fractions of any length") {
  std::string_view stamp, text;
  REQUIRE(executor::split_stamp("2024-01-02T03:04:05.5Z hello world", stamp, text));
  CHECK(stamp == "2024-01-02T03:04:05.5Z");
  CHECK(text == "hello world");
  CHECK_FALSE(executor::split_stamp("no stamp here", stamp, text));
  CHECK(executor::stamp_after("2024-01-02T03:04:05.5Z", "2024-01-02T03:04:05.123456789Z"));
  CHECK_FALSE(executor::stamp_after("2024-01-02T03:04:05.05Z", "2024-01-02T03:04:05.5Z"));
  CHECK(executor::stamp_after("2024-01-02T03:04:06Z", "2024-01-02T03:04:05.999Z"));
  CHECK_FALSE(executor::stamp_after("2024-01-02T03:04:05Z", "2024-01-02T03:04:05Z"));
}

TEST_CASE("kubeconfig: the current or a named context, files relative to it, data inline; clear errors") {
  test::TempDir dir;
  test::write_file(dir.path() / "ca.crt", "CA PEM\n");
  test::write_file(dir.path() / "token", "from-a-file\n");
  test::write_file(dir.path() / "config", R"(apiVersion: v1
kind: Config
current-context: a
clusters:
  - name: one
    cluster: {server: "https://k8s.example:6443/", certificate-authority: ca.crt}
  - name: two
    cluster: {server: "http://127.0.0.1:8080", certificate-authority-data: )" + base64_encode("INLINE CA") + R"(}
users:
  - name: u1
    user: {token: t0ken}
  - name: u2
    user: {tokenFile: token, client-certificate-data: )" + base64_encode("CERT") + ", client-key-data: " + base64_encode("KEY") + R"(}
  - name: u3
    user: {exec: {command: aws}}
contexts:
  - name: a
    context: {cluster: one, user: u1, namespace: ci}
  - name: b
    context: {cluster: two, user: u2}
  - name: c
    context: {cluster: one, user: u3}
  - name: d
    context: {cluster: missing, user: u1}
)");
  auto a = kube::load_kubeconfig(dir.path() / "config");
  REQUIRE(a);
  CHECK(a->server == "https://k8s.example:6443");
  CHECK(a->ca_pem == "CA PEM\n");
  CHECK(a->token == "t0ken");
  CHECK(a->namespace_ == "ci");
  auto b = kube::load_kubeconfig(dir.path() / "config", "b");
  REQUIRE(b);
  CHECK(b->ca_pem == "INLINE CA");
  CHECK(b->token_file == dir.path() / "token");
  CHECK(b->client_cert_pem == "CERT");
  CHECK(b->client_key_pem == "KEY");
  CHECK(b->namespace_.empty());
  auto c = kube::load_kubeconfig(dir.path() / "config", "c");
  REQUIRE_FALSE(c);
  CHECK(c.error().message.find("exec and auth-provider credentials are not supported") != std::string::npos);
  auto d = kube::load_kubeconfig(dir.path() / "config", "d");
  REQUIRE_FALSE(d);
  CHECK(d.error().message.find("names cluster 'missing'") != std::string::npos);
  CHECK(kube::load_kubeconfig(dir.path() / "config", "zz").error().message.find("no context named 'zz'") != std::string::npos);
  test::write_file(dir.path() / "broken", "clusters: [\n");
  auto broken = kube::load_kubeconfig(dir.path() / "broken");
  REQUIRE_FALSE(broken);
  CHECK(broken.error().message.rfind((dir.path() / "broken").string() + ":2:1: error:", 0) == 0);
}

TEST_CASE("in-cluster: the service's address, the mounted token, CA and namespace") {
  test::TempDir dir;
  test::write_file(dir.path() / "token", "sa-token\n");
  test::write_file(dir.path() / "ca.crt", "CA");
  test::write_file(dir.path() / "namespace", "ci\n");
  auto c = kube::in_cluster_config({{"KUBERNETES_SERVICE_HOST", "10.0.0.1"}, {"KUBERNETES_SERVICE_PORT", "443"}}, dir.path());
  REQUIRE(c);
  CHECK(c->server == "https://10.0.0.1:443");
  CHECK(c->token_file == dir.path() / "token");
  CHECK(c->ca_pem == "CA");
  CHECK(c->namespace_ == "ci");
  auto v6 = kube::in_cluster_config({{"KUBERNETES_SERVICE_HOST", "fd00::1"}, {"KUBERNETES_SERVICE_PORT", "443"}}, dir.path());
  REQUIRE(v6);
  CHECK(v6->server == "https://[fd00::1]:443");
  auto outside = kube::in_cluster_config({}, dir.path());
  REQUIRE_FALSE(outside);
  CHECK(outside.error().message.find("not in a Kubernetes pod") != std::string::npos);
  std::filesystem::remove(dir.path() / "token");
  CHECK_FALSE(kube::in_cluster_config({{"KUBERNETES_SERVICE_HOST", "h"}, {"KUBERNETES_SERVICE_PORT", "1"}}, dir.path()));
}

TEST_CASE("a workspace as a tar stream: files, directories, links, long names, modes; not .git") {
  test::TempDir dir;
  auto ws = dir.path() / "ws";
  std::string long_dir(120, 'd'), long_file(150, 'f');
  std::filesystem::create_directories(ws / "sub" / long_dir);
  std::filesystem::create_directories(ws / ".git" / "objects");
  std::filesystem::create_directories(ws / "keep" / ".git");  // only the top one is the checkout's
  test::write_file(ws / "a.txt", "hello\n");
  test::write_file(ws / ".git" / "HEAD", "ref\n");
  test::write_file(ws / "keep" / ".git" / "x", "x\n");
  test::write_file(ws / "sub" / long_dir / long_file, std::string(70000, 'z'));
  test::write_file(ws / "run.sh", "#!/bin/sh\n");
  std::filesystem::permissions(ws / "run.sh", std::filesystem::perms(0755));
  std::filesystem::create_symlink("a.txt", ws / "link");
  std::filesystem::create_symlink(std::string(130, 'l'), ws / "long-link");
  REQUIRE(::mkfifo((ws / "fifo").c_str(), 0644) == 0);  // a task's: neither sent nor waited on
  executor::TarStream tar(ws);
  std::string all;
  while (tar.next(all, 4096)) {
  }
  REQUIRE(tar.error().empty());
  CHECK(all.size() % 512 == 0);
  test::write_file(dir.path() / "out.tar", all);
  std::filesystem::create_directories(dir.path() / "x");
  test::sh(dir.path(), "tar -x -f out.tar -C x");
  auto x = dir.path() / "x";
  CHECK(test::read_file(x / "a.txt") == "hello\n");
  CHECK(test::read_file(x / "sub" / long_dir / long_file) == std::string(70000, 'z'));
  CHECK(std::filesystem::read_symlink(x / "link") == "a.txt");
  CHECK(std::filesystem::read_symlink(x / "long-link") == std::string(130, 'l'));
  CHECK((std::filesystem::status(x / "run.sh").permissions() & std::filesystem::perms::owner_exec) != std::filesystem::perms::none);
  CHECK_FALSE(std::filesystem::exists(x / ".git"));
  CHECK_FALSE(std::filesystem::exists(x / "fifo"));
  CHECK(std::filesystem::exists(x / "keep" / ".git" / "x"));
  executor::TarStream missing(dir.path() / "nope");
  std::string none;
  CHECK_FALSE(missing.next(none));
  CHECK_FALSE(missing.error().empty());
}

TEST_CASE("the checkout server: one fetch per token, none after it is withdrawn or expired, nothing else served") {
  test::TempDir dir;
  test::write_file(dir.path() / "a.txt", "hello\n");
  executor::CheckoutServer server;
  auto port = server.start("127.0.0.1", 0);
  REQUIRE(port);
  httplib::Client client("127.0.0.1", *port);
  client.set_read_timeout(std::chrono::seconds(5));
  std::string once = server.offer(dir.path(), std::chrono::seconds(60));
  CHECK(once.size() == 64);
  auto first = client.Get(("/checkouts/" + once).c_str());
  REQUIRE(first);
  CHECK(first->status == 200);
  CHECK(first->get_header_value("Content-Type") == "application/x-tar");
  CHECK(first->body.find("hello\n") != std::string::npos);
  CHECK(first->body.size() % 512 == 0);
  auto second = client.Get(("/checkouts/" + once).c_str());
  REQUIRE(second);
  CHECK(second->status == 404);
  std::string withdrawn = server.offer(dir.path(), std::chrono::seconds(60));
  server.withdraw(withdrawn);
  CHECK(client.Get(("/checkouts/" + withdrawn).c_str())->status == 404);
  std::string expired = server.offer(dir.path(), std::chrono::seconds(0));
  std::this_thread::sleep_for(std::chrono::milliseconds(10));
  CHECK(client.Get(("/checkouts/" + expired).c_str())->status == 404);
  CHECK(client.Get("/checkouts/../../etc/passwd")->status == 404);
  CHECK(client.Get("/")->status == 404);
  CHECK(server.offered() == 0);
  server.stop();
}
