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
bench_big_store "$bin" "$tmp/data" "$tmp/wf.yml"
bench_serve_running "$bin" "$tmp/data" "$tmp/wf.yml"
/usr/bin/python3 bench/latency.py "$listen" 1000 /healthz "/api/jobs?limit=50" / "/?workflow=w5&state=failed" \
  "/?branch=main&before=60000" /jobs/50000
echo "  target: p99 < 50 ms for the pages"
