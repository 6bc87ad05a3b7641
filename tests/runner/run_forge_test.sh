#!/usr/bin/env bash
# End to end with the forges' APIs: the built runner against the stand-in forge
# (cwf-fake-forge on loopback) and repositories made with git. A pending
# commit waits, a status webhook lets it run, a failing one is skipped, a newer
# push supersedes a waiting job, a waiting job survives a restart, and every
# job and the workflows file post their statuses, exactly as documented.
# usage: run_forge_test.sh CONVOX_WORKFLOWS_BINARY SOURCE_DIR CWF_FAKE_FORGE_BINARY
set -u
bin=$(realpath "$1")
src=$(realpath "$2")
fake_bin=$(realpath "$3")
tmp=$(mktemp -d)
fake_pid=""
trap 'stop_all_runners; [ -n "$fake_pid" ] && kill "$fake_pid"; [ -z "${KEEP:-}" ] && rm -rf "$tmp"' EXIT
. "$src/tests/cli/lib.sh"
. "$src/tests/runner/lib.sh"
http() { /usr/bin/python3 "$src/tests/runner/fetch.py" "$@" >"$tmp/out" 2>"$tmp/err"; }
status_is() { [ "$(head -1 "$tmp/out")" = "$1" ]; }
# reason_has ID TEXT: the API shows job ID's reason containing TEXT.
reason_has() { http GET "$base/api/jobs/$1" && grep -qF "\"reason\":\"$2" "$tmp/out"; }

"$fake_bin" "$tmp/forge.port" &
fake_pid=$!
wait_for "the stand-in forge listens" 10 test -s "$tmp/forge.port"
api="http://127.0.0.1:$(cat "$tmp/forge.port")"
# forge_says FORGE REPO SHA JSON: what the stand-in answers for REPO@SHA (SHA '*': any).
forge_says() {
  printf '%s' "$4" >"$tmp/says.json"
  if [ "$1" = github ]; then http PUT "$api/_fake/github/$2/$3" --body-file "$tmp/says.json"
  else http PUT "$api/_fake/gitlab/$3?project=$2" --body-file "$tmp/says.json"; fi
}
pending='{"statuses": [{"context": "ci/test", "state": "pending"}]}'
green='{"statuses": [{"context": "ci/test", "state": "success"}], "check_runs": [{"name": "lint", "status": "completed", "conclusion": "success"}]}'
red='{"statuses": [{"context": "ci/test", "state": "failure"}, {"context": "ci/lint", "state": "success"}]}'
# posted PATH CONTEXT STATE [DESCRIPTION_PREFIX [TARGET_URL]]: the stand-in got that status POST.
posted() {
  http GET "$api/_fake/posts"
  /usr/bin/python3 - "$tmp/out" "$@" <<'PY'
import json, sys
out, path, context, state = sys.argv[1:5]
desc = sys.argv[5] if len(sys.argv) > 5 else ""
target = sys.argv[6] if len(sys.argv) > 6 else None
posts = json.loads(open(out).read().split("\n", 1)[1])
def ok(p):
    b = p["body"]
    name = b.get("context", b.get("name"))
    keys = {"state", "description", "target_url", "context" if "context" in b else "name"}
    return (p["target"] == path and name == context and b["state"] == state and b["description"].startswith(desc)
            and (target is None or b.get("target_url") == target) and set(b) <= keys)
sys.exit(0 if any(ok(p) for p in posts) else 1)
PY
}
# status_hook REPO SHA: a signed GitHub `status` delivery naming REPO@SHA.
status_hook() {
  printf '{"sha": "%s", "name": "%s", "context": "ci/test", "state": "success", "repository": {"full_name": "%s"}}' \
    "$2" "$1" "$1" >"$tmp/status.json"
  http POST "$base/hooks/github" -H "X-GitHub-Event: status" -H "Content-Type: application/json" \
    --body-file "$tmp/status.json" --github-secret "s3cret"
}

