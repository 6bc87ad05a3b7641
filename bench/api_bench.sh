#!/usr/bin/env bash
# The API under load, with 100,000 jobs in the store and a job running:
#  1. GET /api/jobs?limit=50, 2,000 requests one after another on one
#     keep-alive connection (target: p99 < 20 ms), against GET /healthz on the
#     same server as the baseline (the HTTP round trip alone);
#  2. wrk for 30 s on GET /api/jobs?limit=50 (target: >= 1,000 requests/s,
#     no errors).
# Needs wrk (Debian package). usage: bench/api_bench.sh [BINARY]
set -euo pipefail
cd "$(dirname "$0")/.."
bin=$(realpath "${1:-build/convox-workflows}")
tmp=$(mktemp -d)
bg=""
trap '[ -n "$bg" ] && kill $bg 2>/dev/null && wait $bg; rm -rf "$tmp"' EXIT
. bench/lib.sh
command -v wrk >/dev/null || { echo "needs wrk: apt-get install wrk" >&2; exit 1; }

bench_remote "$tmp/app.git" main
bench_workflow "$tmp/wf.yml" "file://$tmp/app.git" main 'sleep 120'
bench_big_store "$bin" "$tmp/data" "$tmp/wf.yml"
bench_serve_running "$bin" "$tmp/data" "$tmp/wf.yml"
/usr/bin/python3 bench/latency.py "$listen" 2000 /healthz "/api/jobs?limit=50" "/api/jobs?limit=50&workflow=w7&before=60000"
echo "  target: p99 < 20 ms for /api/jobs?limit=50"
echo "== wrk -t2 -c8 -d${API_BENCH_SECONDS:-30}s http://$listen/api/jobs?limit=50"
wrk -t2 -c8 -d${API_BENCH_SECONDS:-30}s "http://$listen/api/jobs?limit=50" | grep -E "Requests/sec|Non-2xx|Socket errors|Latency" | sed 's/^/  /'
echo "  (no 'Non-2xx' or 'Socket errors' line: no errors; target >= 1,000 requests/s)"
