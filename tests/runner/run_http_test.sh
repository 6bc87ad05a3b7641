#!/usr/bin/env bash
# End to end over HTTP: a runner polling rarely (60 s) is woken by a signed
# GitHub push webhook (a real payload) and runs the job at once; a forged one
# does nothing; the API shows the job and its log; /metrics counts it all.
# usage: run_http_test.sh CONVOX_WORKFLOWS_BINARY SOURCE_DIR
set -u
bin=$(realpath "$1")
src=$(realpath "$2")
tmp=$(mktemp -d)
trap 'stop_all_runners; [ -z "${KEEP:-}" ] && rm -rf "$tmp"' EXIT
. "$src/tests/cli/lib.sh"
. "$src/tests/runner/lib.sh"
http() { /usr/bin/python3 "$src/tests/runner/fetch.py" "$@" >"$tmp/out" 2>"$tmp/err"; }
status_is() { [ "$(head -1 "$tmp/out")" = "$1" ]; }

# The payload names Codertocat/Hello-World, branch master; the forge is a directory here.
mkdir -p "$tmp/forge/Codertocat" "$tmp/forge/mike"
new_remote diaspora
mv "$tmp/diaspora.git" "$tmp/forge/mike/diaspora.git"
git -C "$tmp/diaspora" remote set-url origin "$tmp/forge/mike/diaspora.git"
git -C "$tmp/diaspora" push -q origin main:master
new_remote hello
mv "$tmp/hello.git" "$tmp/forge/Codertocat/Hello-World.git"
git -C "$tmp/hello" remote set-url origin "$tmp/forge/Codertocat/Hello-World.git"
git -C "$tmp/hello" push -q origin main:master
cat >"$tmp/wf.yml" <<YML
version: 1
workflows:
  - name: hello
    trigger: {integration: github, repository: Codertocat/Hello-World, branch: master, require_status: false}
    tasks: [{type: script, command: 'echo hello from \$BUILD_GIT_SHA'}]
  - name: release
    trigger: {integration: github, repository: Codertocat/Hello-World, branch: never, require_status: false}
    tasks: [{type: build, app: web}, {type: copy, app: web-eu}]
  - name: diaspora
    trigger: {integration: gitlab, repository: mike/diaspora, branch: master, require_status: false}
    tasks: [{type: script, command: 'echo gitlab push'}]
  - name: ticker
    trigger: {integration: github, repository: Codertocat/Hello-World, branch: never, require_status: false}
    tasks: [{type: script, command: 'for i in 1 2 3 4 5; do echo "tick \$i"; sleep 0.4; done'}]
  - name: long
    trigger: {integration: github, repository: Codertocat/Hello-World, branch: never, require_status: false}
    tasks: [{type: script, command: 'sleep 30'}]
YML
printf "It's a Secret to Everybody\n" >"$tmp/secret"
printf "gl-secret" >"$tmp/gl-secret"
data=$tmp/data
fake_convox "$tmp/convox" FAKE_CONVOX_CALLS="$tmp/convox-calls"
CONVOX_WORKFLOWS_API_TOKEN=api-t0ken start_runner r.log --workflows-file "$tmp/wf.yml" --data-dir "$data" --poll-interval 60s \
  --convox-bin "$tmp/convox" \
  --github-url "file://$tmp/forge" --github-webhook-secret-file "$tmp/secret" \
  --gitlab-url "file://$tmp/forge" --gitlab-webhook-secret-file "$tmp/gl-secret"
wait_for "the runner serves" 10 grep -q '"listen": "127.0.0.1:[1-9]' "$data/state.json"
base=$(runner_url "$data")
wait_for "the first listings" 10 test "$(grep -c "watching a new remote from its current heads" "$tmp/r.log")" -eq 2
payload=$src/tests/fixtures/webhooks/github-webhooks/push_with-new-branch.payload.json

http GET "$base/healthz" && check "healthz" status_is 200
http GET "$base/readyz" && check "readyz" status_is 200
push hello master
sha=$(head_of hello)

# A forged delivery (wrong secret) changes nothing, even much later.
http POST "$base/hooks/github" -H "X-GitHub-Event: push" -H "X-GitHub-Delivery: forged-1" -H "Content-Type: application/json" --body-file "$payload" \
  --github-secret "not the secret"
check "a forged delivery is refused" status_is 401
settle 2
check "and starts nothing" jobs_are "$data" 0

# A signed one: the remote is listed now, not in 60 s.
http POST "$base/hooks/github" -H "X-GitHub-Event: push" -H "X-GitHub-Delivery: real-1" -H "Content-Type: application/json" \
  --body-file "$payload" --github-secret "It's a Secret to Everybody"
check "a signed push is accepted" status_is 202
wait_for "the job runs at once" 5 jobs_are "$data" 1 --state succeeded
check "the delivery is logged" in_log r.log "webhook delivery forge=github delivery=real-1 event=push outcome=polled status=202"
http POST "$base/hooks/github" -H "X-GitHub-Event: push" -H "X-GitHub-Delivery: replay-1" -H "Content-Type: application/json" \
  --body-file "$payload" --github-secret "It's a Secret to Everybody"
