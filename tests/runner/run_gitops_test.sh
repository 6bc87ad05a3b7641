#!/usr/bin/env bash
# End to end, GitOps: the workflows file lives in a config repository; its
# revisions apply without a restart, an invalid one keeps the last good config
# running and says why. The app is served by `git daemon` over git://, so its
# commits go through the runner's mirror.
# usage: run_gitops_test.sh CONVOX_WORKFLOWS_BINARY SOURCE_DIR
set -u
bin=$(realpath "$1")
src=$(realpath "$2")
tmp=$(mktemp -d)
daemon_pid=""
trap 'stop_all_runners; [ -n "$daemon_pid" ] && kill "$daemon_pid" 2>/dev/null; [ -z "${KEEP:-}" ] && rm -rf "$tmp"' EXIT
. "$src/tests/cli/lib.sh"
. "$src/tests/runner/lib.sh"

mkdir -p "$tmp/forge/acme"
new_remote app
mv "$tmp/app.git" "$tmp/forge/acme/app.git"
git -C "$tmp/app" remote set-url origin "$tmp/forge/acme/app.git"
port=$(/usr/bin/python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
git daemon --reuseaddr --export-all --base-path="$tmp/forge" --listen=127.0.0.1 --port="$port" "$tmp/forge" \
  >"$tmp/daemon.log" 2>&1 &
daemon_pid=$!
wait_for "git daemon serves" 10 git ls-remote "git://127.0.0.1:$port/acme/app.git"

new_remote ops
workflows() {  # the workflows file: deploy, plus what is passed
  cat >"$tmp/ops/.convox-workflows.yml" <<YML
version: 1
workflows:
  - name: deploy
    trigger: {integration: github, repository: acme/app, branch: main, require_status: false}
    tasks: [{type: script, command: 'echo deploying \$BUILD_GIT_SHA; cat change.txt'}]
$1
YML
  git -C "$tmp/ops" add -A && git -C "$tmp/ops" commit -qm "$2" && git -C "$tmp/ops" push -q origin main
}
workflows "  - name: long
    trigger: {integration: github, repository: acme/app, branch: main, require_status: false}
    tasks: [{type: script, command: 'sleep 4; echo long done'}]" "two workflows"
good=$(head_of ops)

data=$tmp/data
start_runner r.log --config-repo "file://$tmp/ops.git" --data-dir "$data" --github-url "git://127.0.0.1:$port" \
  --max-parallel-jobs 4
wait_for "the config applies" 10 in_log r.log "applied the workflows file revision=$good workflows=2"
wait_for "the app is watched over git://" 10 in_log r.log "watching a new remote from its current heads remote=git://127.0.0.1:$port/acme/app.git"

push app
sha=$(head_of app)
wait_for "a push over git:// runs deploy" 15 jobs_are "$data" 1 --workflow deploy --state succeeded
run "deploy's log" 0 "$bin" logs --data-dir "$data" "$(count_jobs "$data")"
check "the commit came through the mirror" ls -d "$data"/mirrors/127.0.0.1_"$port"_acme_app.git-*.git
wait_for "long runs" 10 jobs_are "$data" 1 --workflow long --state running
long_id=$("$bin" jobs --data-dir "$data" --workflow long | awk 'NR == 2 { print $1 }')

# Removing a workflow while its job runs: the job finishes, nothing new starts.
workflows "" "remove long"
removed=$(head_of ops)
wait_for "the removal applies" 10 in_log r.log "applied the workflows file revision=$removed workflows=1 changes=\"+0 ~0 -1: - long\""
check "the running job of the removed workflow goes on" job_is "$data" "$long_id" running
wait_for "and ends well" 10 job_is "$data" "$long_id" succeeded

# An invalid revision: nothing changes, the error is in the log and the status.
cat >>"$tmp/ops/.convox-workflows.yml" <<'YML'
  - name: broken
    trigger: {integration: github, repository: acme/app, branch: main}
    tasks: [{type: biuld, app: web}]
root:$6$s3cr3t-salt$hash: the file's own text
YML
git -C "$tmp/ops" commit -qam "a typo" && git -C "$tmp/ops" push -q origin main
bad=$(head_of ops)
wait_for "the invalid revision is rejected" 10 in_log r.log "rejected the workflows file; the last good one keeps running revision=$bad last_applied_revision=$removed"
check "the log has the error's place, not the file's text" in_log r.log ".convox-workflows.yml:9:20: error: workflow 'broken': tasks[0]: type: unknown value '…' (expected one of: build, copy, promote, review_app, run, script); did you mean 'build'?"
check "the unknown key: its place only" in_log r.log ".convox-workflows.yml:10:1: error: file: unknown key '…'"
if grep -q "s3cr3t-salt\|biuld" "$tmp/r.log" "$data/state.json"; then fail "the log or state.json quote the rejected file"; else ok; fi
run "status says not ready" 1 "$bin" status --data-dir "$data" --format json
expect "status: ready false" out '"ready": false'
expect "status: last applied" out "\"last_applied_revision\": \"$removed\""
expect "status: last attempted" out "\"last_attempted_revision\": \"$bad\""
expect "status: the error" out ".convox-workflows.yml:9:20: error: workflow 'broken': tasks[0]: type: unknown value '…'"
lacks "status: not the file's text" out "s3cr3t-salt"
before=$(count_jobs "$data")
push app
wait_for "the last good config keeps running" 15 jobs_are "$data" $((before + 1))
wait_for "its job succeeds" 15 jobs_are "$data" 2 --workflow deploy --state succeeded

# The fix applies, and an added workflow starts from the current head.
workflows "  - name: added
    trigger: {integration: github, repository: acme/app, branch: main, require_status: false}
    tasks: [{type: script, command: 'echo added'}]" "fix, and add a workflow"
fixed=$(head_of ops)
wait_for "the fix applies" 10 in_log r.log "applied the workflows file revision=$fixed workflows=2 changes=\"+1 ~0 -0: + added\""
run "status is ready again" 0 "$bin" status --data-dir "$data"
settle 2
check "an added workflow does not run on the current head" jobs_are "$data" 0 --workflow added
push app
wait_for "it runs on the next push" 15 jobs_are "$data" 1 --workflow added --state succeeded
check "and the removed one never again" jobs_are "$data" 1 --workflow long

# A file too large, read from git only up to the limit: the error has its real size.
head -c 6291456 /dev/zero | tr '\0' '#' >>"$tmp/ops/.convox-workflows.yml"
git -C "$tmp/ops" commit -qam "too large" && git -C "$tmp/ops" push -q origin main
wait_for "a file too large is rejected" 10 in_log r.log "revision=$(head_of ops)"
run "status: too large" 1 "$bin" status --data-dir "$data"
expect "status: its real size" out ".convox-workflows.yml:1:1: error: file is too large (6.0 MiB); the limit is 4.0 MiB"
stop_runner "gitops runner"
summary run_gitops
