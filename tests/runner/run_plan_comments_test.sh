#!/usr/bin/env bash
# End to end: a pull request of the config repository that changes the
# workflows file gets one comment with the plan against its base branch,
# edited in place on later pushes (the head's errors when it is invalid, a
# note when it no longer changes the file); a PR that leaves the file alone
# gets none; a restart or a replayed webhook adds nothing.
# usage: run_plan_comments_test.sh CONVOX_WORKFLOWS_BINARY SOURCE_DIR CWF_FAKE_FORGE_BINARY
set -u
bin=$(realpath "$1")
src=$(realpath "$2")
fake_bin=$(realpath "$3")
tmp=$(mktemp -d)
fake_pid=""
trap 'stop_all_runners; [ -n "$fake_pid" ] && kill "$fake_pid"; [ -z "${KEEP:-}" ] && rm -rf "$tmp"' EXIT
. "$src/tests/cli/lib.sh"
. "$src/tests/runner/lib.sh"
pr_clone=ops pr_repo=acme/ops
. "$src/tests/runner/pr_lib.sh"
start_forge_stand_in "$fake_bin"
# comments_are N [EDITS]: the stand-in holds N comments (the last one edited EDITS times).
comments_are() {
  http GET "$api/_fake/comments"
  /usr/bin/python3 - "$tmp/out" "$@" <<'PY'
import json, sys
comments = json.loads(open(sys.argv[1]).read().split("\n", 1)[1])
ok = len(comments) == int(sys.argv[2]) and (len(sys.argv) < 4 or comments[-1]["edits"] == int(sys.argv[3]))
sys.exit(0 if ok else 1)
PY
}
# comment_has TEXT: the last comment's body holds TEXT.
comment_has() {
  http GET "$api/_fake/comments"
  /usr/bin/python3 -c 'import json, sys
c = json.loads(open(sys.argv[1]).read().split("\n", 1)[1])
sys.exit(0 if c and sys.argv[2] in c[-1]["body"] else 1)' "$tmp/out" "$1"
}

mkdir -p "$tmp/forge/acme"
new_remote ops
ln -s "$tmp/ops.git" "$tmp/forge/acme/ops.git"
cat >"$tmp/ops/.convox-workflows.yml" <<'YML'
version: 1
workflows:
  - name: deploy
    trigger: {integration: git, repository: "file:///nowhere.git", branch: main}
    tasks: [{type: script, command: 'make deploy'}]
YML
git -C "$tmp/ops" add -A && git -C "$tmp/ops" commit -qm workflows && git -C "$tmp/ops" push -q origin main
printf 's3cret' >"$tmp/secret"
data=$tmp/data
run_it() {
  GITHUB_TOKEN=ghp-t0ken start_runner r.log --config-repo "$tmp/forge/acme/ops.git" --data-dir "$data" \
    --github-url "file://$tmp/forge" --github-api-url "$api" --github-webhook-secret-file "$tmp/secret"
  wait_serving "$data"
}
run_it
wait_for "the workflows file applies" 10 in_log r.log "applied the workflows file"

# PR #3 adds a workflow: one comment with the plan.
git -C "$tmp/ops" checkout -q -B add-review main
cat >>"$tmp/ops/.convox-workflows.yml" <<'YML'
  - name: review
    trigger: {integration: github, repository: acme/web, pull_request: {base: main}}
    tasks: [{type: script, command: 'make test'}]
YML
git -C "$tmp/ops" commit -qam "a review workflow" && git -C "$tmp/ops" push -q origin add-review HEAD:refs/pull/3/head
git -C "$tmp/ops" checkout -q main
head3=$(git -C "$tmp/ops.git" rev-parse refs/pull/3/head)
open_prs 3:add-review:acme/ops
pr_hook opened 3
wait_for "one comment on PR #3" 10 comments_are 1 0
check "on the PR's conversation" bash -c "grep -qF '\"target\":\"/repos/acme/ops/issues/3/comments\"' '$tmp/out'"
check "with the plan of the head" comment_has "plan of \`.convox-workflows.yml\` at \`${head3:0:12}\`"
check "against main: one added" comment_has "1 added, 0 changed, 0 removed."
check "naming the workflow" comment_has "+ review: github acme/web @ pull requests into main: script"
check "the runner logs it" in_log r.log "commented the plan on the pull request pull_request=3"

# A broken push: the same comment, now with the errors and their positions.
git -C "$tmp/ops" checkout -q add-review
sed -i 's/type: script, command: .make test./type: scirpt/' "$tmp/ops/.convox-workflows.yml"
git -C "$tmp/ops" commit -qam typo && git -C "$tmp/ops" push -q origin add-review HEAD:refs/pull/3/head
git -C "$tmp/ops" checkout -q main
wait_for "the comment is edited, not a new one" 10 comments_are 1 1
check "it says the head is invalid" comment_has "is invalid at"
check "with FILE:LINE:COL" comment_has ".convox-workflows.yml:8:20: error: workflow 'review': tasks[0]: type: unknown value 'scirpt'"

# Replays and a restart: nothing more.
pr_hook synchronize 3
hooks=$((hooks - 1))
pr_hook synchronize 3
stop_runner "SIGTERM"
run_it
wait_for "the runner polls again" 10 bash -c "grep -c 'first poll cycle done' '$tmp/r.log' | grep -qx 2"
settle 2
check "still one comment, edited once" comments_are 1 1

# The base moves: the plan is made again against it.
git -C "$tmp/ops" checkout -q main && echo "# a comment" >>"$tmp/ops/.convox-workflows.yml" &&
  git -C "$tmp/ops" commit -qam "main moves" && git -C "$tmp/ops" push -q origin main
wait_for "the comment follows the base" 10 comments_are 1 2

# Reverted: the comment says so.
git -C "$tmp/ops" checkout -q add-review && git -C "$tmp/ops" reset -q --hard main &&
  git -C "$tmp/ops" push -q -f origin add-review HEAD:refs/pull/3/head && git -C "$tmp/ops" checkout -q main
wait_for "no longer changed: said in the same comment" 10 comments_are 1 3
check "it says so" comment_has "no longer changes the workflows file"

# A PR that leaves the file alone: no comment.
pr_push 4 docs README.md
open_prs 3:add-review:acme/ops 4:docs:acme/ops
pr_hook opened 4
settle 2
check "no comment on PR #4" comments_are 1
check "no token in the runner's log" bash -c "! grep -qF ghp-t0ken '$tmp/r.log'"
stop_runner "SIGTERM at the end"
summary run_plan_comments
