#!/usr/bin/env bash
# Webhook received -> first task process started, on a local repository, over
# 20 pushes (target: p50 < 20 ms). The runner polls every 60 s, so only the
# webhook can make it this fast. The baseline in the same run: the same task
# started by a plain `sh -c` (process start-up, which every job pays anyway).
# usage: bench/webhook_latency_bench.sh [BINARY] [PUSHES]
set -euo pipefail
cd "$(dirname "$0")/.."
src=$PWD
bin=$(realpath "${1:-build/convox-workflows}")
pushes=${2:-20}
tmp=$(mktemp -d)
bg=""
trap '[ -n "$bg" ] && kill $bg 2>/dev/null && wait $bg; rm -rf "$tmp"' EXIT
. bench/lib.sh

mkdir -p "$tmp/forge/Codertocat"
bench_remote "$tmp/forge/Codertocat/Hello-World.git" master
cat >"$tmp/wf.yml" <<YML
version: 1
workflows:
  - name: bench
    trigger: {integration: github, repository: Codertocat/Hello-World, branch: master, require_status: false}
    tasks: [{type: script, command: 'date +%s%N > $tmp/started.tmp && mv $tmp/started.tmp $tmp/started.\$BUILD_GIT_SHA'}]
YML
printf 'bench-secret' >"$tmp/secret"
"$bin" run --workflows-file "$tmp/wf.yml" --data-dir "$tmp/data" --poll-interval 60s --log-level warn \
  --listen 127.0.0.1:0 --github-url "file://$tmp/forge" --github-webhook-secret-file "$tmp/secret" &
bg=$!
for _ in $(seq 100); do grep -q '"polls": 1' "$tmp/data/state.json" 2>/dev/null && break; sleep 0.1; done

PYTHONPATH=bench /usr/bin/python3 - "$tmp" "$pushes" "$src/tests/fixtures/webhooks/github-webhooks/push_with-new-branch.payload.json" <<'PY'
import json, subprocess, sys, time
from benchlib import git, push_hook, q, wait_for
tmp, pushes, payload_file = sys.argv[1], int(sys.argv[2]), sys.argv[3]
listen = json.load(open(f"{tmp}/data/state.json"))["listen"]
body = open(payload_file, "rb").read()
ours, base = [], []
for i in range(pushes):
    git(tmp, "commit", "-q", "--allow-empty", "-m", f"push {i}")
    git(tmp, "push", "-q", "origin", "master")
    sha = git(tmp, "rev-parse", "HEAD")
    t0 = push_hook(listen, body, b"bench-secret", f"bench-{i}")
    ours.append((wait_for(f"{tmp}/started.{sha}", 5) - t0) / 1e6)
    t0 = time.time_ns()
    subprocess.run(["sh", "-c", f"date +%s%N > {tmp}/base.tmp && mv {tmp}/base.tmp {tmp}/base.{i}"], check=True)
    base.append((wait_for(f"{tmp}/base.{i}", 5) - t0) / 1e6)
    time.sleep(0.2)
print(f"== webhook received -> first task started, {pushes} pushes, polling every 60 s")
print(f"  convox-workflows run: p50 {q(ours, .5):6.1f} ms  p90 {q(ours, .9):6.1f} ms  max {max(ours):6.1f} ms")
print(f"  sh -c (the task alone): p50 {q(base, .5):6.1f} ms")
print(f"  target: p50 < 20 ms")
PY
