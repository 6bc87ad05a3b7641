#!/usr/bin/env bash
# The HTTP side under hostile and heavy load (issue 13), each attack alone and
# then all together, against a runner with a job running:
#   - 200 slowloris sockets (one header byte a second, reconnecting when cut),
#   - 64 log follow streams on the running job,
#   - 16 keep-alive clients re-reading the job's page every second,
#   - 2 chunked 900 MiB posts to /hooks/github,
# while /healthz (main listener, a new connection every 100 ms), GET /api/jobs
# and a signed push webhook (halfway) are timed and RSS, threads and
# descriptors are sampled. The baseline is the same runner with no attack.
# Targets: health p99 < 100 ms, none unanswered; webhook job < 1 s; /api/jobs
# p99 < 200 ms; RSS < 64 MB; threads and fds back afterwards.
# usage: bench/http_load_bench.sh [BINARY] [SECONDS]   (default build/convox-workflows, 30)
set -euo pipefail
src=$(cd "$(dirname "$0")/.." && pwd)
bin=$(realpath "${1:-$src/build/convox-workflows}")
seconds=${2:-30}
tmp=$(mktemp -d)
pid=
trap '[ -n "$pid" ] && kill "$pid" 2>/dev/null; wait 2>/dev/null; rm -rf "$tmp"' EXIT

. "$src/bench/http_load_setup.sh"
short=$(( seconds / 2 > 5 ? seconds / 2 : 5 ))
load baseline --seconds "$short" "${hook[@]}"
load slowloris --seconds "$short" --slowloris 200 "${hook[@]}"
load follow --seconds "$short" --follow 64 "${hook[@]}"
load keepalive --seconds "$short" --keepalive 16 "${hook[@]}"
load chunked --seconds "$short" --chunked 2 --chunked-mib 900
load all --seconds "$seconds" --slowloris 200 --follow 64 --keepalive 16 --chunked 2 --chunked-mib 900 "${hook[@]}"
/usr/bin/python3 - "$tmp" <<'PY'
import json, sys
tmp = sys.argv[1]
rows = {n: json.load(open(f"{tmp}/{n}.json")) for n in ["baseline", "slowloris", "follow", "keepalive", "chunked", "all"]}
base = rows["baseline"]
print(f"{'scenario':10} {'health p99':>10} {'x base':>6} {'unans.':>6} {'api p99':>8} {'x base':>6} {'hook ms':>8} "
      f"{'RSS max':>8} {'thr max':>7} {'fds max':>7} {'settled':>7}")
for n, r in rows.items():
    ratio = lambda k: f"{r[k] / base[k]:.1f}" if r[k] and base[k] else "-"
    print(f"{n:10} {r['health_p99_ms']!s:>10} {ratio('health_p99_ms'):>6} {r['health_unanswered']:>6} "
          f"{r['api_p99_ms']!s:>8} {ratio('api_p99_ms'):>6} {r['webhook_job_ms']!s:>8} {r['rss_max_mb']:>8} "
          f"{r['threads_max']:>7} {r['fds_max']:>7} {r['settled_s']!s:>7}")
a = rows["all"]
ok = (a["health_unanswered"] == 0 and a["health_p99_ms"] < 100 and a["api_p99_ms"] < 200
      and a["webhook_job_ms"] is not None and a["webhook_job_ms"] < 1000 and a["rss_max_mb"] < 64
      and a["settled_s"] is not None and rows["chunked"]["rss_max_mb"] < 64)
print("targets (all at once): " + ("met" if ok else "NOT met"))
PY
