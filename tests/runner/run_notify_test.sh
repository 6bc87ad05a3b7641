#!/usr/bin/env bash
# End to end, notifications (issue 19): a runner's jobs notify a signed-webhook
# receiver and a Slack-shaped one (tests/runner/notify_receiver.py) on
# 127.0.0.1. A failing job notifies once, signed; a receiver answering 500
# twice then 200 gets one accepted delivery; `recovered` only on the first
# success after a failure; waiting_promote for a build nothing promoted; a 4xx
# is final, a 429 is retried; a hanging receiver holds nothing else up; a
# runner killed before the delivery delivers it after its restart, once; the
# secrets reach no task, log, API reply or file.
# usage: run_notify_test.sh CONVOX_WORKFLOWS_BINARY SOURCE_DIR
set -u
bin=$(realpath "$1")
src=$(realpath "$2")
tmp=$(mktemp -d)
recv_pid=""
trap 'stop_all_runners; [ -n "$recv_pid" ] && kill "$recv_pid" 2>/dev/null; [ -z "${KEEP:-}" ] && rm -rf "$tmp"' EXIT
. "$src/tests/cli/lib.sh"
. "$src/tests/runner/lib.sh"
http() { /usr/bin/python3 "$src/tests/runner/fetch.py" "$@" >"$tmp/out" 2>"$tmp/err"; }

secret="hook-secret-$$-$RANDOM"
token="T0TEST$$/B0TEST/slacktoken$RANDOM"
/usr/bin/python3 "$src/tests/runner/notify_receiver.py" "$tmp/recv.port" "$secret" "$token" &
recv_pid=$!
wait_for "the receivers listen" 10 test -s "$tmp/recv.port"
recv="http://127.0.0.1:$(cat "$tmp/recv.port")"
plan() { http POST "$recv/_plan" --body-file <(printf '%s' "$1"); }
# received [FILTER]: the receivers' log as JSON lines, through a Python filter over e (one entry).
received() {
  http GET "$recv/_log"
  tail -n +2 "$tmp/out" | /usr/bin/python3 -c '
import json, sys
f = sys.argv[1] if len(sys.argv) > 1 else "True"
for line in sys.stdin:
    e = json.loads(line)
    b = json.loads(e["body"]) if e["body"].startswith("{") else {}
    if eval(f): print(line, end="")' "${1:-True}"
}
count() { received "$1" | grep -c .; }
count_is() { [ "$(count "$1")" -eq "$2" ]; }

new_remote app
git -C "$tmp/app" push -q origin main:ship main:quiet main:slow
wf=$tmp/workflows.yml
cat >"$wf" <<YML
version: 1
notifications:
  - on: [started, succeeded, failed, recovered, waiting_promote]
    webhook: {url: "$recv/hooks/a", secret_env: HOOK_SECRET}
  - on: [failed, recovered]
    slack: {webhook_url_env: SLACK_URL}
workflows:
  - name: ci
    trigger: {integration: git, repository: "file://$tmp/app.git", branch: main}
    tasks:
      - {type: script, name: env, command: 'env | sort'}
      - {type: script, name: test, command: 'if grep -q fail verdict.txt 2>/dev/null; then echo "tests failed <!channel>"; exit 3; fi'}
  - name: ship
    trigger: {integration: git, repository: "file://$tmp/app.git", branch: ship}
    tasks: [{type: build, app: web}]
  - name: slowpoke
    trigger: {integration: git, repository: "file://$tmp/app.git", branch: slow}
    notify: [{on: [succeeded], webhook: {url: "$recv/hooks/slow", secret_env: HOOK_SECRET}}]
    tasks: [{type: script, command: 'true'}]
  - name: quiet
    trigger: {integration: git, repository: "file://$tmp/app.git", branch: quiet}
    notify: []
    tasks: [{type: script, command: 'exit 1'}]
