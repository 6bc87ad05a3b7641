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

# A job's page, live: its log as numbered HTML lines and its head over server-sent events.
http GET "$base/jobs/$ticker/events"
check "the live stream of an ended job: 200" status_is 200
check "its lines, numbered, as on the page" grep -qE '^data: (</span>)?<span class="line" id="L3"><a class="ln" href="#L3" data-n="3"></a>.* tick 2$' "$tmp/out"
check "each event's id is where the next starts" grep -qE '^id: [0-9]+-[0-9]+--1-0$' "$tmp/out"
check "its head once" test "$(grep -c '^event: head' "$tmp/out")" = 1
check "and its end" grep -qxF 'data: succeeded' "$tmp/out"
http GET "$base/api/jobs/$ticker/log"
three=$(tail -n +2 "$tmp/out" | head -3 | wc -c)  # the first three lines' bytes (fetch.py's status line aside)
http GET "$base/jobs/$ticker/events" -H "Last-Event-ID: $three-4--1-0"
check "a reconnect resumes where its last event ended" grep -qE '^data: <span class="line" id="L4">.* tick 3$' "$tmp/out"
lacks "and sends nothing twice" out 'tick 2'
http GET "$base/jobs/$ticker/events?from=1-0-99-7"
check "a position no page gives: 400" status_is 400

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
lacks "signed out, a build's page has no buttons" out "/promote\""
check "but a way to sign in, and back" grep -qF "<a href=\"/login?next=%2Fjobs%2F$built\">Sign in</a> to cancel" "$tmp/out"

