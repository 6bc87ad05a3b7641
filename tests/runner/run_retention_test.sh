#!/usr/bin/env bash
# --retain-jobs: a runner that keeps the 3 newest finished jobs prunes the
# older ones and their log files as jobs end; a running job is never pruned.
# usage: run_retention_test.sh CONVOX_WORKFLOWS_BINARY SOURCE_DIR
set -u
bin=$(realpath "$1")
src=$(realpath "$2")
tmp=$(mktemp -d)
trap 'stop_all_runners; [ -z "${KEEP:-}" ] && rm -rf "$tmp"' EXIT
. "$src/tests/cli/lib.sh"
. "$src/tests/runner/lib.sh"

new_remote app
cat >"$tmp/wf.yml" <<YML
version: 1
workflows:
  - name: quick
    trigger: {integration: git, repository: "file://$tmp/app.git", branch: main}
    tasks: [{type: script, command: 'echo quick \$BUILD_GIT_SHA'}]
  - name: slow
    trigger: {integration: git, repository: "file://$tmp/app.git", branch: slow}
    tasks: [{type: script, command: 'sleep 20; echo slow'}]
YML
data=$tmp/data
start_runner r.log --workflows-file "$tmp/wf.yml" --data-dir "$data" --retain-jobs 3 --shutdown-grace 1s
wait_for "the first listing" 10 in_log r.log "watching a new remote from its current heads"
push app slow
wait_for "the slow job runs" 10 jobs_are "$data" 1 --workflow slow --state running
# newest_quick_ran: the newest job of `quick` succeeded, on the branch's head.
newest_quick_ran() {
  [ "$("$bin" jobs --data-dir "$data" --workflow quick --limit 1 | awk 'NR == 2 { print $2, $5 }')" = \
    "succeeded $(head_of app | cut -c1-12)" ]
}
for i in 1 2 3 4 5; do
  push app
  wait_for "quick job $i succeeds" 10 newest_quick_ran
done
wait_for "only the 3 newest finished jobs are kept" 10 jobs_are "$data" 3 --state succeeded
check "the running job is not pruned" jobs_are "$data" 1 --workflow slow --state running
check "the pruning is logged" in_log r.log "pruned old jobs and their logs"
check "their log files went with them" test "$(ls "$data/logs" | wc -l)" -eq 4
newest=$("$bin" jobs --data-dir "$data" --workflow quick --limit 1 | awk 'NR == 2 { print $1 }')
run "the newest job's log is there" 0 "$bin" logs "$newest" --data-dir "$data"
expect "its output" out "quick $(head_of app)"
stop_runner "retention runner"
check "the slow job ended cancelled at the stop" jobs_are "$data" 1 --workflow slow --state cancelled
run "the next start prunes at once" 0 "$bin" run --once --listen off --workflows-file "$tmp/wf.yml" --data-dir "$data" --retain-jobs 3
check "3 finished jobs are left" jobs_are "$data" 3
summary run_retention
