#!/usr/bin/env bash
# The HTTP side under every attack at once, scaled down and bounded (12 s of
# load, at most 20 s to settle): 100 slowloris sockets, 24 log follow
# streams, 8 keep-alive page readers and two 200 MiB chunked posts. No probe
# goes unanswered, the push webhook's job is listed within 1 s, RSS stays
# under 64 MB, and afterwards every thread and descriptor is released.
# The full-size figures are bench/http_load_bench.sh's.
# usage: http_load_test.sh CONVOX_WORKFLOWS_BINARY SOURCE_DIR
set -u
bin=$(realpath "$1")
src=$(realpath "$2")
tmp=$(mktemp -d)
pid=
trap '[ -n "$pid" ] && kill "$pid" 2>/dev/null; wait 2>/dev/null; rm -rf "$tmp"' EXIT
. "$src/tests/cli/lib.sh"
. "$src/tests/runner/lib.sh"
. "$src/bench/http_load_setup.sh"
load all --seconds 12 --slowloris 100 --follow 24 --keepalive 8 --chunked 2 --chunked-mib 200 "${hook[@]}"
field() { /usr/bin/python3 -c 'import json, sys; print(json.load(open(sys.argv[1]))[sys.argv[2]])' "$tmp/all.json" "$1"; }
below() { /usr/bin/python3 -c 'import sys; v = sys.argv[1]; sys.exit(0 if v != "None" and float(v) < float(sys.argv[2]) else 1)' "$1" "$2"; }
check "every /healthz probe answered" test "$(field health_unanswered)" = 0
check "probes were made" test "$(field health_probes)" -ge 50
check "/healthz p99 under 1 s (the bench's target is 100 ms)" below "$(field health_p99_ms)" 1000
check "no API request failed" test "$(field api_failed)" = 0
check "no page read failed" test "$(field page_failed)" = 0
check "the signed push webhook was accepted" test "$(field webhook_status)" = 202
check "and its job was listed within 1 s" below "$(field webhook_job_ms)" 1000
check "the follow streams read the log" test "$(field follow_streams_served)" -ge 24
check "slowloris sockets were cut (at 10 s) and came back" test "$(field slowloris_reconnects)" -ge 90
check "both chunked posts were refused with 413" test "$(field chunked_status)" = "[413, 413]"
check "RSS stayed under 64 MB" below "$(field rss_max_mb)" 64
check "threads and descriptors were all released" test "$(field settled_s)" != None
kill "$pid" && wait "$pid"
check "the runner then stops cleanly" test $? -eq 0
pid=
summary http_load