settle 1
check "a replayed delivery runs nothing again" jobs_are "$data" 1

# GitLab's documented push payload, replayed with its token.
push diaspora master
before=$(count_jobs "$data")
http POST "$base/hooks/gitlab" -H "X-Gitlab-Event: Push Hook" -H "X-Gitlab-Token: nope" -H "Content-Type: application/json" \
  --body-file "$src/tests/fixtures/webhooks/gitlab-webhooks/push_hook.json"
check "a wrong GitLab token: 401" status_is 401
http POST "$base/hooks/gitlab" -H "X-Gitlab-Event: Push Hook" -H "X-Gitlab-Token: gl-secret" -H "Content-Type: application/json" \
  --body-file "$src/tests/fixtures/webhooks/gitlab-webhooks/push_hook.json"
check "GitLab's push: 202" status_is 202
wait_for "GitLab's push runs at once" 5 jobs_are "$data" 1 --workflow diaspora --state succeeded

http GET "$base/api/jobs?workflow=hello"
check "the API lists the job" grep -qF "\"commit\":\"$sha\"" "$tmp/out"
http GET "$base/api/jobs/1/log"
check "the API serves its log" grep -qF "hello from $sha" "$tmp/out"
http GET "$base/api/config"
check "the API shows the config" grep -qF '"ready":true' "$tmp/out"
http GET "$base/metrics"
check "metrics count the delivery" grep -qF 'convox_workflows_webhook_deliveries_total{forge="github",outcome="polled"} 2' "$tmp/out"
check "metrics count the job" grep -qF 'convox_workflows_jobs_total{workflow="hello",state="succeeded"} 1' "$tmp/out"
# Actions: trigger, rerun, cancel, with the bearer token.
auth=(-H "Authorization: Bearer api-t0ken" -H "Content-Type: application/json")
printf '{"branch": "master"}' >"$tmp/master.json"
http POST "$base/api/workflows/hello/trigger" -H "Content-Type: application/json" --body-file "$tmp/master.json"
check "no token: 401" status_is 401
http POST "$base/api/workflows/hello/trigger" "${auth[@]}" --body-file "$tmp/master.json"
check "trigger: 201" status_is 201
check "trigger: a manual job on the branch head" grep -qF "\"commit\":\"$sha\",\"trigger\":\"manual\"" "$tmp/out"
wait_for "the manual job runs" 10 jobs_are "$data" 2 --workflow hello --state succeeded
http POST "$base/api/jobs/1/rerun" "${auth[@]}"
check "rerun: 201" status_is 201
check "rerun: linked to the old job" grep -qF '"trigger":"rerun","state":"queued","reason":"","parent_job_id":1' "$tmp/out"
wait_for "the rerun runs" 10 jobs_are "$data" 3 --workflow hello --state succeeded
http POST "$base/api/jobs/1/cancel" "${auth[@]}"
check "cancel an ended job: 409" status_is 409
http POST "$base/api/workflows/long/trigger" "${auth[@]}" --body-file "$tmp/master.json"
long=$(reply_field id)
wait_for "the long job runs" 10 job_is "$data" "$long" running
http POST "$base/api/jobs/$long/cancel" "${auth[@]}"
check "cancel a running job: 202" status_is 202
wait_for "it ends cancelled" 15 job_is "$data" "$long" cancelled
# Promote: the release a build made (promote: false), as a new job.
http POST "$base/api/workflows/release/trigger" "${auth[@]}" --body-file "$tmp/master.json"
built=$(reply_field id)
wait_for "the build runs" 10 job_is "$data" "$built" succeeded
http POST "$base/api/jobs/$built/tasks/0/promote" "${auth[@]}"
check "promote: 201" status_is 201
check "promote: one promote task, linked to the build's job" grep -qF "\"parent_job_id\":$built" "$tmp/out"
promoted=$(reply_field id)
wait_for "the promotion runs" 10 job_is "$data" "$promoted" succeeded
http GET "$base/api/jobs/$built"
release=$(reply_field tasks 0 release_id)
check "the build's release was promoted, with the rollout wait" grep -qE "^releases	promote	$release	--app	web	--wait" "$tmp/convox-calls"
http POST "$base/api/jobs/$built/tasks/1/promote" "${auth[@]}"
check "promote a copy's release: 201" status_is 201
wait_for "the copy's promotion runs" 10 job_is "$data" "$(reply_field id)" succeeded
http GET "$base/api/jobs/$built"
copied=$(reply_field tasks 1 release_id)
check "the copy's release was promoted on its own app" grep -qE "^releases	promote	$copied	--app	web-eu	--wait" "$tmp/convox-calls"
http POST "$base/api/jobs/1/tasks/0/promote" "${auth[@]}"
check "a script task cannot be promoted: 422" status_is 422
printf '{"commit": "%s"}' "$(printf 'f%.0s' $(seq 40))" >"$tmp/nocommit.json"
http POST "$base/api/workflows/hello/trigger" "${auth[@]}" --body-file "$tmp/nocommit.json"
check "a commit the remote lacks: 422" status_is 422
http POST "$base/api/workflows/nope/trigger" "${auth[@]}" --body-file "$tmp/master.json"
check "an unknown workflow: 404" status_is 404
# The CLI as a client of the API.
run "jobs --server" 0 "$bin" jobs --server "$base" --workflow hello
expect "jobs --server lists the runner's jobs" out "hello"
run "logs --server" 0 "$bin" logs 1 --server "$base"
expect "logs --server prints the log" out "hello from $sha"
run "logs --server of no job" 1 "$bin" logs 999 --server "$base"
expect "says why" err "no such job (HTTP 404)"
run "trigger without a token" 1 "$bin" trigger hello --branch master --server "$base"
expect "says why" err "a valid Authorization: Bearer <token> is required (HTTP 401)"
CONVOX_WORKFLOWS_API_TOKEN=api-t0ken run "trigger --server" 0 "$bin" trigger hello --branch master --server "$base"
expect "trigger prints the job" out "hello on ${sha:0:12} (master)"
printf 'api-t0ken\n' >"$tmp/token"
run "rerun --server" 0 "$bin" rerun 1 --server "$base" --token-file "$tmp/token"
expect "rerun prints its parent" out ", from job 1"
run "cancel an ended job" 1 "$bin" cancel 1 --server "$base" --token-file "$tmp/token"
expect "says why" err "has already ended (succeeded) (HTTP 409)"
run "trigger needs --server" 2 "$bin" trigger hello --branch master

