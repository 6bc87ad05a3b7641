#!/usr/bin/env bash
# Notifications (issue 19): a job whose start queues 1,000 notifications at
# once (1,000 webhook destinations, in one commit with its `running` state)
# and runs while they drain, against the same job with none (`notify: []`),
# alternately in the same run (target: the job's duration ratio <= 1.2).
# Prints the drain's throughput, the runner's peak RSS before and after, and
# what the receiver (tests/runner/notify_receiver.py on 127.0.0.1, checking
# every signature) accepted.
# usage: bench/notify_bench.sh [BINARY] [NOTIFICATIONS] [ROUNDS]
set -euo pipefail
cd "$(dirname "$0")/.."
src=$PWD
bin=$(realpath "${1:-build/convox-workflows}")
n=${2:-1000}
rounds=${3:-5}
tmp=$(mktemp -d)
recv_pid="" runner_pid=""
trap '[ -n "$runner_pid" ] && kill -KILL $runner_pid 2>/dev/null; [ -n "$recv_pid" ] && kill $recv_pid 2>/dev/null; rm -rf "$tmp"' EXIT
. bench/lib.sh

/usr/bin/python3 tests/runner/notify_receiver.py "$tmp/recv.port" bench-secret T0/B0/x &
recv_pid=$!
for _ in $(seq 100); do [ -s "$tmp/recv.port" ] && break; sleep 0.1; done
recv="http://127.0.0.1:$(cat "$tmp/recv.port")"
bench_remote "$tmp/app.git" main
# The job has work to do: 600,000 log lines through its log and the store.
work='i=0; while [ $i -lt 600000 ]; do echo "line $i of a busy build"; i=$((i+1)); done'
{
  echo "version: 1"
  echo "notifications:"
  for i in $(seq "$n"); do echo "  - {on: [started], webhook: {url: \"$recv/hooks/b$i\", secret_env: BENCH_SECRET}}"; done
  echo "workflows:"
  echo "  - name: busy"
  echo "    trigger: {integration: git, repository: \"file://$tmp/app.git\", branch: busy}"
  echo "    tasks: [{type: script, command: '$work'}]"
  echo "  - name: alone"
  echo "    trigger: {integration: git, repository: \"file://$tmp/app.git\", branch: alone}"
  echo "    notify: []"
  echo "    tasks: [{type: script, command: '$work'}]"
} >"$tmp/wf.yml"
export BENCH_SECRET=bench-secret
git -C "$tmp/w" push -q origin main:busy main:alone

data=$tmp/data
"$bin" run --workflows-file "$tmp/wf.yml" --data-dir "$data" --listen 127.0.0.1:0 --poll-interval 1s --log-level warn \
  >>"$tmp/runner.log" 2>&1 &
runner_pid=$!
for _ in $(seq 100); do grep -q '"listen": "127' "$data/state.json" 2>/dev/null && break; sleep 0.1; done
sleep 1.5
hwm() { awk '/VmHWM/ {print int($2 / 1024)}' "/proc/$1/status"; }
# round BRANCH: pushes to it, waits for its job and the queue; prints
# "<job ms> <ms from the job's start until nothing is pending>".
round() {
  local last
  last=$(/usr/bin/python3 -c 'import sqlite3, sys; print(sqlite3.connect(sys.argv[1]).execute("SELECT coalesce(max(id), 0) FROM jobs").fetchone()[0])' "$data/jobs.db")
  git -C "$tmp/w" commit -q --allow-empty -m "bench $RANDOM" && git -C "$tmp/w" push -q -f origin "HEAD:refs/heads/$1"
  /usr/bin/python3 - "$data/jobs.db" "$last" <<'PY'
import sqlite3, sys, time
db = sqlite3.connect(sys.argv[1], timeout=30)
last, deadline = int(sys.argv[2]), time.time() + 120
row = None
while time.time() < deadline and not (row and row[1] is not None):
    row = db.execute("SELECT id, started_at FROM jobs WHERE id > ? ORDER BY id LIMIT 1", (last,)).fetchone()
    time.sleep(0.01)
job, started, drained = row[0], row[1], None
while time.time() < deadline:
    pending = db.execute("SELECT count(*) FROM notifications WHERE state = 'pending'").fetchone()[0]
    if drained is None and pending == 0:
        drained = int(time.time() * 1000) - started
    finished = db.execute("SELECT finished_at FROM jobs WHERE id = ?", (job,)).fetchone()[0]
    if finished is not None and drained is not None:
        print(finished - started, drained)
        break
    time.sleep(0.02)
PY
}
alone=() busy=() drains=()
for r in $(seq "$rounds"); do
  read -r ms _ < <(round alone)
  alone+=("$ms")
  read -r ms drained < <(round busy)
  busy+=("$ms")
  drains+=("$drained")
done
rss=$(hwm "$runner_pid")
kill -TERM "$runner_pid"; wait "$runner_pid" || true; runner_pid=""
median() { printf '%s\n' "$@" | sort -n | sed -n "$(( ($# + 1) / 2 ))p"; }
log=$(/usr/bin/python3 "$src/tests/runner/fetch.py" GET "$recv/_log" | tail -n +2)
accepted=$(grep -c '"status": 200' <<<"$log" || true)
bad=$(grep -c '"signature_ok": false' <<<"$log" || true)
a=$(median "${alone[@]}") b=$(median "${busy[@]}") d=$(median "${drains[@]}")
echo "job, no notification (ms):     ${alone[*]} -> median $a"
echo "job, $n at its start (ms):   ${busy[*]} -> median $b"
echo "ratio (busy / alone):          $(/usr/bin/python3 -c "print(round($b / $a, 3))")  (target <= 1.2)"
echo "$n sent after the start (ms): ${drains[*]} -> median $d ($(( n * 1000 / d )) per second)"
echo "runner peak RSS:               ${rss} MiB"
echo "receiver: $accepted accepted (of $((n * rounds))), $bad with a bad signature"
