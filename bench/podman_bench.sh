#!/usr/bin/env bash
# script tasks on the podman backend vs the local one, in the same run: 100
# jobs of one task (`echo ok`), one per workflow (a workflow's jobs take
# turns), triggered at once on a runner running them all at once
# (--max-parallel-jobs 100), once per backend; the wall time until
# the last ends, and the tasks' mean duration, so the overhead per task is
# the difference. podman as tests/executor/podman_sandbox.sh sets it up (runc,
# vfs storage, a busybox image made here). usage: bench/podman_bench.sh [BINARY]
set -euo pipefail
cd "$(dirname "$0")/.."
bin=$(realpath "${1:-build/convox-workflows}")
tmp=$(mktemp -d)
bg=""
trap '[ -n "$bg" ] && kill $bg 2>/dev/null && wait $bg; rm -rf "$tmp"' EXIT
. bench/lib.sh
n=${PODMAN_BENCH_JOBS:-100}

. tests/executor/podman_sandbox.sh
podman_sandbox "$tmp" localhost/cwf-bench-busybox:1

bench_remote "$tmp/app.git" main
for backend in local podman; do
  image=""
  [ "$backend" = podman ] && image=', image: "localhost/cwf-bench-busybox:1"'
  {
    printf 'version: 1\nworkflows:\n'
    for i in $(seq "$n"); do
      printf '  - name: bench%s\n    trigger: {integration: git, repository: "file://%s", branch: never}\n    tasks: [{type: script, command: "echo ok"%s}]\n' \
        "$i" "$tmp/app.git" "$image"
    done
  } >"$tmp/wf-$backend.yml"
  data=$tmp/data-$backend
  CONVOX_WORKFLOWS_API_TOKEN=b "$bin" run --workflows-file "$tmp/wf-$backend.yml" --data-dir "$data" --listen 127.0.0.1:0 \
    --task-backend "$backend" --max-parallel-jobs "$n" --log-level warn &
  bg=$!
  for _ in $(seq 100); do grep -q '"listen": "127' "$data/state.json" 2>/dev/null && break; sleep 0.1; done
  /usr/bin/python3 - "$(listen_of "$data")" "$n" "$backend" <<'PY'
import http.client, json, sys, time
host, port = sys.argv[1].rsplit(":", 1)
n, backend = int(sys.argv[2]), sys.argv[3]
c = http.client.HTTPConnection(host, int(port), timeout=30)
def call(method, path, body=None):
    c.request(method, path, body=json.dumps(body) if body else None, headers={"Authorization": "Bearer b"})
    r = c.getresponse()
    return r.status, json.loads(r.read() or b"{}")
t0 = time.perf_counter()
for i in range(1, n + 1):
    status, _ = call("POST", f"/api/workflows/bench{i}/trigger", {"branch": "main"})
    assert status == 201, status
while True:
    _, page = call("GET", f"/api/jobs?limit={n}")
    jobs = page["jobs"]
    if len(jobs) == n and all(j["state"] in ("succeeded", "failed") for j in jobs):
        break
    time.sleep(0.05)
wall = time.perf_counter() - t0
ok = sum(j["state"] == "succeeded" for j in jobs)
mean = sum(j["duration_ms"] or 0 for j in jobs) / n
print(f"  {backend:7s} {n} jobs at once: all ended in {wall:6.2f} s ({ok} succeeded), mean job {mean:7.1f} ms")
PY
  kill "$bg" && wait "$bg" || true
  bg=""
done
echo "  the overhead per task: podman's mean job minus local's (2 cores: they queue for the CPU)"
