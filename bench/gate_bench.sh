#!/usr/bin/env bash
# What the commit-status gate adds to a job's start (target: < 5 ms), against
# the stand-in forge on loopback (cwf-fake-forge, which answers "success").
# Two workflows on one repository run for every push: the baseline with
# require_status: false, the other with the gate, reading the commit's
# statuses and check runs; the figure is, per push, when the gated job's task
# started minus when the ungated one's did. Also: the connections the runner
# opened to the forge for all its reads and status posts.
# usage: bench/gate_bench.sh [BINARY] [FAKE_FORGE_BINARY] [PUSHES]
set -euo pipefail
cd "$(dirname "$0")/.."
src=$PWD
bin=$(realpath "${1:-build/convox-workflows}")
fake=$(realpath "${2:-build/tests/cwf-fake-forge}")
pushes=${3:-30}
tmp=$(mktemp -d)
bg=""
trap '[ -n "$bg" ] && kill $bg 2>/dev/null && wait $bg; [ -z "${KEEP:-}" ] && rm -rf "$tmp"' EXIT
. bench/lib.sh

"$fake" "$tmp/forge.port" &
bg=$!
for _ in $(seq 100); do [ -s "$tmp/forge.port" ] && break; sleep 0.05; done
api="http://127.0.0.1:$(cat "$tmp/forge.port")"
printf '{"statuses": [{"context": "ci/test", "state": "success"}], "check_runs": [{"name": "lint", "status": "completed", "conclusion": "success"}]}' >"$tmp/green.json"
/usr/bin/python3 "$src/tests/runner/fetch.py" PUT "$api/_fake/github/Codertocat/Hello-World/*" --body-file "$tmp/green.json" >/dev/null

mkdir -p "$tmp/forge/Codertocat"
bench_remote "$tmp/forge/Codertocat/Hello-World.git" master
stamp="date +%s%N > $tmp/s.tmp.\$\$ && mv $tmp/s.tmp.\$\$"
cat >"$tmp/wf.yml" <<YML
version: 1
workflows:
  - name: plain
    trigger: {integration: github, repository: Codertocat/Hello-World, branch: master, require_status: false}
    tasks: [{type: script, command: '$stamp $tmp/plain.\$BUILD_GIT_SHA'}]
  - name: gated
    trigger: {integration: github, repository: Codertocat/Hello-World, branch: master, require_status: true}
    tasks: [{type: script, command: '$stamp $tmp/gated.\$BUILD_GIT_SHA'}]
YML
printf 'bench-secret' >"$tmp/secret"
GITHUB_TOKEN=bench-token "$bin" run --workflows-file "$tmp/wf.yml" --data-dir "$tmp/data" --poll-interval 60s \
  --log-level warn --listen 127.0.0.1:0 --github-url "file://$tmp/forge" --github-api-url "$api" \
  --github-webhook-secret-file "$tmp/secret" --max-parallel-jobs 4 &
bg="$bg $!"
for _ in $(seq 100); do grep -q '"polls": 1' "$tmp/data/state.json" 2>/dev/null && break; sleep 0.1; done

PYTHONPATH=bench /usr/bin/python3 - "$tmp" "$pushes" "$src/tests/fixtures/webhooks/github-webhooks/push_with-new-branch.payload.json" "$api" <<'PY'
import json, sys, time, urllib.request
from benchlib import git, push_hook, q, wait_for
tmp, pushes, payload_file, api = sys.argv[1], int(sys.argv[2]), sys.argv[3], sys.argv[4]
listen = json.load(open(f"{tmp}/data/state.json"))["listen"]
body = open(payload_file, "rb").read()
plain, gated, added = [], [], []
for i in range(pushes):
    git(tmp, "commit", "-q", "--allow-empty", "-m", f"push {i}")
    git(tmp, "push", "-q", "origin", "master")
    sha = git(tmp, "rev-parse", "HEAD")
    t0 = push_hook(listen, body, b"bench-secret", f"bench-{i}")
    p, g = wait_for(f"{tmp}/plain.{sha}"), wait_for(f"{tmp}/gated.{sha}")
    plain.append((p - t0) / 1e6)
    gated.append((g - t0) / 1e6)
    added.append((g - p) / 1e6)
    time.sleep(0.3)
time.sleep(1)  # the last statuses go out
stats = json.load(urllib.request.urlopen(f"{api}/_fake/stats", timeout=10))
print(f"== the commit-status gate, {pushes} pushes, the stand-in forge on loopback")
print(f"  webhook -> task started, require_status: false   p50 {q(plain, .5):6.1f} ms  p90 {q(plain, .9):6.1f} ms")
print(f"  webhook -> task started, require_status: true    p50 {q(gated, .5):6.1f} ms  p90 {q(gated, .9):6.1f} ms")
print(f"  added by the gate (gated - plain, per push)      p50 {q(added, .5):6.1f} ms  p90 {q(added, .9):6.1f} ms  max {max(added):6.1f} ms")
print(f"  target: < 5 ms")
print(f"  forge: {stats['requests']} requests ({stats['posts']} status posts) over {stats['connections']} connections")
PY
