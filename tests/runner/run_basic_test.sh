#!/usr/bin/env bash
# End to end, with the built binary and the git CLI: pushes to real bare
# repositories become jobs; branch globs, paths filters and the three
# concurrency policies; a workflows file on disk re-read when it changes.
# usage: run_basic_test.sh CONVOX_WORKFLOWS_BINARY SOURCE_DIR
set -u
bin=$(realpath "$1")
src=$(realpath "$2")
tmp=$(mktemp -d)
trap 'stop_all_runners; rm -rf "$tmp"' EXIT
. "$src/tests/cli/lib.sh"
. "$src/tests/runner/lib.sh"

for r in app q c s ops; do new_remote $r; done
cat >"$tmp/ops/.convox-workflows.yml" <<YML
version: 1
workflows:
  - name: test
    trigger: {integration: git, repository: "file://$tmp/app.git", branch: main}
    tasks:
      - {type: script, name: check, command: 'echo "commit=\$BUILD_GIT_SHA branch=\$GIT_BRANCH"'}
  - name: release
    trigger: {integration: git, repository: "file://$tmp/app.git", branch: "release/*"}
    tasks: [{type: script, command: 'echo releasing \$GIT_BRANCH'}]
  - name: docs
    trigger: {integration: git, repository: "file://$tmp/app.git", branch: main, paths: ["docs/**"]}
    tasks: [{type: script, command: 'echo docs'}]
  - name: queued
    trigger: {integration: git, repository: "file://$tmp/q.git", branch: main}
    tasks: [{type: script, command: 'sleep 4'}]
  - name: cancelling
    concurrency: cancel-previous
    trigger: {integration: git, repository: "file://$tmp/c.git", branch: main}
    tasks: [{type: script, command: 'sleep 5'}]
  - name: skipping
    concurrency: skip-if-running
    trigger: {integration: git, repository: "file://$tmp/s.git", branch: main}
    tasks: [{type: script, command: 'sleep 4'}]
YML
git -C "$tmp/ops" add -A && git -C "$tmp/ops" commit -qm workflows && git -C "$tmp/ops" push -q origin main

data=$tmp/data
start_runner r.log --config-repo "$tmp/ops.git" --data-dir "$data" --max-parallel-jobs 6
for r in app q c s; do
  wait_for "the runner starts from $r's current heads" 10 in_log r.log "watching a new remote from its current heads remote=file://$tmp/$r.git"
done
check "what was there before the runner is not run" jobs_are "$data" 0
check "the workflows file was applied" in_log r.log 'applied the workflows file'

# A push runs one job, on that commit.
push app
sha=$(head_of app)
wait_for "a push runs a job" 10 jobs_are "$data" 1 --workflow test --state succeeded
run "logs of the job" 0 "$bin" logs 1 --data-dir "$data"
expect "the job ran on the pushed commit" out "commit=$sha branch=main"
check "a paths filter holds back a push that changes no matching file" jobs_are "$data" 0 --workflow docs
push app main docs/guide.md
wait_for "a push changing docs/ runs the docs workflow" 10 jobs_are "$data" 1 --workflow docs --state succeeded
wait_for "and the main workflow again" 10 jobs_are "$data" 2 --workflow test --state succeeded

# Branch globs: created triggers, deleted never does, others never match.
push app release/1.0
wait_for "a new branch matching release/* runs" 10 jobs_are "$data" 1 --workflow release --state succeeded
git -C "$tmp/app" push -q origin :release/1.0
push app feature/x
wait_for "the deletion is seen" 10 in_log r.log "branch deleted remote=file://$tmp/app.git branch=release/1.0"
wait_for "the feature branch is seen" 10 in_log r.log "branch=feature/x"
settle 2
check "neither a deleted branch nor a non-matching one runs anything" jobs_are "$data" 4

# A force-push runs on its new head.
git -C "$tmp/app" reset -q --hard HEAD~2
push app
forced=$(head_of app)
wait_for "a force-push runs" 10 jobs_are "$data" 3 --workflow test --state succeeded
newest=$("$bin" jobs --data-dir "$data" --workflow test --limit 1 | awk 'NR == 2 { print $1 }')
check "on the new head" test "$(job_field "$data" "$newest" 5)" = "${forced:0:12}"

# queue: the second push waits for the first job.
push q
wait_for "queue: the first job runs" 10 jobs_are "$data" 1 --workflow queued --state running
push q
wait_for "queue: the second job waits" 10 jobs_are "$data" 1 --workflow queued --state queued
check "queue: one at a time" jobs_are "$data" 1 --workflow queued --state running
wait_for "queue: both run, in turn" 20 jobs_are "$data" 2 --workflow queued --state succeeded

# cancel-previous: the newer push cancels the running job.
push c
wait_for "cancel-previous: the first job runs" 10 jobs_are "$data" 1 --workflow cancelling --state running
push c
wait_for "cancel-previous: the first job is cancelled" 10 jobs_are "$data" 1 --workflow cancelling --state cancelled
wait_for "cancel-previous: the newer one runs to the end" 15 jobs_are "$data" 1 --workflow cancelling --state succeeded

# skip-if-running: a push while a job runs is skipped.
push s
wait_for "skip-if-running: the first job runs" 10 jobs_are "$data" 1 --workflow skipping --state running
push s
wait_for "skip-if-running: the second is skipped" 10 jobs_are "$data" 1 --workflow skipping --state skipped
wait_for "skip-if-running: the first ends well" 10 jobs_are "$data" 1 --workflow skipping --state succeeded
run "status" 0 "$bin" status --data-dir "$data"
expect "status shows the remotes" out "file://$tmp/app.git: ok"
expect "status shows the config as ready" out "ready: yes"
stop_runner "a runner with nothing running"
expect_log() { if in_log r.log "$1"; then ok; else fail "log lacks: $1"; fi; }
expect_log "stopped"

