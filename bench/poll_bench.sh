#!/usr/bin/env bash
# The watcher's cost, against baselines measured in the same run:
#  1. one poll cycle over 1,000 remotes (local bare repositories over file://)
#     with nothing moved: `convox-workflows run --once` (the whole process:
#     start, load 1,000 workflows, list every remote, compare with the stored
#     heads, exit) vs a shell loop of `git ls-remote` over the same remotes
#     (targets: ratio <= 0.05, < 1 CPU-second);
#  2. the runner's RSS after idling while it watches 100 remotes (target: < 16 MB).
# Needs hyperfine and time (Debian packages). usage: bench/poll_bench.sh [BINARY]
set -euo pipefail
cd "$(dirname "$0")/.."
bin=$(realpath "${1:-build/convox-workflows}")
tmp=$(mktemp -d)
runner=""
trap '[ -n "$runner" ] && kill "$runner" 2>/dev/null; rm -rf "$tmp"' EXIT
. bench/lib.sh

git init -q --bare -b main "$tmp/r0.git"
git init -q -b main "$tmp/w" && git -C "$tmp/w" commit -q --allow-empty -m one
git -C "$tmp/w" push -q "$tmp/r0.git" main main:develop main:release/1.0
for i in $(seq 1 999); do cp -r "$tmp/r0.git" "$tmp/r$i.git"; done
workflows() {  # workflows N FILE: N workflows, each on its own remote
  {
    echo "version: 1"
    echo "workflows:"
    for i in $(seq 0 $(($1 - 1))); do
      echo "  - name: w$i"
      echo "    trigger: {integration: git, repository: \"file://$tmp/r$i.git\", branch: main}"
      echo "    tasks: [{type: script, command: \"true\"}]"
    done
  } >"$2"
}
workflows 1000 "$tmp/1000.yml"
workflows 100 "$tmp/100.yml"
for i in $(seq 0 999); do echo "file://$tmp/r$i.git"; done >"$tmp/urls"
printf '#!/bin/sh\nwhile read -r u; do git ls-remote --heads "$u" >/dev/null; done <%s\n' "$tmp/urls" >"$tmp/ls-remote.sh"

once="$bin run --once --workflows-file $tmp/1000.yml --data-dir $tmp/data --log-level warn --listen off"
$once  # the first cycle records every remote's heads; the measured ones find nothing moved
echo "== one poll cycle over 1,000 remotes, nothing moved"
hyperfine -N --warmup 1 --runs 10 --export-json "$tmp/poll.json" "$once" "sh $tmp/ls-remote.sh" >/dev/null
/usr/bin/python3 - "$tmp/poll.json" <<'PY'
import json, sys
a, b = json.load(open(sys.argv[1]))["results"]
print(f"  convox-workflows run --once: median {a['median']*1000:7.1f} ms (user {a['user']*1000:.0f} ms, sys {a['system']*1000:.0f} ms)")
print(f"  git ls-remote loop:          median {b['median']*1000:7.1f} ms")
print(f"  ratio {a['median']/b['median']:.3f} (target <= 0.05)")
PY
/usr/bin/time -f "  CPU: %U s user + %S s sys = one cycle's CPU-seconds (target < 1); peak RSS %M KB" $once
$bin run --once --workflows-file "$tmp/1000.yml" --data-dir "$tmp/data" 2>&1 | grep -o 'first poll cycle done.*' | sed 's/^/  inside the runner: /'

echo "== idle RSS, watching 100 remotes (polled every second)"
$bin run --workflows-file "$tmp/100.yml" --data-dir "$tmp/data100" --poll-interval 1s --log-level warn --listen 127.0.0.1:0 &
runner=$!
sleep 8
rss=$(awk '/VmRSS/ {print $2}' "/proc/$runner/status")
echo "  RSS after 8 s: $((rss / 1024)).$(((rss % 1024) * 10 / 1024)) MB ($rss KB; target < 16 MB)"
