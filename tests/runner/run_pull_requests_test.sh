#!/usr/bin/env bash
# End to end with pull requests: the built runner, a bare repository with the
# refs a forge publishes (refs/pull/N/head, pushed with git), and the
# stand-in forge listing the open PRs in GitHub's shapes. A PR's head runs
# once per workflow (also across a restart and replayed webhooks), a newer
# head cancels the older job, a fork's PR runs only where forks: true and
# then without secrets, a draft runs once marked ready, the gate reads the
# head's status, and a reopened PR runs again.
# usage: run_pull_requests_test.sh CONVOX_WORKFLOWS_BINARY SOURCE_DIR CWF_FAKE_FORGE_BINARY
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

# pr_jobs WORKFLOW: how many jobs the workflow has.
pr_jobs() { count_jobs "$data" --workflow "$1"; }
# job_json ID KEY...: a field of GET /api/jobs/ID.
job_json() { http GET "$base/api/jobs/$1" && reply_field "${@:2}"; }
log_of() { "$bin" logs --data-dir "$data" "$1"; }

mkdir -p "$tmp/forge/acme" "$tmp/forge/group"
new_remote web
ln -s "$tmp/web.git" "$tmp/forge/acme/web.git"
new_remote lab
ln -s "$tmp/lab.git" "$tmp/forge/group/app.git"
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
      - type: script
        command: |
          echo "PR $PULL_REQUEST at $BUILD_GIT_SHA on $GIT_BRANCH: [$DEPLOY_TOKEN]"
          if [ -f slow ]; then sleep 60; fi
        secrets: [DEPLOY_TOKEN]
  - name: forks
    trigger:
      integration: github
      repository: acme/web
      require_status: false
      pull_request: {base: main, forks: true}
    tasks:
      - type: script
        command: 'echo "fork or not: [$DEPLOY_TOKEN]"'
        secrets: [DEPLOY_TOKEN]
  - name: gated
    trigger:
      integration: github
      repository: acme/web
      pull_request: {base: "release/*"}
    tasks: [{type: script, command: 'echo gated ok'}]
  - name: pushes
    trigger: {integration: github, repository: acme/web, branch: main, require_status: false}
    tasks: [{type: script, command: 'echo pushed'}]
  - name: lab-review
    trigger: {integration: gitlab, repository: group/app, require_status: false, pull_request: {}}
    tasks: [{type: script, command: 'echo "MR $PULL_REQUEST at $BUILD_GIT_SHA"'}]
YML
printf 's3cret' >"$tmp/secret"
data=$tmp/data
run_it() {
  DEPLOY_TOKEN=tok-5ecret-value GITHUB_TOKEN=ghp-t0ken GITLAB_TOKEN=glpat-t0ken start_runner r.log \
    --workflows-file "$tmp/workflows.yml" --data-dir "$data" --github-url "file://$tmp/forge" --github-api-url "$api" \
    --gitlab-url "file://$tmp/forge" --gitlab-api-url "$api/api/v4" --github-webhook-secret-file "$tmp/secret" \
    --gitlab-webhook-secret-file "$tmp/secret" --status-grace 2s
}

# PR #1 is open before the runner starts: it runs once the runner sees it.
pr_push 1 feature
one=$(git -C "$tmp/web.git" rev-parse refs/pull/1/head)
open_prs 1:feature:acme/web
run_it
wait_serving "$data"
wait_for "PR #1 makes a review job" 10 jobs_are "$data" 1 --workflow review --state succeeded
check "and one of the forks-too workflow" jobs_are "$data" 1 --workflow forks --state succeeded
check "no gated job: its base is release/*" jobs_are "$data" 0 --workflow gated
check "no push job: nothing was pushed to main since" jobs_are "$data" 0 --workflow pushes
review1=$("$bin" jobs --data-dir "$data" --workflow review | awk 'NR == 2 { print $1 }')
check "the jobs list names the PR" test "$(job_field "$data" "$review1" 4)" = "PR#1"
job_json "$review1" trigger >"$tmp/v" && check "trigger pull_request" grep -qx pull_request "$tmp/v"
job_json "$review1" pull_request >"$tmp/v" && check "its number" grep -qx 1 "$tmp/v"
job_json "$review1" pull_request_url >"$tmp/v" && check "its link" grep -qx "https://github.com/acme/web/pull/1" "$tmp/v"
job_json "$review1" branch >"$tmp/v" && check "its source branch" grep -qx feature "$tmp/v"
job_json "$review1" commit_title >"$tmp/v" && check "its commit's first line" grep -qx "change change.txt" "$tmp/v"
job_json "$review1" commit_author >"$tmp/v" && check "and author" grep -qx t "$tmp/v"
log_of "$review1" >"$tmp/log"
check "the script ran at the PR's head with PULL_REQUEST set" grep -qF "PR 1 at $one on feature: [***]" "$tmp/log"
check "the secret never in the log" bash -c "! grep -qF tok-5ecret '$tmp/log'"
http GET "$base/jobs/$review1"
check "the job page links the PR" grep -qF '<a href="https://github.com/acme/web/pull/1">PR #1</a>' "$tmp/out"