# A workflows file on disk: edits apply, a broken edit is rejected, a fix applies.
wf=$tmp/workflows.yml
cat >"$wf" <<YML
version: 1
workflows:
  - name: from-file
    trigger: {integration: git, repository: "file://$tmp/app.git", branch: main}
    tasks: [{type: script, command: 'echo one; echo "token=\${GITHUB_TOKEN:-unset} files=\${GITHUB_TOKEN_FILE:-unset},\${CONVOX_WORKFLOWS_API_TOKEN_FILE:-unset},\${CONVOX_WORKFLOWS_GITHUB_WEBHOOK_SECRET_FILE:-unset}"; echo "read: \$(cat $tmp/gh-token) \$(cat $tmp/api-token) \$(cat $tmp/hook-secret)"'}]
YML
data2=$tmp/data2
printf 'ghp_from_a_file' >"$tmp/gh-token"
printf 'api-t0ken' >"$tmp/api-token"
printf 'hook-secret' >"$tmp/hook-secret"
GITHUB_TOKEN_FILE=$tmp/gh-token CONVOX_WORKFLOWS_API_TOKEN_FILE=$tmp/api-token \
  CONVOX_WORKFLOWS_GITHUB_WEBHOOK_SECRET_FILE=$tmp/hook-secret start_runner f.log --workflows-file "$wf" --data-dir "$data2" --log-format json
wait_for "file: the runner watches the app" 10 in_log f.log "\"msg\":\"watching a new remote from its current heads\""
run "a second runner on the same data dir is refused" 1 "$bin" run --workflows-file "$wf" --data-dir "$data2"
expect "and says why" err "another runner is using $data2"
sed -i 's/echo one/echo two/' "$wf"
wait_for "file: an edit applies" 10 in_log f.log '"changes":"+0 ~1 -0: ~ from-file: tasks[0].command: \"echo one; echo'
printf '  - name: broken\n    trigger: {integration: git}\n' >>"$wf"
wait_for "file: a broken edit is rejected" 10 in_log f.log '"msg":"rejected the workflows file; the last good one keeps running"'
run "file: status is not ready" 1 "$bin" status --data-dir "$data2"
expect "file: status names the error with its place" out "$wf:7:14: error: workflow 'broken': trigger: missing required key 'repository'"
push app
wait_for "file: the last good config still runs" 10 jobs_are "$data2" 1 --workflow from-file --state succeeded
run "file: the job ran the edited command" 0 "$bin" logs 1 --data-dir "$data2"
expect "file: edited command" out "two"
expect "file: the runner's forge token is not passed to tasks" out "token=unset"
expect "file: nor the paths of its secrets' files" out "files=unset,unset,unset"
expect "file: a task that reads them anyway prints them masked" out "read: *** *** ***"
lacks "file: no secret in the log" out "api-t0ken"
sed -i '/name: broken/,$d' "$wf"
wait_for "file: the fix applies" 10 "$bin" status --data-dir "$data2"
stop_runner "file runner"

# --log-file: the runner's log goes to a rotated file, not stderr.
run "log file: a runner with --log-file" 0 "$bin" run --once --listen off --workflows-file "$wf" --data-dir "$data2" \
  --log-format json --log-file "$tmp/logs/runner.log"
lacks "log file: nothing on stderr" err "runner started"
check "log file: the log is in the file, JSON lines" grep -qF '"level":"info","msg":"runner started"' "$tmp/logs/runner.log"
touch "$tmp/not-a-dir"
run "log file: one that can't be opened is a usage error" 2 "$bin" run --once --listen off --workflows-file "$wf" \
  --data-dir "$data2" --log-file "$tmp/not-a-dir/runner.log"
expect "log file: and says which file" err "--log-file: "
expect "log file: and names it" err "$tmp/not-a-dir/runner.log"

# A FIFO as the workflows file is refused at once: it never blocks the loop,
# which takes the real file as soon as it's there.
mkfifo "$tmp/fifo.yml"
start_runner fifo.log --workflows-file "$tmp/fifo.yml" --data-dir "$tmp/fifo-data"
wait_for "fifo: refused as not a regular file" 10 grep -qF "is not a regular file" "$tmp/fifo-data/state.json"
rm "$tmp/fifo.yml" && cp "$wf" "$tmp/fifo.yml"
wait_for "fifo: the loop goes on and applies the real file" 10 "$bin" status --data-dir "$tmp/fifo-data"
stop_runner "fifo runner"

# Beyond loopback without an API token, a webhook secret or --allowed-hosts:
# warned at start, and by `status` afterwards.
run "exposed: a runner on 0.0.0.0" 0 "$bin" run --once --listen 0.0.0.0:0 --workflows-file "$wf" --data-dir "$tmp/exposed"
expect "exposed: it warns of the missing API token" err "beyond loopback without an API token"
expect "exposed: and of no webhook secret" err "beyond loopback with no webhook secret"
expect "exposed: and of any Host" err "without --allowed-hosts"
run "exposed: status" 0 "$bin" status --data-dir "$tmp/exposed"
expect "exposed: status shows the warning" out "warning: listening on 0.0.0.0 beyond loopback without an API token"
run "loopback: no warning" 0 "$bin" run --once --listen 127.0.0.1:0 --workflows-file "$wf" --data-dir "$tmp/loopback"
lacks "loopback: nothing to warn of" err "beyond loopback"
summary run_basic