# Following a log while the task prints: every line, and the end when the job ends.
CONVOX_WORKFLOWS_API_TOKEN=api-t0ken run "trigger the ticker" 0 "$bin" trigger ticker --branch master --server "$base"
ticker=$(awk '{ print $2 }' "$tmp/out")
run "logs --follow --server while it prints" 0 "$bin" logs "$ticker" --follow --server "$base"
expect "the first line" out "tick 1"
expect "the last line" out "tick 5"
expect "the task's end" out "<== "
check "the job had ended when the stream did" job_is "$data" "$ticker" succeeded

# The web UI's buttons post the token as a form field, then show the job:
# only from the runner's own pages (Origin, else Referer), never in the URL.
printf 'token=api-t0ken' >"$tmp/form"
printf 'token=wrong' >"$tmp/badform"
: >"$tmp/empty"
form=(-H "Content-Type: application/x-www-form-urlencoded")
http POST "$base/jobs/1/rerun" "${form[@]}" -H "Origin: $base" --body-file "$tmp/badform"
check "a button with a wrong token: 401" status_is 401
http POST "$base/jobs/1/rerun" "${form[@]}" --body-file "$tmp/form"
check "a form post without Origin or Referer: 403" status_is 403
http POST "$base/jobs/1/rerun" "${form[@]}" -H "Origin: http://evil.example" --body-file "$tmp/form"
check "a form post from another site: 403" status_is 403
http POST "$base/jobs/1/rerun?token=api-t0ken" "${form[@]}" -H "Origin: $base" --body-file "$tmp/empty"
check "the token in the query string: 401" status_is 401
http POST "$base/jobs/1/rerun" "${form[@]}" -H "Referer: $base/jobs/1" --body-file "$tmp/form"
check "the Rerun button leads to the new job's page" status_is 200
check "which says whose rerun it is" grep -qF 'rerun of <a href="/jobs/1">job 1</a>' "$tmp/out"
http GET "$base/jobs/$built"
check "a build's page has a Promote button" grep -qF "action=\"/jobs/$built/tasks/0/promote\"" "$tmp/out"

# The workflows' Run buttons: a branch's head (the trigger's branch filled in), or a commit.
http GET "$base/"
check "each workflow has a Run form" grep -qF '<form method="post" action="/workflows/hello/run" class="run"><input name="branch" placeholder="branch" size="12" maxlength="255" value="master"' "$tmp/out"
check "and its last job" grep -qE '<td><a href="/jobs/[0-9]+">#[0-9]+</a> <span class="dot' "$tmp/out"
before=$(count_jobs "$data" --workflow hello)
printf 'token=api-t0ken&branch=master&commit=' >"$tmp/runform"
http POST "$base/workflows/hello/run" "${form[@]}" -H "Origin: $base" --body-file "$tmp/runform"
check "Run leads to the new job's page" status_is 200
check "a manual job" grep -qF ', manual, created' "$tmp/out"
wait_for "which runs" 10 jobs_are "$data" $((before + 1)) --workflow hello
printf 'token=api-t0ken&branch=no-such-branch' >"$tmp/runform"
http POST "$base/workflows/hello/run" "${form[@]}" -H "Origin: $base" --body-file "$tmp/runform"
check "an unknown branch: the API's 422" status_is 422
check "and a way back" grep -qF 'back to all jobs' "$tmp/out"
http POST "$base/workflows/hello/run" "${form[@]}" -H "Origin: http://evil.example" --body-file "$tmp/runform"
check "Run from another site: 403" status_is 403
stop_runner "http runner"
summary run_http