# Replayed and repeated webhooks: nothing twice.
pr_hook opened 1 && check "a pull_request delivery is a hint: 202" grep -qx 202 <(head -1 "$tmp/out")
check "it polls" grep -qF '"result":"listing 1 remote(s) now"' "$tmp/out"
hooks=$((hooks - 1))
pr_hook opened 1 && check "the same delivery again: a duplicate" grep -qF '"duplicate":true' "$tmp/out"
pr_hook synchronize 1
settle 2
check "still one review job for PR #1" jobs_are "$data" 1 --workflow review

# A newer head: one new job; it cancels the older one still running.
pr_push 1 feature slow
wait_for "the slow head's job runs" 10 jobs_are "$data" 1 --workflow review --state running
slow=$("$bin" jobs --data-dir "$data" --workflow review --state running | awk 'NR == 2 { print $1 }')
git -C "$tmp/web" checkout -q feature && git -C "$tmp/web" rm -q slow && git -C "$tmp/web" commit -qm fast &&
  git -C "$tmp/web" push -q origin feature "HEAD:refs/pull/1/head" && git -C "$tmp/web" checkout -q main
three=$(git -C "$tmp/web.git" rev-parse refs/pull/1/head)
wait_for "the slow job is cancelled" 15 job_is "$data" "$slow" cancelled
job_json "$slow" reason >"$tmp/v" && check "superseded, naming the new head" grep -qF "superseded: PR #1 moved to ${three:0:12}" "$tmp/v"
wait_for "the newest head's job succeeds" 15 jobs_are "$data" 2 --workflow review --state succeeded
check "three review jobs in all" jobs_are "$data" 3 --workflow review

# A fork's PR: not run by review; run by forks, without the secret.
git -C "$tmp/web" checkout -q -B mallory main && push web mallory-tmp &&
  git -C "$tmp/web" push -q origin HEAD:refs/pull/2/head && git -C "$tmp/web" push -q origin --delete mallory-tmp &&
  git -C "$tmp/web" checkout -q main
open_prs 1:feature:acme/web 2:main:mallory/web
pr_hook opened 2
wait_for "the fork's PR runs in forks" 10 jobs_are "$data" 4 --workflow forks --state succeeded
fork_job=$("$bin" jobs --data-dir "$data" --workflow forks --limit 1 | awk 'NR == 2 { print $1 }')
log_of "$fork_job" >"$tmp/log"
check "the fork's job got no secret" grep -qF "fork or not: []" "$tmp/log"
check "its log says the secrets were withheld" grep -qF "secrets withheld (1): this pull request's head comes from another repository" "$tmp/log"
job_json "$fork_job" untrusted >"$tmp/v" && check "the API marks it untrusted" grep -qx True "$tmp/v"
check "review held it back, saying why" in_log r.log "review: PR #2 comes from another repository; it runs only with pull_request.forks: true"
check "review made no job of it" jobs_are "$data" 3 --workflow review

# A draft waits until it is marked ready (the webhook says when; no ref moves).
pr_push 3 wip
open_prs 1:feature:acme/web 2:main:mallory/web 3:wip:acme/web:draft
# As GitHub does on opening: without it, a poll between the ref and the list
# takes the ref's move with a list that lacks the PR (until the 5-minute relist).
pr_hook opened 3
wait_for "the draft is held" 10 in_log r.log "review: PR #3 is a draft"
check "no job for the draft" jobs_are "$data" 3 --workflow review
open_prs 1:feature:acme/web 2:main:mallory/web 3:wip:acme/web
pr_hook ready_for_review 3
wait_for "marked ready, it runs" 10 jobs_are "$data" 3 --workflow review --state succeeded