# The forge: acme/app and acme/ops (the workflows file) on "GitHub", group/app on "GitLab".
mkdir -p "$tmp/forge/acme" "$tmp/forge/group"
for r in acme/app acme/ops group/app; do
  name=${r//\//-}
  new_remote "$name"
  mv "$tmp/$name.git" "$tmp/forge/$r.git"
  git -C "$tmp/$name" remote set-url origin "$tmp/forge/$r.git"
done
cat >"$tmp/acme-ops/.convox-workflows.yml" <<'YML'
version: 1
workflows:
  - name: deploy
    trigger: {integration: github, repository: acme/app, branch: main}
    tasks: [{type: script, command: 'echo deployed $BUILD_GIT_SHA'}]
  - name: lab
    trigger: {integration: gitlab, repository: group/app, branch: main}
    tasks: [{type: script, command: 'echo from gitlab'}]
YML
git -C "$tmp/acme-ops" add -A && git -C "$tmp/acme-ops" commit -qm workflows && git -C "$tmp/acme-ops" push -q origin main
ops_sha=$(head_of acme-ops)
printf 's3cret' >"$tmp/secret"
data=$tmp/data
printf 'ghp-t0ken\n' >"$tmp/gh-token"
run_it() {  # with GITHUB_TOKEN or GITHUB_TOKEN_FILE set by the caller
  GITLAB_TOKEN=glpat-t0ken start_runner r.log --config-repo "$tmp/forge/acme/ops.git" \
    --data-dir "$data" --github-url "file://$tmp/forge" --gitlab-url "file://$tmp/forge" \
    --github-api-url "$api" --gitlab-api-url "$api/api/v4" --public-url "http://ci.example.test/" \
    --status-grace 2s --github-webhook-secret-file "$tmp/secret"
}
GITHUB_TOKEN=ghp-t0ken run_it
wait_for "the runner serves" 10 grep -q '"listen": "127.0.0.1:[1-9]' "$data/state.json"
base=$(runner_url "$data")
wait_for "the workflows file applies" 10 in_log r.log "applied the workflows file revision=$ops_sha"
wait_for "its commit gets convox-workflows/config: success" 10 \
  posted "/repos/acme/ops/statuses/$ops_sha" convox-workflows/config success ".convox-workflows.yml is valid" "http://ci.example.test/"
wait_for "the app remotes are listed" 10 test "$(grep -c "watching a new remote from its current heads" "$tmp/r.log")" -eq 3

# Pending: the job waits and says for what; the commit says so too.
forge_says github acme/app '*' "$pending"
push acme-app
one=$(head_of acme-app)
wait_for "a job is made" 10 jobs_are "$data" 1 --workflow deploy
wait_for "it waits, the API naming what for" 10 reason_has 1 "waiting for the commit's status: ci/test (pending)\""
check "waiting" job_is "$data" 1 waiting
wait_for "the commit shows it waiting" 10 \
  posted "/repos/acme/app/statuses/$one" convox-workflows/deploy pending "Waiting: waiting for the commit's status: ci/test (pending)" \
  "http://ci.example.test/jobs/1"
http GET "$base/metrics"
check "metrics: one job waiting" grep -qF "convox_workflows_jobs_waiting 1" "$tmp/out"
check "metrics: the forge is up" grep -qF 'convox_workflows_forge_up{forge="github"} 1' "$tmp/out"

# Green, and a status webhook: it runs at once (the poll would take up to 30 s).
forge_says github acme/app "$one" "$green"
status_hook acme/app "$one"
check "the status webhook: 202" status_is 202
check "it names the waiting job" grep -qF "again for 1 waiting job" "$tmp/out"
wait_for "the job runs and succeeds" 10 job_is "$data" 1 succeeded
wait_for "the commit: pending while it ran" 10 posted "/repos/acme/app/statuses/$one" convox-workflows/deploy pending "Running 1 task"
wait_for "then success" 10 posted "/repos/acme/app/statuses/$one" convox-workflows/deploy success "Succeeded" "http://ci.example.test/jobs/1"

# Failing: skipped, the failing context named, the commit marked.
forge_says github acme/app '*' "$red"
push acme-app
two=$(head_of acme-app)
wait_for "a failing commit's job is skipped" 10 job_is "$data" 2 skipped
check "the reason names the failing context" reason_has 2 "the commit's status is failing: ci/test (failure)\""
wait_for "the commit says it did not run" 10 posted "/repos/acme/app/statuses/$two" convox-workflows/deploy error "Not run: the commit's status is failing"

# A newer push supersedes the waiting job; the newest waits, also across a restart.
forge_says github acme/app '*' "$pending"
push acme-app
wait_for "job 3 waits" 10 job_is "$data" 3 waiting
push acme-app
four=$(head_of acme-app)
wait_for "job 4 waits" 10 job_is "$data" 4 waiting
check "job 3 is superseded" job_is "$data" 3 skipped
check "superseded, with the new head" reason_has 3 "superseded: main moved to ${four:0:12}"
stop_runner "SIGTERM with a job waiting"
check "after a stop the job still waits" job_is "$data" 4 waiting
old_base=$base
GITHUB_TOKEN_FILE=$tmp/gh-token run_it  # the token from a mounted secret file, as sidecars get it
wait_for "the runner serves again" 10 bash -c "grep -q '\"listen\": \"127.0.0.1:[1-9]' '$data/state.json' && ! grep -qF '${old_base#http://}' '$data/state.json'"
base=$(runner_url "$data")
sleep 1
check "after the restart it still waits" job_is "$data" 4 waiting
forge_says github acme/app "$four" "$green"
status_hook acme/app "$four"
check "the webhook reaches the new runner" status_is 202
wait_for "it runs once green" 5 job_is "$data" 4 succeeded
wait_for "its statuses carry the token read from GITHUB_TOKEN_FILE" 10 bash -c \
  "/usr/bin/python3 '$src/tests/runner/fetch.py' GET '$api/_fake/posts' | grep -qF '\"authorization\":\"Bearer ghp-t0ken\",\"body\":{\"context\":\"convox-workflows/deploy\",\"description\":\"Succeeded'"
run "healthcheck: the runner answers" 0 "$bin" healthcheck --listen "${base#http://}"

# A forge outage: the job waits, the reason and /metrics say why, then it runs.
printf '{"count": 9, "status": 503}' >"$tmp/trouble.json"
http POST "$api/_fake/trouble" --body-file "$tmp/trouble.json"
forge_says github acme/app '*' "$green"
push acme-app
wait_for "job 5 waits out the outage, its reason says so" 10 \
  reason_has 5 "cannot read the commit's status (retrying): GitHub commit status: HTTP 503"
http GET "$base/metrics"
check "metrics count the 5xx" grep -qE 'convox_workflows_forge_requests_total\{forge="github",reply="5xx"\} [1-9]' "$tmp/out"
wait_for "and it runs when the forge is back" 15 job_is "$data" 5 succeeded

# GitLab: the statuses API under /api/v4, the project's path URL-encoded.
forge_says gitlab group/app '*' '[{"id": 1, "name": "flaky", "status": "failed", "allow_failure": true}, {"id": 2, "name": "test", "status": "success"}]'
push group-app
lab=$(head_of group-app)
wait_for "the GitLab job runs" 10 jobs_are "$data" 1 --workflow lab --state succeeded
wait_for "GitLab: running" 10 posted "/api/v4/projects/group%2Fapp/statuses/$lab" convox-workflows/lab running "Running 1 task"
wait_for "GitLab: success" 10 posted "/api/v4/projects/group%2Fapp/statuses/$lab" convox-workflows/lab success "Succeeded"

# The workflows file: a broken change on a branch (a pull request) and on main.
git -C "$tmp/acme-ops" checkout -q -b typo
sed -i 's/type: script, command: .echo from gitlab./type: scirpt/' "$tmp/acme-ops/.convox-workflows.yml"
git -C "$tmp/acme-ops" commit -qam "a typo" && git -C "$tmp/acme-ops" push -q origin typo
typo=$(head_of acme-ops)
wait_for "the branch's commit gets convox-workflows/config: failure" 10 \
  posted "/repos/acme/ops/statuses/$typo" convox-workflows/config failure ".convox-workflows.yml:8:20: error: workflow 'lab': tasks[0]: type: unknown value '…'"
check "the branch changes nothing" in_log r.log "checked the workflows file of a branch branch=typo commit=${typo:0:12} errors=1"
git -C "$tmp/acme-ops" push -q origin typo:main
wait_for "on main: rejected, and failure posted" 10 in_log r.log "rejected the workflows file; the last good one keeps running revision=$typo"
git -C "$tmp/acme-ops" checkout -q main && git -C "$tmp/acme-ops" reset -q --hard "origin/typo"
git -C "$tmp/acme-ops" revert --no-edit HEAD >/dev/null && git -C "$tmp/acme-ops" push -q origin main
fixed=$(head_of acme-ops)
wait_for "the fix applies" 10 in_log r.log "applied the workflows file revision=$fixed"
wait_for "and its commit gets success" 10 posted "/repos/acme/ops/statuses/$fixed" convox-workflows/config success

check "no token in the runner's log" bash -c "! grep -qE 'ghp-t0ken|glpat-t0ken' '$tmp/r.log'"

# A forge that accepts and never answers must not hold the runner's exit.
printf '{"count": 20, "status": 0}' >"$tmp/trouble.json"
http POST "$api/_fake/trouble" --body-file "$tmp/trouble.json"
before=$(count_jobs "$data")
push acme-app
wait_for "a job is made" 10 jobs_are "$data" $((before + 1))
hung=$("$bin" jobs --data-dir "$data" --limit 1 | awk 'NR == 2 { print $1 }')
wait_for "a job waits on the silent forge" 10 job_is "$data" "$hung" waiting
sleep 0.5
stopped_at=$SECONDS
stop_runner "SIGTERM while the forge hangs"
check "the runner exits at once (not after the 10 s forge timeout)" test $((SECONDS - stopped_at)) -le 3
check "the job still waits, for the next start" job_is "$data" "$hung" waiting
run "status counts it" 0 "$bin" status --data-dir "$data"
expect "status: 1 waiting" out "0 running, 0 queued, 1 waiting for their commit's status"
summary run_forge