# Signing in: the token once, for a cookie only this site gets and no script reads.
printf 'token=api-t0ken&next=/jobs/%s' "$built" >"$tmp/login"
http POST "$base/login" "${form[@]}" -H "Origin: http://evil.example" --body-file "$tmp/login" --no-follow
check "a sign-in from another site: 403" status_is 403
http POST "$base/login" "${form[@]}" -H "Origin: $base" --body-file "$tmp/badform" --no-follow
check "a wrong token: 401, with the form again" status_is 401
check "which says why" grep -qF 'wrong API token' "$tmp/out"
http POST "$base/login" "${form[@]}" -H "Origin: $base" --body-file "$tmp/login" --no-follow --show-header Set-Cookie --show-header Location
check "the right one: back to the page it came from" grep -qxF "Location: /jobs/$built" "$tmp/out"
check "with a session cookie, HttpOnly and SameSite=Strict" grep -qE '^Set-Cookie: cwf_session=[0-9a-f]{64}; Path=/; HttpOnly; SameSite=Strict; Max-Age=43200$' "$tmp/out"
cookie=$(sed -n 's/^Set-Cookie: \(cwf_session=[0-9a-f]*\);.*/\1/p' "$tmp/out")
printf 'token=api-t0ken&next=//evil.example/x' >"$tmp/login2"
http POST "$base/login" "${form[@]}" -H "Origin: $base" --body-file "$tmp/login2" --no-follow --show-header Location
check "never back to another host" grep -qxF "Location: /" "$tmp/out"
http GET "$base/jobs/$built" -H "Cookie: $cookie"
check "signed in, a build's page has a Promote button" grep -qF "action=\"/jobs/$built/tasks/0/promote\"" "$tmp/out"
csrf=$(grep -o 'name="csrf" value="[0-9a-f]*"' "$tmp/out" | head -1 | sed 's/.*value="\(.*\)"/\1/')
check "its forms carry the session's form token" test ${#csrf} = 64
lacks "and no API token field" out 'name="token"'

# The workflows' Run buttons: a branch's head (the trigger's branch filled in), or a commit.
http GET "$base/workflows" -H "Cookie: $cookie"
check "each workflow has a Run form" grep -qF "<form method=\"post\" action=\"/workflows/hello/run\" class=\"run\"><input type=\"hidden\" name=\"csrf\" value=\"$csrf\"><input name=\"branch\" placeholder=\"branch\" size=\"12\" maxlength=\"255\" value=\"master\"" "$tmp/out"
check "and its last job" grep -qE '<td><a href="/jobs/[0-9]+">#[0-9]+</a> <span class="dot' "$tmp/out"
before=$(count_jobs "$data" --workflow hello)
printf 'csrf=%s&branch=master' "$csrf" >"$tmp/runform"
http POST "$base/workflows/hello/run" "${form[@]}" -H "Origin: $base" -H "Cookie: $cookie" --body-file "$tmp/runform"
check "Run, signed in: the new job's page" status_is 200
wait_for "which runs" 10 jobs_are "$data" $((before + 1)) --workflow hello
printf 'csrf=%s&branch=master' "$(printf %064d 0)" >"$tmp/staleform"
http POST "$base/workflows/hello/run" "${form[@]}" -H "Origin: $base" -H "Cookie: $cookie" --body-file "$tmp/staleform"
check "the session's cookie without its form token: 401" status_is 401
http POST "$base/workflows/hello/run" "${form[@]}" -H "Origin: $base" --body-file "$tmp/runform"
check "the form token without the cookie: 401" status_is 401
printf 'csrf=%s' "$csrf" >"$tmp/logout"
http POST "$base/logout" "${form[@]}" -H "Origin: $base" -H "Cookie: $cookie" --body-file "$tmp/logout" --no-follow --show-header Set-Cookie
check "signing out clears the cookie" grep -qF 'Set-Cookie: cwf_session=; Path=/; HttpOnly; SameSite=Strict; Max-Age=0' "$tmp/out"
http POST "$base/workflows/hello/run" "${form[@]}" -H "Origin: $base" -H "Cookie: $cookie" --body-file "$tmp/runform"
check "and ends the session on the runner" status_is 401
http GET "$base/static/app.js"
check "the page's script is served" grep -qF "EventSource" "$tmp/out"
before=$(count_jobs "$data" --workflow hello)
printf 'token=api-t0ken&branch=master&commit=' >"$tmp/runform"
before=$(count_jobs "$data" --workflow hello)
http POST "$base/workflows/hello/run" "${form[@]}" -H "Origin: $base" --body-file "$tmp/runform"
check "Run with the API token as a field (a script's form post) leads to the new job's page" status_is 200
check "a manual job" grep -qF ', manual, created' "$tmp/out"
wait_for "which runs" 10 jobs_are "$data" $((before + 1)) --workflow hello
printf 'token=api-t0ken&branch=no-such-branch' >"$tmp/runform"
http POST "$base/workflows/hello/run" "${form[@]}" -H "Origin: $base" --body-file "$tmp/runform"
check "an unknown branch: the API's 422" status_is 422
check "and a way back" grep -qF 'back to all jobs' "$tmp/out"
http POST "$base/workflows/hello/run" "${form[@]}" -H "Origin: http://evil.example" --body-file "$tmp/runform"
check "Run from another site: 403" status_is 403
stop_runner "http runner"

# --ui-auth required: the pages and the read API need a session or the token.
run "--ui-auth required without an API token" 2 "$bin" run --workflows-file "$tmp/wf.yml" --data-dir "$tmp/d2" --ui-auth required
expect "says why" err "--ui-auth required needs an API token"
CONVOX_WORKFLOWS_API_TOKEN=api-t0ken start_runner r2.log --workflows-file "$tmp/wf.yml" --data-dir "$data" --poll-interval 60s \
  --ui-auth required
wait_serving "$data"
http GET "$base/jobs/1" --no-follow --show-header Location
check "a page sends a stranger to sign in" grep -qxF "Location: /login?next=%2Fjobs%2F1" "$tmp/out"
http GET "$base/api/jobs"
check "the read API: 401" status_is 401
http GET "$base/api/jobs" -H "Authorization: Bearer api-t0ken"
check "unless it has the token" status_is 200
for open in /healthz /login /static/app.css /metrics; do
  http GET "$base$open"
  check "$open stays open" status_is 200
done
printf 'token=api-t0ken' >"$tmp/login"
http POST "$base/login" "${form[@]}" -H "Origin: $base" --body-file "$tmp/login" --no-follow --show-header Set-Cookie
cookie=$(sed -n 's/^Set-Cookie: \(cwf_session=[0-9a-f]*\);.*/\1/p' "$tmp/out")
http GET "$base/jobs/1" -H "Cookie: $cookie"
check "signed in, the page" status_is 200
stop_runner "ui-auth runner"
summary run_http
