#!/usr/bin/env bash
# End to end, the hard cases: SIGKILL in the middle of a job and a restart;
# pushes made while the runner is down; SIGTERM with jobs running; a remote
# that accepts connections and never answers; two workflows building one app.
# usage: run_recovery_test.sh CONVOX_WORKFLOWS_BINARY SOURCE_DIR
set -u
bin=$(realpath "$1")
src=$(realpath "$2")
tmp=$(mktemp -d)
hang_pid=""
marker=31.$$  # the orphaned task's sleep, killed at the end
trap 'stop_all_runners; [ -n "$hang_pid" ] && kill "$hang_pid" 2>/dev/null; pkill -f "sleep $marker"; rm -rf "$tmp"' EXIT
. "$src/tests/cli/lib.sh"
. "$src/tests/runner/lib.sh"

# A server that accepts and never answers (the kernel completes the handshake).
/usr/bin/python3 -c '
import socket, sys, time
s = socket.socket(); s.bind(("127.0.0.1", 0)); s.listen(16)
print(s.getsockname()[1], flush=True); time.sleep(3600)' >"$tmp/hang.port" &
hang_pid=$!
wait_for "the silent server listens" 10 test -s "$tmp/hang.port"
hang_port=$(cat "$tmp/hang.port")

for r in app other; do new_remote $r; done
wf=$tmp/workflows.yml
cat >"$wf" <<YML
version: 1
workflows:
  - name: slow
    trigger: {integration: git, repository: "file://$tmp/app.git", branch: main}
    tasks:
      - {type: script, name: started, command: 'echo started \$BUILD_GIT_SHA'}
      - {type: script, name: wait, command: 'if [ -f $tmp/long ]; then sleep $marker; else sleep 2; fi'}
  - name: dev
    trigger: {integration: git, repository: "file://$tmp/app.git", branch: dev}
    tasks: [{type: script, command: 'echo dev'}]
  - name: silent
    trigger: {integration: gitlab, repository: group/silent, branch: main, require_status: false}
    tasks: [{type: script, command: 'echo never'}]
  - name: web-a
    trigger: {integration: git, repository: "file://$tmp/app.git", branch: build}
    tasks: [{type: build, app: web}]
  - name: web-b
    trigger: {integration: git, repository: "file://$tmp/other.git", branch: build}
    tasks: [{type: build, app: web}]
YML
data=$tmp/data
fake_convox "$tmp/convox" FAKE_CONVOX_SLEEP=2
common=(--workflows-file "$wf" --data-dir "$data" --gitlab-url "http://127.0.0.1:$hang_port" --remote-timeout 3s
  --convox-bin "$tmp/convox" --max-parallel-jobs 4)
git -C "$tmp/app" push -q origin main:dev main:build
git -C "$tmp/other" push -q origin main:build

# A silent remote never delays a healthy one.
start_runner r1.log "${common[@]}"
wait_for "the app is watched" 10 in_log r1.log "watching a new remote from its current heads remote=file://$tmp/app.git"
push app
wait_for "a healthy remote's push runs while the silent one hangs" 6 jobs_are "$data" 1 --workflow slow --state succeeded
wait_for "the silent remote fails after --remote-timeout" 10 in_log r1.log "cannot list the remote's branches; backing off remote=http://127.0.0.1:$hang_port/group/silent.git"
check "with a timeout error" in_log r1.log "timed out after 3s"
status_has() { "$bin" status --data-dir "$data" | grep -qF -- "$1"; }
wait_for "status shows the failing remote" 5 status_has "http://127.0.0.1:$hang_port/group/silent.git: FAILING"
/usr/bin/python3 "$src/tests/runner/fetch.py" GET "$(runner_url "$data")/" >"$tmp/page"
check "so does the web UI, with its error and its next try" grep -qE "<li>remote <code>http://127.0.0.1:$hang_port/group/silent.git</code> failing \(1 in a row, (tried again in [0-9]+ s|being tried now|tried again now)\): <code>[^<]*timed out" "$tmp/page"

