#!/usr/bin/env bash
# End to end, bad luck: the job store can't write (the database may not grow,
# as on a full disk: prlimit --fsize on the running runner) while a job runs.
# Its end is kept and shown, cancel and follow behave, and it lands when the
# store recovers, or after a restart. Then the watchdog: a listing stuck
# past every timeout, and a main loop that stopped, turn /readyz and status red.
# usage: run_faults_test.sh CONVOX_WORKFLOWS_BINARY SOURCE_DIR
set -u
bin=$(realpath "$1")
src=$(realpath "$2")
tmp=${KEEP_TMP:-$(mktemp -d)}
trap 'stop_all_runners; [ -n "${KEEP_TMP:-}" ] || rm -rf "$tmp"' EXIT
. "$src/tests/cli/lib.sh"
. "$src/tests/runner/lib.sh"
http() { /usr/bin/python3 "$src/tests/runner/fetch.py" "$@" >"$tmp/out" 2>"$tmp/err"; }
status_is() { [ "$(head -1 "$tmp/out")" = "$1" ]; }
auth=(-H "Authorization: Bearer api-t0ken")

new_remote app
wf=$tmp/workflows.yml
cat >"$wf" <<YML
version: 1
workflows:
  - name: slow
    trigger: {integration: git, repository: "file://$tmp/app.git", branch: main}
    tasks:
      - {type: script, name: first, command: 'touch $tmp/running; sleep 2; echo first done'}
      - {type: script, name: second, command: 'echo second'}
YML
data=$tmp/data
# The runner's own log goes through a pipe: only the data dir's files meet the limit.
start() {
  rm -f "$data/state.json"  # the last runner's names its port, not this one's
  CONVOX_WORKFLOWS_API_TOKEN=api-t0ken "$bin" run --poll-interval 1s --listen 127.0.0.1:0 --workflows-file "$wf" \
    --data-dir "$data" > >(cat >>"$tmp/r.log") 2>&1 &
  runner_pid=$!
  runner_pids="$runner_pids $runner_pid"
  wait_for "the runner serves" 10 grep -q '"listen": "127.0.0.1:[1-9]' "$data/state.json"
  base=$(runner_url "$data")
}
# full / roomy: the runner's files may not grow past the database's log / may again.
full() { prlimit --pid "$runner_pid" --fsize="$(stat -c %s "$data/jobs.db-wal")":unlimited; }
roomy() { prlimit --pid "$runner_pid" --fsize=unlimited:unlimited; }
job_json() { http GET "$base/api/jobs/$1" && /usr/bin/python3 -c 'import json,sys; j=json.loads(open(sys.argv[1]).read().split("\n",1)[1]); print(j["state"], "|", j["reason"], "|", j["tasks"][0]["state"], j["tasks"][1]["state"])' "$tmp/out"; }

start
wait_for "the app is watched" 10 in_log r.log "watching a new remote from its current heads"

# 1. The store recovers while the runner runs.
rm -f "$tmp/running"
push app
wait_for "job 1 runs" 10 test -f "$tmp/running"
full
wait_for "job 1 ends" 10 sh -c "grep -q 'cannot record the end of a job; keeping it and retrying' '$tmp/r.log'"
job_json 1 >"$tmp/j1"
check "the API shows its true end" grep -q "^failed | the job store could not record a task's start: .* | succeeded skipped$" "$tmp/j1"
check "the database doesn't have it yet" job_is "$data" 1 running
http POST "$base/api/jobs/1/cancel" "${auth[@]}"
check "cancel: it has ended (409)" status_is 409
check "cancel: says so" grep -q "has already ended (failed)" "$tmp/out"
timeout 10 "$bin" logs 1 --follow --server "$base" >"$tmp/follow" 2>&1
check "a follow stream ends (not at its 30 min cap)" test $? -eq 0
check "it printed the log" grep -q "first done" "$tmp/follow"
roomy
wait_for "the end lands when the store recovers" 15 job_is "$data" 1 failed
check "logged" in_log r.log "recorded the end of a job at last job=1"

