#!/usr/bin/env bash
# End to end with review apps: the built runner, the stand-in forge listing
# PRs, a bare repository publishing refs/pull/N/head, and the stand-in convox
# CLI keeping its rack's state. A PR's first job creates web-pr-N, sets its
# environment, builds, migrates, promotes and reads its URL; the next head
# reuses the app; closing the PR deletes it once (also when the runner was
# down then); an app the runner did not create is never deployed to nor
# deleted.
# usage: run_review_apps_test.sh CONVOX_WORKFLOWS_BINARY SOURCE_DIR CWF_FAKE_FORGE_BINARY
set -u
bin=$(realpath "$1")
src=$(realpath "$2")
fake_bin=$(realpath "$3")
tmp=$(mktemp -d)
fake_pid=""
trap 'stop_all_runners; [ -n "$fake_pid" ] && kill "$fake_pid"; [ -z "${KEEP:-}" ] && rm -rf "$tmp"' EXIT
. "$src/tests/cli/lib.sh"
. "$src/tests/runner/lib.sh"
. "$src/tests/runner/pr_lib.sh"
start_forge_stand_in "$fake_bin"

mkdir -p "$tmp/forge/acme"
new_remote web
ln -s "$tmp/web.git" "$tmp/forge/acme/web.git"
echo 'services: {web: {build: .}}' >"$tmp/web/convox.yml"
git -C "$tmp/web" add -A && git -C "$tmp/web" commit -qm manifest && git -C "$tmp/web" push -q origin main
cat >"$tmp/workflows.yml" <<'YML'
version: 1
workflows:
  - name: review
    trigger:
      integration: github
      repository: acme/web
      require_status: false
      pull_request: {base: main}
    tasks:
      - type: review_app
        app: web
        rack: acme/dev
        manifest: convox.yml
        environment: {RAILS_ENV: review}
        before_promote: {service: web, command: bin/migrate}
      - {type: script, command: 'echo "smoke test of $REVIEW_APP at $REVIEW_APP_URL"'}
  - name: short-lived
    trigger:
      integration: github
      repository: acme/web
      require_status: false
      pull_request: {base: "short/*"}
    tasks:
      - {type: review_app, app: tmp, rack: acme/dev, manifest: convox.yml, expire_after: 2s}
YML
state=$tmp/racks
fake_convox "$tmp/convox" FAKE_CONVOX_CALLS="$tmp/convox-calls" FAKE_CONVOX_STATE="$state"
printf 's3cret' >"$tmp/secret"
data=$tmp/data
run_it() {
  GITHUB_TOKEN=ghp-t0ken start_runner r.log --workflows-file "$tmp/workflows.yml" --data-dir "$data" \
    --github-url "file://$tmp/forge" --github-api-url "$api" --github-webhook-secret-file "$tmp/secret" \
    --convox-bin "$tmp/convox" --public-url "https://ci.example.test"
  wait_serving "$data"
}
# deployed TARGET KEY=VALUE...: the stand-in forge got a POST to TARGET whose JSON body has these values.
posted() {
  http GET "$api/_fake/posts"
  /usr/bin/python3 - "$tmp/out" "$@" <<'PY'
import json, sys
posts = json.loads(open(sys.argv[1]).read().split("\n", 1)[1])
target, pairs = sys.argv[2], [a.split("=", 1) for a in sys.argv[3:]]
def ok(p):
    return (p["target"] == target or (target.endswith("*") and p["target"].startswith(target[:-1]))) and \
        all(json.dumps(p["body"].get(k)) == v for k, v in pairs)
sys.exit(0 if any(ok(p) for p in posts) else 1)
PY
}
calls_of() { grep -c "^apps	$1	$2	" "$tmp/convox-calls"; }
app_dir() { echo "$state/acme%dev/$1"; }

run_it
# PR #7 opens: its review app is made and deployed.
pr_push 7 feature
open_prs 7:feature:acme/web
pr_hook opened 7
wait_for "PR #7's job succeeds" 20 jobs_are "$data" 1 --workflow review --state succeeded
first=$("$bin" jobs --data-dir "$data" --workflow review | awk 'NR == 2 { print $1 }')
check "web-pr-7 exists on the rack" test -d "$(app_dir web-pr-7)"
check "created once" test "$(calls_of create web-pr-7)" -eq 1
check "its environment set" grep -qx "RAILS_ENV=review" "$(app_dir web-pr-7)/env"
release=$(cat "$(app_dir web-pr-7)/release")
check "migrated on the new release before the promotion" grep -qF "run	web	bin/migrate	--app	web-pr-7	--release	$release" "$tmp/convox-calls"
url=https://web.web-pr-7.acme-dev.convox.cloud
"$bin" logs --data-dir "$data" "$first" >"$tmp/log"
check "later tasks get its name and URL" grep -qF "smoke test of web-pr-7 at $url" "$tmp/log"
run "review-apps lists it" 0 "$bin" review-apps --data-dir "$data"
expect "with its PR, app, rack, state and URL" out "#7      web-pr-7                        acme/dev            active"
expect "and its URL" out "$url"
http GET "$base/api/review-apps"
check "the API lists it" grep -qF "\"pull_request\":7,\"app\":\"web-pr-7\",\"rack\":\"acme/dev\",\"url\":\"$url\",\"state\":\"active\"" "$tmp/out"
http GET "$base/api/jobs/$first"
check "the job names its review app" grep -qF "\"review_app\":{\"repository\":\"acme/web\"" "$tmp/out"
http GET "$base/jobs/$first"
check "the job page links it" grep -qF "<a id=\"review-app\" href=\"$url\">" "$tmp/out"
sha7=$(git -C "$tmp/web.git" rev-parse refs/pull/7/head)
wait_for "a GitHub deployment of the head, transient, for review/pr-7" 10 posted /repos/acme/web/deployments \
  "ref=\"$sha7\"" 'environment="review/pr-7"' "transient_environment=true" "production_environment=false"