# Two workflows building one app never build it at the same time.
push app build
push other build
wait_for "both builds end" 20 jobs_are "$data" 1 --state succeeded --workflow web-a
wait_for "both builds end" 20 jobs_are "$data" 1 --state succeeded --workflow web-b
build_span() {  # the job's first and last log timestamps
  local id
  id=$("$bin" jobs --data-dir "$data" --workflow "$1" --limit 1 | awk 'NR == 2 { print $1 }')
  "$bin" logs "$id" --data-dir "$data" | awk 'NR == 1 { a = $1 } { b = $1 } END { print a, b }'
}
read -r a_start a_end < <(build_span web-a)
read -r b_start b_end < <(build_span web-b)
if [[ "$a_end" < "$b_start" || "$b_end" < "$a_start" ]]; then ok; else
  fail "builds of app web overlapped: web-a $a_start..$a_end, web-b $b_start..$b_end"
fi

# SIGTERM with a job running: it finishes within the grace, the runner exits 0.
push app
wait_for "a job runs" 10 jobs_are "$data" 1 --workflow slow --state running
stop_runner "SIGTERM while a job runs"
check "the job finished within the grace" jobs_are "$data" 2 --workflow slow --state succeeded

# SIGTERM with a job running past the grace: it is cancelled, and ends.
touch "$tmp/long"
start_runner r2.log "${common[@]}" --shutdown-grace 1s
wait_for "restarted" 10 in_log r2.log "runner started"
push app
wait_for "a long job runs" 10 jobs_are "$data" 1 --workflow slow --state running
stop_runner "SIGTERM past the grace"
check "the long job was cancelled" jobs_are "$data" 1 --workflow slow --state cancelled
check "nothing is left running" jobs_are "$data" 0 --state running

# SIGKILL in the middle of a job: on restart it is interrupted, not re-run.
start_runner r3.log "${common[@]}"
wait_for "restarted" 10 in_log r3.log "runner started"
push app
wait_for "a job runs" 10 jobs_are "$data" 1 --workflow slow --state running
killed=$("$bin" jobs --data-dir "$data" --state running | awk 'NR == 2 { print $1 }')
wait_for "its second task started" 10 in_log r3.log "job started job=$killed"
sleep 1
kill -KILL "$runner_pid"
wait "$runner_pid" 2>/dev/null
rm "$tmp/long"
# Pushes while it is down: each moved head runs once at start-up.
push app
down_main=$(head_of app)
push app dev
start_runner r4.log "${common[@]}"
wait_for "the killed job is interrupted" 10 in_log r4.log "job interrupted: the runner stopped while it ran; its log is kept, it is not re-run job=$killed"
check "its state" job_is "$data" "$killed" interrupted
run "its log is kept" 0 "$bin" logs "$killed" --data-dir "$data"
expect "the log up to the kill" out "started "
wait_for "the push made while down runs" 15 jobs_are "$data" 3 --workflow slow --state succeeded
wait_for "so does the dev branch's" 15 jobs_are "$data" 1 --workflow dev --state succeeded
newest=$("$bin" jobs --data-dir "$data" --workflow slow --limit 1 | awk 'NR == 2 { print $1 }')
check "the new job is on the head pushed while down" test "$(job_field "$data" "$newest" 5)" = "${down_main:0:12}"
stop_runner "after the restart"
start_runner r5.log "${common[@]}"
wait_for "restarted again" 10 in_log r5.log "runner started"
settle 3
check "a second restart runs nothing again" jobs_are "$data" 5 --workflow slow
check "nor the dev branch" jobs_are "$data" 1 --workflow dev
check "the interrupted job was never re-run" jobs_are "$data" 1 --state interrupted
stop_runner "the runner after two restarts"

# Queued jobs survive a shutdown and run at the next start.
touch "$tmp/long"
start_runner r6.log "${common[@]}" --max-parallel-jobs 1 --shutdown-grace 1s
wait_for "restarted with one slot" 10 in_log r6.log "runner started"
push app
wait_for "one job runs" 10 jobs_are "$data" 1 --state running
push app dev
wait_for "the other waits" 10 jobs_are "$data" 1 --state queued
queued=$("$bin" jobs --data-dir "$data" --state queued | awk 'NR == 2 { print $1 }')
stop_runner "SIGTERM with a job queued"
check "the queued job is still queued" job_is "$data" "$queued" queued
rm "$tmp/long"
start_runner r7.log "${common[@]}"
wait_for "it runs at the next start" 15 job_is "$data" "$queued" succeeded
stop_runner "the last runner"
summary run_recovery