YML
data=$tmp/data
fake_convox "$tmp/convox"
export HOOK_SECRET=$secret SLACK_URL=$recv/services/$token
echo "api-token-$$" >"$tmp/api-token"
common=(--workflows-file "$wf" --data-dir "$data" --convox-bin "$tmp/convox" --notify-retry 1s
  --public-url https://ci.acme.example --api-token-file "$tmp/api-token")
start_runner r1.log "${common[@]}"
wait_serving "$data"

# verdict BRANCH pass|fail MESSAGE: a commit on BRANCH whose ci job passes or fails.
verdict() {
  echo "$2 $RANDOM" >"$tmp/app/verdict.txt"
  git -C "$tmp/app" add -A && git -C "$tmp/app" commit -qm "$3" && git -C "$tmp/app" push -q -f origin "HEAD:refs/heads/$1"
}

# A failing job: started and failed to the webhook, failed to Slack, each once and signed.
verdict main fail "Break <!channel> the build"
wait_for "the failing job's notifications" 20 count_is 'e["event"] == "failed" and e["status"] == 200' 2
check "the webhook heard started once" count_is 'e["path"] == "/hooks/a" and e["event"] == "started"' 1
check "the webhook heard failed once" count_is 'e["path"] == "/hooks/a" and e["event"] == "failed"' 1
check "every webhook delivery is signed" count_is 'e["path"].startswith("/hooks/") and not e.get("signature_ok")' 0
check "the body says what failed" count_is 'b.get("event") == "failed" and b["job"]["state"] == "failed" and b["tasks"][1]["state"] == "failed" and b["tasks"][1]["reason"] != "" and b["commit"]["message"] == "Break <!channel> the build" and b["job"]["url"].startswith("https://ci.acme.example/jobs/") and b["finished_at"].endswith("Z") and b["delivery"] == e["delivery"]' 1
check "Slack heard it once, its <!channel> escaped" count_is 'e["path"].startswith("/services/") and e["event"] == "failed" and "&lt;!channel&gt;" in e["body"] and "<!channel>" not in e["body"]' 1
check "Slack's message names the failing task" count_is 'e["path"].startswith("/services/") and "Task *test* failed" in e["body"]' 1
check "a User-Agent" count_is 'not (e["user_agent"] or "").startswith("convox-workflows/")' 0

# Two 500s then a 200: one accepted delivery (the job's first event to the
# receiver takes them: a receiver hears a job's events in order).
plan '{"path": "/hooks/a", "codes": [500, 500]}'
verdict main pass "Fix the build"
wait_for "the recovery is accepted" 30 count_is 'e["path"] == "/hooks/a" and e["event"] == "recovered" and e["status"] == 200' 1
check "two 500s came before it" count_is 'e["path"] == "/hooks/a" and e["status"] == 500' 2
received 'e["path"] == "/hooks/a"' >"$tmp/hooks.jsonl"
check "the 500s and one 200 carried one delivery id, in order" /usr/bin/python3 -c '
import json, sys
log = [json.loads(l) for l in open(sys.argv[1])]
failed = {e["delivery"] for e in log if e["status"] == 500}
assert len(failed) == 1, failed
d = failed.pop()
mine = [e["status"] for e in log if e["delivery"] == d]
assert mine == [500, 500, 200], mine
started = [i for i, e in enumerate(log) if e["delivery"] == d][-1]
recovered = [i for i, e in enumerate(log) if e["event"] == "recovered"][0]
assert started < recovered, (started, recovered)' "$tmp/hooks.jsonl"
check "no delivery was accepted twice" count_is 'e.get("repeat")' 0
wait_for "Slack heard the recovery" 10 count_is 'e["path"].startswith("/services/") and e["event"] == "recovered" and e["status"] == 200' 1
http GET "$base/api/notifications?state=delivered&limit=1000"
check "the API shows the three attempts" /usr/bin/python3 -c '
import json, sys
b = json.loads(open(sys.argv[1]).read().split("\n", 1)[1])
n = [x for x in b["notifications"] if x["attempts"] == 3]
assert len(n) == 1 and n[0]["event"] == "started" and n[0]["last_status"] == 200 and n[0]["kind"] == "webhook", n
assert b["counts"]["delivered"] >= 6, b["counts"]' "$tmp/out"

# A second success is no recovery: succeeded to the webhook, nothing to Slack.
verdict main pass "Another green"
wait_for "a plain success" 20 count_is 'e["path"] == "/hooks/a" and e["event"] == "succeeded" and e["status"] == 200' 1
settle 2
check "recovered fired once only" count_is 'e["event"] == "recovered" and e["status"] == 200' 2
check "Slack heard no success" count_is 'e["path"].startswith("/services/") and e["event"] not in ("failed", "recovered")' 0

# A build nothing promoted: waiting_promote, with its release.
push app ship
wait_for "waiting_promote" 20 count_is 'e["event"] == "waiting_promote" and b["waiting_promote"][0]["app"] == "web" and b["waiting_promote"][0]["release"] != ""' 1
# A workflow with notify: [] tells nobody.
before=$(count True)
push app quiet
wait_for "the quiet job fails" 20 jobs_are "$data" 1 --workflow quiet --state failed
settle 2
check "the quiet workflow notified nobody" count_is 'b.get("workflow") == "quiet"' 0

# Slack answering 404 (a removed webhook): final after one attempt; a 429 is retried.
plan "{\"path\": \"/services/$token\", \"codes\": [404]}"
verdict main fail "Break it again"
wait_for "a 404 gives up at once" 20 bash -c "'$bin' status --data-dir '$data' | grep -q 'notifications: .* 1 failed'"
http GET "$base/api/notifications?state=failed"
check "the failed one says why, after one attempt" /usr/bin/python3 -c '
import json, sys
b = json.loads(open(sys.argv[1]).read().split("\n", 1)[1])
n = b["notifications"]
assert len(n) == 1 and n[0]["attempts"] == 1 and n[0]["last_status"] == 404 and n[0]["last_error"].startswith("HTTP 404"), n
assert n[0]["target"] == "slack ($SLACK_URL)", n' "$tmp/out"
plan "{\"path\": \"/services/$token\", \"codes\": [429]}"
verdict main pass "Green after a rate limit"
wait_for "a 429 is tried again" 20 count_is 'e["path"].startswith("/services/") and e["event"] == "recovered" and e["status"] == 200' 2
http GET "$base/metrics"
expect "metrics count what is stored" out 'convox_workflows_notifications{state="failed"} 1'
expect "metrics count the attempts" out 'convox_workflows_notification_attempts_total{kind="slack",outcome="failed"} 1'
run "status shows the notifications" 0 "$bin" status --data-dir "$data"
expect "status names the failed one" out "last failed: job"
# Sent again by hand once the receiver is fixed.
failed_id=$(/usr/bin/python3 -c 'import json, sys; print(json.loads(open(sys.argv[1]).read().split("\n", 1)[1])["notifications"][0]["id"])' <(/usr/bin/python3 "$src/tests/runner/fetch.py" GET "$base/api/notifications?state=failed"))
http POST "$base/api/notifications/$failed_id/retry"
check "a retry needs the API token" grep -qx 401 <(head -1 "$tmp/out")
run "the failed one is listed" 0 "$bin" notifications --data-dir "$data" --state failed
expect "with its target and error" out "slack (\$SLACK_URL)"
expect "with its error" out "HTTP 404: planned failure"
run "a given-up one is queued again" 0 "$bin" notifications --server "$base" --token-file "$tmp/api-token" --retry "$failed_id"
expect "the CLI says so" out "notification $failed_id queued again"
wait_for "and delivered" 10 bash -c "'$bin' status --data-dir '$data' | grep -q 'notifications: .* 0 failed'"
http POST "$base/api/notifications/$failed_id/retry" -H "Authorization: Bearer api-token-$$"
check "a delivered one is not sent again" grep -qx 409 <(head -1 "$tmp/out")
check "Slack got the retried failure" count_is 'e["path"].startswith("/services/") and e["event"] == "failed" and "Break it again" in e["body"] and e["status"] == 200' 1

# A receiver that hangs holds one delivery, nothing else: jobs run, others are told, HTTP answers.
plan '{"path": "/hooks/slow", "hang": 6}'
push app slow
wait_for "the slow receiver's job ends" 10 jobs_are "$data" 1 --workflow slowpoke --state succeeded
verdict main pass "While a receiver hangs"
wait_for "another receiver hears of the next job meanwhile" 5 count_is 'b.get("commit", {}).get("message") == "While a receiver hangs" and b["event"] == "succeeded" and e["status"] == 200' 1
check "the slow receiver has not answered yet" count_is 'e["path"] == "/hooks/slow"' 0
http GET "$base/healthz"
check "the HTTP side answers" grep -qx 200 <(head -1 "$tmp/out")
plan '{"path": "/hooks/slow", "hang": 0}'
wait_for "the slow receiver's answer is taken" 15 count_is 'e["path"] == "/hooks/slow" and e["status"] == 200' 1

# Killed before the delivery: delivered after the restart, once.
plan '{"path": "/hooks/a", "codes": [503, 503, 503, 503, 503, 503, 503, 503, 503, 503]}'
verdict main fail "Break it while the receiver is down"
wait_for "the receiver refuses the job's start" 20 count_is 'e["path"] == "/hooks/a" and b.get("commit", {}).get("message") == "Break it while the receiver is down" and e["status"] == 503' 1
wait_for "the job ended" 20 jobs_are "$data" 3 --workflow ci --state failed
kill -KILL "$runner_pid"
wait "$runner_pid" 2>/dev/null
plan '{"path": "/hooks/a", "codes": []}'
start_runner r2.log "${common[@]}"
wait_for "the restarted runner delivers it" 30 count_is 'e["path"] == "/hooks/a" and e["event"] == "failed" and b.get("commit", {}).get("message") == "Break it while the receiver is down" and e["status"] == 200' 1
check "the restarted runner resumed its queue" in_log r2.log "resuming the notifications' queue"
settle 2
check "still once" count_is 'e["path"] == "/hooks/a" and e["event"] == "failed" and e["status"] == 200' 3
check "its start too, once" count_is 'e["path"] == "/hooks/a" and b.get("commit", {}).get("message") == "Break it while the receiver is down" and e["status"] == 200' 2
check "no delivery was accepted twice" count_is 'e.get("repeat")' 0
stop_runner r2

# The secrets: in no job log, no runner log, no API reply, no file of the data dir.
token_part=${token##*/}
check "the tasks saw neither secret" bash -c "! grep -rqF -e '$secret' -e '$token_part' '$data/logs'"
check "the job log has the task's env" bash -c "grep -rqF 'PATH=' '$data/logs'"
check "the runner's logs have neither" bash -c "! grep -qF -e '$secret' -e '$token_part' '$tmp/r1.log' '$tmp/r2.log'"
check "no file of the data dir has them" bash -c "! grep -rqaF -e '$secret' -e '$token_part' '$data'"
summary run_notify