check "its status: success, with the app's URL and the job's page" posted "/repos/acme/web/deployments/*" \
  'state="success"' "environment_url=\"$url\"" "log_url=\"https://ci.example.test/jobs/$first\""
run "review-apps over the API" 0 "$bin" review-apps --server "$base" --state active
expect "the same" out "web-pr-7"

# The next head: the app is reused, not created again.
pr_push 7 feature
wait_for "the new head's job succeeds" 20 jobs_are "$data" 2 --workflow review --state succeeded
check "still created once" test "$(calls_of create web-pr-7)" -eq 1
check "the new release runs" test "$(cat "$(app_dir web-pr-7)/release")" != "$release"
check "the record has the new head" bash -c "'$bin' review-apps --data-dir '$data' | grep -qF $(git -C "$tmp/web.git" rev-parse refs/pull/7/head | cut -c1-12)"

# PR #8's app name is taken by an app nobody made here: never touched.
FAKE_CONVOX_STATE="$state" "$src/scripts/convox-stand-in" apps create web-pr-8 --rack acme/dev >/dev/null 2>&1
pr_push 8 other
open_prs 7:feature:acme/web 8:other:acme/web
pr_hook opened 8
wait_for "PR #8's job fails" 20 jobs_are "$data" 1 --workflow review --state failed
failed_job=$("$bin" jobs --data-dir "$data" --state failed | awk 'NR == 2 { print $1 }')
http GET "$base/api/jobs/$failed_job"
check "saying why" grep -qF '"reason":"app web-pr-8 on acme/dev exists and was not created by convox-workflows' "$tmp/out"
check "nothing was built into it" bash -c "! grep -qF -e '--app	web-pr-8	--manifest' '$tmp/convox-calls'"

# PR #7 closes (and the webhook is replayed): deleted once, in a job of its own.
open_prs 8:other:acme/web
pr_hook closed 7
hooks=$((hooks - 1))
pr_hook closed 7
pr_hook closed 7
wait_for "the app is deleted" 20 bash -c "! test -d '$(app_dir web-pr-7)'"
wait_for "by a teardown job that succeeds" 10 jobs_are "$data" 3 --workflow review --state succeeded
settle 2
check "deleted once" test "$(calls_of delete web-pr-7)" -eq 1
wait_for "its deployment is made inactive" 10 posted "/repos/acme/web/deployments/*" 'state="inactive"'
run "review-apps shows it deleted" 0 "$bin" review-apps --data-dir "$data" --state deleted
expect "web-pr-7 deleted" out "web-pr-7"

# PR #9 deploys, then closes while the runner is down: deleted at the next start.
pr_push 9 third
open_prs 8:other:acme/web 9:third:acme/web
pr_hook opened 9
wait_for "PR #9's app is up" 20 test -s "$(app_dir web-pr-9)/release"
wait_for "and its job ends" 10 jobs_are "$data" 4 --workflow review --state succeeded
stop_runner "SIGTERM"
open_prs 8:other:acme/web
run_it
wait_for "closed while the runner was down: deleted after it starts" 20 bash -c "! test -d '$(app_dir web-pr-9)'"
wait_for "its teardown job succeeds" 10 jobs_are "$data" 5 --workflow review --state succeeded
check "deleted once" test "$(calls_of delete web-pr-9)" -eq 1

# expire_after: an idle PR's app goes while the PR stays open; a new head brings it back.
pr_push 11 spike
open_prs 8:other:acme/web 11:spike:acme/web:base=short/x
pr_hook opened 11
wait_for "PR #11's short-lived app is up" 20 test -s "$(app_dir tmp-pr-11)/release"
sleep 3
pr_hook edited 11
wait_for "idle past expire_after, it is deleted" 20 bash -c "! test -d '$(app_dir tmp-pr-11)'"
check "the log says why" in_log r.log "the review app was idle: it goes app=\"tmp-pr-11 on acme/dev\" pull_request=11"
pr_push 11 spike
wait_for "the next head brings it back" 20 test -s "$(app_dir tmp-pr-11)/release"
check "created twice in all" test "$(calls_of create tmp-pr-11)" -eq 2

# PR #8 closes: its app was never the runner's, so it stays.
open_prs 11:spike:acme/web:base=short/x
pr_hook closed 8
settle 3
check "web-pr-8 is never deleted" test -d "$(app_dir web-pr-8)"
check "no delete of it was even tried" test "$(calls_of delete web-pr-8)" -eq 0
check "no token in the runner's log" bash -c "! grep -qF ghp-t0ken '$tmp/r.log'"
stop_runner "SIGTERM at the end"
summary run_review_apps
