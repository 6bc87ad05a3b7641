#!/usr/bin/env bash
# Push -> first task started, with --poll-interval 1s, over 20 pushes
# (target: p50 < 1.5 s), against a baseline in the same run: a shell loop
# that runs `git ls-remote` every second and starts the task when the head
# moved (the cron job of shell scripts this runner replaces).
# usage: bench/push_latency_bench.sh [BINARY] [PUSHES]
set -euo pipefail
cd "$(dirname "$0")/.."
bin=$(realpath "${1:-build/convox-workflows}")
pushes=${2:-20}
tmp=$(mktemp -d)
bg=""
trap '[ -n "$bg" ] && kill $bg 2>/dev/null; rm -rf "$tmp"' EXIT
. bench/lib.sh

bench_remote "$tmp/app.git" main
bench_workflow "$tmp/wf.yml" "file://$tmp/app.git" main \
  "date +%s%N > $tmp/started.tmp && mv $tmp/started.tmp $tmp/started.\$BUILD_GIT_SHA"

# measure NAME: PUSHES pushes at random phases of the poll; prints the latencies (ms), one a line.
measure() {
  for i in $(seq "$pushes"); do
    sleep "0.$((RANDOM % 10))$((RANDOM % 10))"
    git -C "$tmp/w" commit -q --allow-empty -m "push $i"
    git -C "$tmp/w" push -q origin main
    local t0 sha
    t0=$(date +%s%N)
    sha=$(git -C "$tmp/w" rev-parse HEAD)
    for _ in $(seq 500); do [ -f "$tmp/started.$sha" ] && break; sleep 0.01; done
    [ -f "$tmp/started.$sha" ] || { echo "push $i never started a task" >&2; exit 1; }
    echo $((($(cat "$tmp/started.$sha") - t0) / 1000000))
  done
}
stats() {  # stats NAME FILE
  sort -n "$2" | awk -v name="$1" '{ a[NR] = $1 } END {
    printf "  %-34s p50 %5d ms  p90 %5d ms  max %5d ms  (n=%d)\n", name, a[int((NR + 1) / 2)], a[int(NR * 0.9 + 0.5)], a[NR], NR }'
}

"$bin" run --workflows-file "$tmp/wf.yml" --data-dir "$tmp/data" --poll-interval 1s --log-level warn --listen off &
bg=$!
for _ in $(seq 50); do [ -f "$tmp/data/state.json" ] && grep -q '"polls": [1-9]' "$tmp/data/state.json" && break; sleep 0.1; done
measure >"$tmp/ours"
kill -TERM $bg && wait $bg
bg=""

cat >"$tmp/cron.sh" <<SH
#!/bin/sh
last=\$(git ls-remote "file://$tmp/app.git" refs/heads/main | cut -f1)
while sleep 1; do
  now=\$(git ls-remote "file://$tmp/app.git" refs/heads/main | cut -f1)
  if [ "\$now" != "\$last" ]; then
    last=\$now
    BUILD_GIT_SHA=\$now sh -c 'date +%s%N > $tmp/started.tmp && mv $tmp/started.tmp $tmp/started.\$BUILD_GIT_SHA'
  fi
done
SH
sh "$tmp/cron.sh" &
bg=$!
sleep 0.5
measure >"$tmp/shell"

echo "== push -> first task started, polling every 1 s, $pushes pushes each"
stats "convox-workflows run" "$tmp/ours"
stats "shell loop of git ls-remote, 1 s" "$tmp/shell"
p50() { sort -n "$1" | awk '{ a[NR] = $1 } END { print a[int((NR + 1) / 2)] }'; }
awk -v a="$(p50 "$tmp/ours")" -v b="$(p50 "$tmp/shell")" 'BEGIN { printf "  p50 ratio %.2f (target: p50 < 1500 ms)\n", a / b }'