# 2. Still full at shutdown: saved, and recorded by the next runner.
rm -f "$tmp/running"
push app
wait_for "job 2 runs" 10 test -f "$tmp/running"
full
wait_for "job 2 ends" 10 sh -c "test \$(grep -c 'cannot record the end of a job' '$tmp/r.log') -ge 2"
stop_runner "a runner with an unrecorded end"
check "it saved the end" test -s "$data/unrecorded-ends.json"
check "and said so" in_log r.log "the ends of jobs the store could not record are saved"
start
wait_for "the next runner records it" 10 job_is "$data" 2 failed
job_json 2 >"$tmp/j2"
check "with the true reason, not 'interrupted'" grep -q "^failed | the job store could not record a task's start: .* | succeeded skipped$" "$tmp/j2"
check "the saved file is gone" test ! -e "$data/unrecorded-ends.json"
check "the restart says so" in_log r.log "recorded the end of a job the last runner could not record job=2 state=failed"
stop_runner "the second runner"

# 3. A listing stuck where no timeout reaches: a local repository whose
# packed-refs is a FIFO blocks libgit2's open(). The watchdog says so.
git init -q --bare -b main "$tmp/stuck.git"
mkfifo "$tmp/stuck.git/packed-refs"
cat >"$tmp/stuck.yml" <<YML
version: 1
workflows:
  - name: stuck
    trigger: {integration: git, repository: "file://$tmp/stuck.git", branch: main}
    tasks: [{type: script, command: 'echo never'}]
YML
data=$tmp/data3
rm -f "$data/state.json"
"$bin" run --poll-interval 1s --remote-timeout 1s --listen 127.0.0.1:0 --workflows-file "$tmp/stuck.yml" \
  --data-dir "$data" > >(cat >>"$tmp/s.log") 2>&1 &
runner_pid=$!
runner_pids="$runner_pids $runner_pid"
wait_for "the stuck runner serves" 10 grep -q '"listen": "127.0.0.1:[1-9]' "$data/state.json"
base=$(runner_url "$data")
http GET "$base/readyz"
check "ready while the listing is young" status_is 200
wait_for "readyz turns red past 10 x --remote-timeout" 20 sh -c "/usr/bin/python3 '$src/tests/runner/fetch.py' GET '$base/readyz' | head -1 | grep -q 503"
http GET "$base/readyz"
check "and says what is stuck" grep -q "listing file://$tmp/stuck.git has taken 1[0-9] s, past every timeout" "$tmp/out"
wait_for "state.json says so" 10 grep -q "has taken" "$data/state.json"
run "status fails" 1 "$bin" status --data-dir "$data"
expect "status: stalled" out "runner: STALLED (pid $runner_pid)"
expect "status: what" out "stalled: listing file://$tmp/stuck.git has taken"
# Unstuck: the FIFO gets a writer, the listing ends, all is well again.
mv "$tmp/stuck.git/packed-refs" "$tmp/stuck.fifo"
: >"$tmp/stuck.fifo"
wait_for "readyz is green again" 10 sh -c "/usr/bin/python3 '$src/tests/runner/fetch.py' GET '$base/readyz' | head -1 | grep -q 200"
stop_runner "the unstuck runner"

# A runner alive whose state.json stopped moving: its main loop is stuck.
mkdir -p "$tmp/data4"
sleep 60 &
alive=$!
printf '{"pid": %s, "config": {"ready": true}, "remotes": [], "jobs": {}, "heartbeat_at": %s}\n' "$alive" \
  "$(( $(date +%s) * 1000 - 30000 ))" >"$tmp/data4/state.json"
run "status: a stale state.json fails" 1 "$bin" status --data-dir "$tmp/data4"
# 30 s, or 31 when a second turned between writing the file and reading it.
check "status: stale" grep -qE "stalled: state.json was last written 3[01]s ago: the main loop is stuck" "$tmp/out"
kill "$alive"
summary run_faults