# The gate applies to the head: pending waits, green runs.
pr_push 4 hotfix
four=$(git -C "$tmp/web.git" rev-parse refs/pull/4/head)
printf '{"statuses": [{"context": "ci/test", "state": "pending"}]}' >"$tmp/says.json"
http PUT "$api/_fake/github/acme/web/$four" --body-file "$tmp/says.json"
open_prs 1:feature:acme/web 2:main:mallory/web 3:wip:acme/web 4:hotfix:acme/web:base=release/1
wait_for "PR #4 into release/1 waits for its head's status" 10 jobs_are "$data" 1 --workflow gated --state waiting
printf '{"statuses": [{"context": "ci/test", "state": "success"}]}' >"$tmp/says.json"
http PUT "$api/_fake/github/acme/web/$four" --body-file "$tmp/says.json"
printf '{"sha": "%s", "context": "ci/test", "state": "success", "repository": {"full_name": "acme/web"}}' "$four" >"$tmp/status.json"
http POST "$base/hooks/github" -H "X-GitHub-Event: status" -H "Content-Type: application/json" \
  --body-file "$tmp/status.json" --github-secret "s3cret"
wait_for "green, it runs" 10 jobs_are "$data" 1 --workflow gated --state succeeded

# A restart runs nothing again.
total=$(count_jobs "$data")
stop_runner "SIGTERM"
lines=$(wc -l <"$tmp/r.log")
run_it
wait_for "the runner polls again" 10 bash -c "tail -n +$((lines + 1)) '$tmp/r.log' | grep -qF 'first poll cycle done'"
wait_serving "$data"
settle 2
check "after a restart: no job twice" jobs_are "$data" "$total"

# Closed, then reopened at the same head: it runs again.
open_prs 2:main:mallory/web 3:wip:acme/web 4:hotfix:acme/web:base=release/1
pr_hook closed 1
settle 2
check "closing runs nothing" jobs_are "$data" "$total"
open_prs 1:feature:acme/web 2:main:mallory/web 3:wip:acme/web 4:hotfix:acme/web:base=release/1
pr_hook reopened 1
wait_for "reopened, PR #1 runs again" 10 jobs_are "$data" 4 --workflow review --state succeeded

# GitLab: an open MR (GET /projects/:id/merge_requests?state=opened) at the
# head its refs/merge-requests/5/head publishes; a Merge Request Hook hints.
git -C "$tmp/lab" checkout -q -b fix && push lab fix && git -C "$tmp/lab" push -q origin HEAD:refs/merge-requests/5/head
lab_head=$(git -C "$tmp/lab.git" rev-parse refs/merge-requests/5/head)
printf '[{"iid": 5, "state": "opened", "sha": "%s", "source_branch": "fix", "target_branch": "main", "source_project_id": 14, "target_project_id": 14, "draft": false, "web_url": "https://gitlab.example/group/app/-/merge_requests/5"}, {"iid": 6, "state": "merged", "sha": "%s", "source_branch": "old", "target_branch": "main", "source_project_id": 14, "target_project_id": 14}]' \
  "$lab_head" "$lab_head" >"$tmp/mrs.json"
http PUT "$api/_fake/gitlab-mrs?project=group/app" -H "Content-Type: application/json" --body-file "$tmp/mrs.json"
/usr/bin/python3 -c 'import json, sys
p = json.load(open(sys.argv[1])); p["project"]["path_with_namespace"] = "group/app"; print(json.dumps(p))' \
  "$src/tests/fixtures/webhooks/gitlab-webhooks/merge_request_hook.json" >"$tmp/mr-hook.json"
http POST "$base/hooks/gitlab" -H "X-Gitlab-Event: Merge Request Hook" -H "X-Gitlab-Token: s3cret" \
  -H "X-Gitlab-Event-UUID: mr-1" -H "Content-Type: application/json" --body-file "$tmp/mr-hook.json"
check "a Merge Request Hook is a hint: 202" grep -qx 202 <(head -1 "$tmp/out")
wait_for "MR !5 runs" 10 jobs_are "$data" 1 --workflow lab-review --state succeeded
check "only the open one" jobs_are "$data" 1 --workflow lab-review
lab_job=$("$bin" jobs --data-dir "$data" --workflow lab-review | awk 'NR == 2 { print $1 }')
check "at the MR's head" grep -qF "MR 5 at $lab_head" <(log_of "$lab_job")
job_json "$lab_job" pull_request_url >"$tmp/v" && check "linked to the MR" grep -qx "https://gitlab.example/group/app/-/merge_requests/5" "$tmp/v"

# A push to main is still a push, never a PR's job.
push web main
wait_for "the push job runs" 10 jobs_are "$data" 1 --workflow pushes --state succeeded
check "no token or secret in the runner's log" bash -c "! grep -qE 'ghp-t0ken|glpat-t0ken|tok-5ecret' '$tmp/r.log'"
stop_runner "SIGTERM at the end"
summary run_pull_requests
