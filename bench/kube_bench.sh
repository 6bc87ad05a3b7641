#!/usr/bin/env bash
# The kubernetes backend's control loop: the runner's CPU and RSS while 500
# Jobs run on the stand-in API server (tests/executor/kube_stand_in.py), and
# the same runner running the same 500 tasks as local processes (the
# baseline, in the same run). 500 one-task jobs (`sleep`), one per workflow,
# triggered at once with --max-parallel-jobs 500; once every task runs, the
# runner's CPU time (utime + stime from /proc) over a window, and its RSS.
# usage: bench/kube_bench.sh [BINARY]   (KUBE_BENCH_JOBS=500, KUBE_BENCH_WINDOW=20)
set -euo pipefail
cd "$(dirname "$0")/.."
bin=$(realpath "${1:-build/convox-workflows}")
tmp=$(mktemp -d)
bg="" api=""
trap '[ -n "$bg" ] && kill $bg 2>/dev/null; [ -n "$api" ] && kill $api 2>/dev/null; wait 2>/dev/null; rm -rf "$tmp"' EXIT
. bench/lib.sh
n=${KUBE_BENCH_JOBS:-500}
window=${KUBE_BENCH_WINDOW:-20}
ulimit -n 65536 2>/dev/null || ulimit -n "$(ulimit -Hn)"

mkdir -p "$tmp/node"
python3 tests/executor/kube_stand_in.py --port-file "$tmp/api.port" --images busybox:1.36 --node-cpu 100000 \
  --history 100000 --work-dir "$tmp/node" 2>"$tmp/api.log" &
api=$!
for _ in $(seq 100); do [ -s "$tmp/api.port" ] && break; sleep 0.1; done
cat >"$tmp/kubeconfig" <<KC
apiVersion: v1
kind: Config
clusters: [{name: s, cluster: {server: "http://127.0.0.1:$(cat "$tmp/api.port")"}}]
users: [{name: u, user: {}}]
contexts: [{name: c, context: {cluster: s, user: u, namespace: bench}}]
current-context: c
KC
port=$(python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')

bench_remote "$tmp/app.git" main
sleep_for=$((window + 40))
for backend in local kubernetes; do
  image=""
  [ "$backend" = kubernetes ] && image=', image: "busybox:1.36"'
  {
    printf 'version: 1\nworkflows:\n'
    for i in $(seq "$n"); do
      printf '  - name: bench%s\n    trigger: {integration: git, repository: "file://%s", branch: never}\n    tasks: [{type: script, command: "sleep %s"%s}]\n' \
        "$i" "$tmp/app.git" "$sleep_for" "$image"
    done
  } >"$tmp/wf-$backend.yml"
  data=$tmp/data-$backend
  extra=()
  [ "$backend" = kubernetes ] && extra=(--kubeconfig "$tmp/kubeconfig" --k8s-checkout-listen "127.0.0.1:$port"
    --k8s-checkout-url "http://127.0.0.1:$port")
  CONVOX_WORKFLOWS_API_TOKEN=b "$bin" run --workflows-file "$tmp/wf-$backend.yml" --data-dir "$data" --listen 127.0.0.1:0 \
    --task-backend "$backend" --max-parallel-jobs "$n" --log-level warn "${extra[@]}" 2>"$tmp/runner-$backend.log" &
  bg=$!
  for _ in $(seq 100); do grep -q '"listen": "127' "$data/state.json" 2>/dev/null && break; sleep 0.1; done
  /usr/bin/python3 - "$(listen_of "$data")" "$n" "$backend" "$bg" "$window" "$(cat "$tmp/api.port")" <<'PY'
import http.client, json, os, sys, time
host, port = sys.argv[1].rsplit(":", 1)
n, backend, pid, window, api_port = int(sys.argv[2]), sys.argv[3], int(sys.argv[4]), float(sys.argv[5]), int(sys.argv[6])
def call(method, path, body=None):
    # A connection each: the runner closes one idle past its keep-alive time.
    c = http.client.HTTPConnection(host, int(port), timeout=60)
    c.request(method, path, body=json.dumps(body) if body else None, headers={"Authorization": "Bearer b"})
    r = c.getresponse()
    return r.status, json.loads(r.read() or b"{}")
tick = os.sysconf("SC_CLK_TCK")
def cpu():
    f = open(f"/proc/{pid}/stat").read().rsplit(")", 1)[1].split()
    return (int(f[11]) + int(f[12])) / tick
def rss_mib():
    for line in open(f"/proc/{pid}/status"):
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024
def threads():
    return len(os.listdir(f"/proc/{pid}/task"))
t0 = time.perf_counter()
for i in range(1, n + 1):
    status, _ = call("POST", f"/api/workflows/bench{i}/trigger", {"branch": "main"})
    assert status == 201, status
# Every task running: the local ones at once, the pods once their log streams are followed.
def running_tasks():
    _, page = call("GET", f"/api/jobs?limit={n}&state=running")
    return len(page["jobs"])
while running_tasks() < n:
    time.sleep(0.5)
    assert time.perf_counter() - t0 < 300, "not all running after 300 s"
# On the cluster: every pod Running (its checkout fetched, its log followed).
def pods_running():
    api = http.client.HTTPConnection("127.0.0.1", api_port, timeout=60)
    api.request("GET", "/api/v1/namespaces/bench/pods")
    items = json.loads(api.getresponse().read())["items"]
    return sum(p["status"].get("phase") == "Running" for p in items)
while backend == "kubernetes" and pods_running() < n:
    time.sleep(1)
    assert time.perf_counter() - t0 < 300, "not all pods running after 300 s"
started = time.perf_counter() - t0
cpu_start = cpu()
time.sleep(3)
cpu_a, t_a = cpu(), time.perf_counter()
time.sleep(window)
cpu_b, t_b = cpu(), time.perf_counter()
share = (cpu_b - cpu_a) / (t_b - t_a)
assert running_tasks() == n, "a task ended during the window"
print(f"  {backend:10s} {n} running: all started in {started:5.1f} s (runner CPU {cpu_start:5.1f} s so far); "
      f"steady: CPU {100 * share:5.2f} % of a core ({1e6 * share / n:6.1f} us/s per task), "
      f"RSS {rss_mib():6.1f} MiB ({1024 * rss_mib() / n:5.1f} KiB per task), {threads()} threads")
PY
  kill "$bg" && wait "$bg" || true
  bg=""
done
echo "  the control loop's cost per running Job: kubernetes minus local, per task"
