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
# A job with work to do: 600,000 log lines through the job's log and the store.
cat >"$tmp/wf.yml" <<YML
version: 1
notifications:
  - on: [started, succeeded, failed]
    webhook: {url: "$recv/hooks/bench", secret_env: BENCH_SECRET}
workflows:
  - name: bench
    trigger: {integration: git, repository: "file://$tmp/app.git", branch: main}
    tasks: [{type: script, command: 'i=0; while [ \$i -lt 600000 ]; do echo "line \$i of a busy build"; i=\$((i+1)); done'}]
YML
export BENCH_SECRET=bench-secret

start() {  # start DATA: a runner on DATA; $runner_pid
  "$bin" run --workflows-file "$tmp/wf.yml" --data-dir "$1" --listen 127.0.0.1:0 --poll-interval 1s --log-level warn \
    --notify-retry 1s >>"$tmp/runner.log" 2>&1 &
  runner_pid=$!
  for _ in $(seq 100); do grep -q '"listen": "127' "$1/state.json" 2>/dev/null && break; sleep 0.1; done
}
pending() { /usr/bin/python3 -c 'import sqlite3, sys; print(sqlite3.connect(sys.argv[1]).execute("SELECT count(*) FROM notifications WHERE state = '"'pending'"'").fetchone()[0])' "$1/jobs.db"; }
hwm() { awk '/VmHWM/ {print int($2 / 1024)}' "/proc/$1/status"; }

job_running() { "$bin" jobs --data-dir "$1" --state running | tail -n +2 | grep -q bench; }
# The newest job's duration in ms, once it has ended.
last_job_ms() {
  /usr/bin/python3 - "$1/jobs.db" <<'PY'
import sqlite3, sys, time
db = sqlite3.connect(sys.argv[1])
for _ in range(1200):
    ms, = db.execute("SELECT finished_at - started_at FROM jobs ORDER BY id DESC LIMIT 1").fetchone()
    if ms is not None:
        print(ms)
        break
    time.sleep(0.05)
PY
}
# The first notification of the store, copied N times as pending, in one
# transaction from another process (as a backlog after an outage would be).
queue() {
  /usr/bin/python3 - "$1/jobs.db" "$n" <<'PY'
import sqlite3, sys, uuid
db = sqlite3.connect(sys.argv[1], timeout=30)
job, target, payload = db.execute("SELECT job_id, target, payload FROM notifications ORDER BY id LIMIT 1").fetchone()
db.executemany("INSERT INTO notifications (delivery, job_id, workflow, event, target, payload, state, next_at, created_at) "
               "VALUES (?, ?, 'bench', 'succeeded', ?, ?, 'pending', 0, strftime('%s') * 1000)",
               ((uuid.uuid4().hex, 1000000 + i, target, payload) for i in range(int(sys.argv[2]))))
db.commit()
PY
}
push_job() { git -C "$tmp/w" commit -q --allow-empty -m "bench $RANDOM" && git -C "$tmp/w" push -q origin main; }

data=$tmp/data
start "$data"
sleep 1.5
base=() drain=() times=() rates=()
for i in 1 2 3 4 5; do  # alone
  push_job
  for _ in $(seq 100); do job_running "$data" && break; sleep 0.05; done
  base+=("$(last_job_ms "$data")")
  sleep 0.5
done
base_rss=$(hwm "$runner_pid")
for i in 1 2 3 4 5; do  # with 1,000 notifications queued once it runs
  push_job
  for _ in $(seq 100); do job_running "$data" && break; sleep 0.05; done
  t0=$(date +%s%N)
  queue "$data"
  for _ in $(seq 1200); do [ "$(pending "$data")" -eq 0 ] && break; sleep 0.02; done
  t1=$(date +%s%N)
  drain+=("$(last_job_ms "$data")")
  ms=$(( (t1 - t0) / 1000000 ))
  times+=("$ms")
  rates+=("$(( n * 1000 / ms ))")
  sleep 0.5
done
rss=$(hwm "$runner_pid")
kill -TERM "$runner_pid"; wait "$runner_pid" || true; runner_pid=""
median() { printf '%s\n' "$@" | sort -n | sed -n "$(( ($# + 1) / 2 ))p"; }
accepted=$(/usr/bin/python3 "$src/tests/runner/fetch.py" GET "$recv/_log" | tail -n +2 | grep -c '"status": 200' || true)
bad=$(/usr/bin/python3 "$src/tests/runner/fetch.py" GET "$recv/_log" | tail -n +2 | grep -c '"signature_ok": false' || true)
b=$(median "${base[@]}") d=$(median "${drain[@]}")
echo "job alone (ms):              ${base[*]} -> median $b"
echo "job during a drain (ms):     ${drain[*]} -> median $d"
echo "ratio (drain / alone):       $(/usr/bin/python3 -c "print(round($d / $b, 3))")  (target <= 1.2)"
echo "$n queued -> all sent (ms): ${times[*]}"
echo "throughput (per second):     ${rates[*]} -> median $(median "${rates[@]}")"
echo "runner peak RSS (MiB):       ${base_rss} before the drains, ${rss} after"
echo "receiver: $accepted accepted, $bad with a bad signature"
