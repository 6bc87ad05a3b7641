#!/usr/bin/env bash
# Notifications (issue 19): 1,000 notifications queued at once (as after a
# receiver's outage) drain while a job runs, against the same job run with an
# empty queue in the same run (target: the job's duration ratio <= 1.2). Prints
# the drain's throughput, the time until the queue is empty, and the runner's
# peak RSS with and without the drain. The receiver is the tests' stand-in
# (tests/runner/notify_receiver.py, signatures verified), on 127.0.0.1.
# usage: bench/notify_bench.sh [BINARY] [NOTIFICATIONS]
set -euo pipefail
cd "$(dirname "$0")/.."
src=$PWD
bin=$(realpath "${1:-build/convox-workflows}")
n=${2:-1000}
tmp=$(mktemp -d)
recv_pid="" runner_pid=""
trap '[ -n "$runner_pid" ] && kill -KILL $runner_pid 2>/dev/null; [ -n "$recv_pid" ] && kill $recv_pid 2>/dev/null; rm -rf "$tmp"' EXIT
. bench/lib.sh

/usr/bin/python3 tests/runner/notify_receiver.py "$tmp/recv.port" bench-secret T0/B0/x &
recv_pid=$!
for _ in $(seq 100); do [ -s "$tmp/recv.port" ] && break; sleep 0.1; done
recv="http://127.0.0.1:$(cat "$tmp/recv.port")"
bench_remote "$tmp/app.git" main
# A job with work to do: 200,000 log lines through the job's log and the store.
cat >"$tmp/wf.yml" <<YML
version: 1
notifications:
  - on: [started, succeeded, failed]
    webhook: {url: "$recv/hooks/bench", secret_env: BENCH_SECRET}
workflows:
  - name: bench
    trigger: {integration: git, repository: "file://$tmp/app.git", branch: main}
    tasks: [{type: script, command: 'i=0; while [ \$i -lt 200000 ]; do echo "line \$i of a busy build"; i=\$((i+1)); done'}]
YML
export BENCH_SECRET=bench-secret

start() {  # start DATA: a runner on DATA; $runner_pid
  "$bin" run --workflows-file "$tmp/wf.yml" --data-dir "$1" --listen 127.0.0.1:0 --poll-interval 1s --log-level warn \
    --notify-retry 1s >>"$tmp/runner.log" 2>&1 &
  runner_pid=$!
  for _ in $(seq 100); do grep -q '"listen": "127' "$1/state.json" 2>/dev/null && break; sleep 0.1; done
}
pending() { /usr/bin/python3 -c 'import sqlite3, sys; print(sqlite3.connect(sys.argv[1]).execute("SELECT count(*) FROM notifications WHERE state = '"'pending'"'").fetchone()[0])' "$1/jobs.db"; }
# run_job DATA: pushes, waits for the job, prints its duration in ms.
run_job() {
  local before
  before=$("$bin" jobs --data-dir "$1" --state succeeded | tail -n +2 | grep -c . || true)
  git -C "$tmp/w" commit -q --allow-empty -m "bench $RANDOM" && git -C "$tmp/w" push -q origin main
  for _ in $(seq 600); do
    [ "$("$bin" jobs --data-dir "$1" --state succeeded | tail -n +2 | grep -c . || true)" -gt "$before" ] && break
    sleep 0.1
  done
  /usr/bin/python3 -c 'import sqlite3, sys; print(sqlite3.connect(sys.argv[1]).execute("SELECT finished_at - started_at FROM jobs ORDER BY id DESC LIMIT 1").fetchone()[0])' "$1/jobs.db"
}
hwm() { awk '/VmHWM/ {print int($2 / 1024)}' "/proc/$1/status"; }

# Baseline: the job three times with an empty queue.
start "$tmp/base"
sleep 1.5
base=()
for i in 1 2 3; do base+=("$(run_job "$tmp/base")"); done
base_rss=$(hwm "$runner_pid")
kill -TERM "$runner_pid"; wait "$runner_pid" || true; runner_pid=""

# The same store's first notification, copied N times as pending (a backlog).
for d in a b c; do cp -r "$tmp/base" "$tmp/drain-$d"; rm -f "$tmp/drain-$d/runner.lock"; done
queue() {
  /usr/bin/python3 - "$1/jobs.db" "$n" <<'PY'
import sqlite3, sys, uuid
db = sqlite3.connect(sys.argv[1])
job, target, payload = db.execute("SELECT job_id, target, payload FROM notifications WHERE event = 'failed' OR event = 'succeeded' LIMIT 1").fetchone()
db.executemany("INSERT INTO notifications (delivery, job_id, workflow, event, target, payload, state, next_at, created_at) "
               "VALUES (?, ?, 'bench', 'succeeded', ?, ?, 'pending', 0, strftime('%s') * 1000)",
               ((uuid.uuid4().hex, job + 1000000 + i, target, payload) for i in range(int(sys.argv[2]))))
db.commit()
PY
}
drain=() times=() rates=() rss=()
for d in a b c; do
  queue "$tmp/drain-$d"
  t0=$(date +%s%N)
  start "$tmp/drain-$d"
  drain+=("$(run_job "$tmp/drain-$d")")
  for _ in $(seq 600); do [ "$(pending "$tmp/drain-$d")" -eq 0 ] && break; sleep 0.05; done
  t1=$(date +%s%N)
  ms=$(( (t1 - t0) / 1000000 ))
  times+=("$ms")
  rates+=("$(( n * 1000 / ms ))")
  rss+=("$(hwm "$runner_pid")")
  kill -TERM "$runner_pid"; wait "$runner_pid" || true; runner_pid=""
done
median() { printf '%s\n' "$@" | sort -n | sed -n 2p; }
accepted=$(/usr/bin/python3 "$src/tests/runner/fetch.py" GET "$recv/_log" | tail -n +2 | grep -c '"status": 200' || true)
bad=$(/usr/bin/python3 "$src/tests/runner/fetch.py" GET "$recv/_log" | tail -n +2 | grep -c '"signature_ok": false' || true)
b=$(median "${base[@]}") d=$(median "${drain[@]}")
echo "job alone (ms):            ${base[*]} -> median $b; runner peak RSS ${base_rss} MiB"
echo "job during the drain (ms): ${drain[*]} -> median $d"
echo "ratio (drain / alone):     $(/usr/bin/python3 -c "print(round($d / $b, 3))")  (target <= 1.2)"
echo "$n queued -> empty (ms):   ${times[*]} (from the runner's start, its job included)"
echo "throughput (per second):   ${rates[*]} -> median $(median "${rates[@]}")"
echo "runner peak RSS (MiB):     ${rss[*]}"
echo "receiver: $accepted accepted, $bad with a bad signature"
