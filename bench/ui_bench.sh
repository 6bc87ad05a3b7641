#!/usr/bin/env bash
# The web UI's pages, server-rendered, with 100,000 jobs in the store and a
# job running: 1,000 requests each, one after another on one keep-alive
# connection, of the jobs list (plain, filtered, an older page) and a job's
# page (target: p99 < 50 ms), against GET /healthz (the HTTP round trip
# alone) and GET /api/jobs?limit=50 (the same rows as JSON) on the same server.
# usage: bench/ui_bench.sh [BINARY]
set -euo pipefail
cd "$(dirname "$0")/.."
bin=$(realpath "${1:-build/convox-workflows}")
tmp=$(mktemp -d)
bg=""
trap '[ -n "$bg" ] && kill $bg 2>/dev/null && wait $bg; rm -rf "$tmp"' EXIT
. bench/lib.sh

bench_remote "$tmp/app.git" main
bench_workflow "$tmp/wf.yml" "file://$tmp/app.git" main 'sleep 120'
"$bin" run --once --workflows-file "$tmp/wf.yml" --data-dir "$tmp/data" --listen off --log-level warn
/usr/bin/python3 - "$tmp/data/jobs.db" <<'PY'
import sqlite3, sys
db = sqlite3.connect(sys.argv[1])
states = ["succeeded", "failed", "cancelled", "skipped"]
db.executemany(
    "INSERT INTO jobs (workflow, repository, branch, commit_sha, trigger, state, created_at, started_at, finished_at, remote, "
    "commit_title, commit_author) VALUES (?, 'acme/web', 'main', ?, 'push', ?, ?, ?, ?, 'file:///x', ?, 'Ada <ada@example.com>')",
    ((f"w{i % 20}", f"{i:040x}", states[i % 4], 1795000000000 + i * 1000, 1795000000000 + i * 1000,
      1795000000000 + i * 1000 + 5000, f"change {i}: a commit's first line <escaped> & all") for i in range(100000)))
db.executemany("INSERT INTO tasks (job_id, idx, name, type, state) VALUES (?, 0, 'build', 'build', 'succeeded')",
               ((i,) for i in range(1, 100001)))
db.commit()
PY
"$bin" run --workflows-file "$tmp/wf.yml" --data-dir "$tmp/data" --listen 127.0.0.1:0 --poll-interval 1s --log-level warn \
  --retain-jobs 0 &
bg=$!
for _ in $(seq 100); do grep -q '"listen": "127' "$tmp/data/state.json" 2>/dev/null && break; sleep 0.1; done
listen=$(listen_of "$tmp/data")
sleep 1.5
git -C "$tmp/w" commit -q --allow-empty -m one && git -C "$tmp/w" push -q origin main
for _ in $(seq 50); do "$bin" jobs --data-dir "$tmp/data" --state running | grep -q bench && break; sleep 0.2; done
echo "== 100,000 jobs in the store; $("$bin" jobs --data-dir "$tmp/data" --state running | tail -n +2 | wc -l) job running"
/usr/bin/python3 - "$listen" <<'PY'
import http.client, sys, time
host, port = sys.argv[1].rsplit(":", 1)
c = http.client.HTTPConnection(host, int(port), timeout=10)
def run(path, n=1000):
    ts = []
    for _ in range(n):
        t = time.perf_counter()
        c.request("GET", path)
        r = c.getresponse()
        body = r.read()
        assert r.status == 200, (r.status, body[:200])
        ts.append((time.perf_counter() - t) * 1000)
    ts.sort()
    return ts[len(ts) // 2], ts[int(len(ts) * 0.99)], len(body)
run("/", 100)  # warm: the page cache, SQLite's, the connection
results = [(path, run(path)) for path in ("/healthz", "/api/jobs?limit=50", "/", "/?workflow=w5&state=failed",
                                          "/?branch=main&before=60000", "/jobs/50000")]
base = results[0][1][1]
for path, (p50, p99, size) in results:
    print(f"  GET {path:30s} p50 {p50:6.2f} ms  p99 {p99:6.2f} ms  ({size} bytes, p99 {p99 / base:5.1f}x /healthz)")
print("  target: p99 < 50 ms for the pages")
PY
