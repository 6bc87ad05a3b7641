# Pull requests for the runner's end-to-end tests, sourced after lib.sh with
# $src, $tmp, $api (the stand-in forge) and $base (the runner) set: the
# repository is $tmp/$pr_clone.git ($pr_repo on the stand-in GitHub), cloned
# at $tmp/$pr_clone; by default web and acme/web.
pr_clone=${pr_clone:-web}
pr_repo=${pr_repo:-acme/web}
http() { /usr/bin/python3 "$src/tests/runner/fetch.py" "$@" >"$tmp/out" 2>"$tmp/err"; }

# start_forge_stand_in FAKE_FORGE_BINARY: the stand-in forge API on loopback: $api, $fake_pid.
start_forge_stand_in() {
  "$1" "$tmp/forge.port" &
  fake_pid=$!
  wait_for "the stand-in forge listens" 10 test -s "$tmp/forge.port"
  api="http://127.0.0.1:$(cat "$tmp/forge.port")"
}

# The open PRs the stand-in lists: each "NUMBER:BRANCH:HEAD_REPO[:draft][:base=B]",
# in the shape of GET /repos/{o}/{r}/pulls (the fixture's pull_request object).
open_prs() {
  /usr/bin/python3 - "$src/tests/fixtures/webhooks/github-webhooks/pull_request_opened.payload.json" "$tmp" \
    "$pr_clone" "$pr_repo" "$@" >"$tmp/pulls.json" <<'PY'
import json, subprocess, sys
fixture, tmp, clone, repo_name, specs = sys.argv[1], sys.argv[2], sys.argv[3], sys.argv[4], sys.argv[5:]
template = json.load(open(fixture))["pull_request"]
out = []
for spec in specs:
    number, branch, repo, *rest = spec.split(":")
    pr = json.loads(json.dumps(template))
    pr["number"] = int(number)
    pr["state"] = "open"
    pr["html_url"] = f"https://github.com/{repo_name}/pull/{number}"
    sha = subprocess.run(["git", "-C", f"{tmp}/{clone}.git", "rev-parse", f"refs/pull/{number}/head"],
                         capture_output=True, text=True).stdout.strip()
    pr["head"].update(sha=sha, ref=branch)
    pr["head"]["repo"]["full_name"] = repo
    pr["base"]["ref"] = "main"
    pr["base"]["repo"]["full_name"] = repo_name
    pr["draft"] = "draft" in rest
    for r in rest:
        if r.startswith("base="): pr["base"]["ref"] = r[5:]
    out.append(pr)
print(json.dumps(out))
PY
  http PUT "$api/_fake/github-pulls/$pr_repo" -H "Content-Type: application/json" --body-file "$tmp/pulls.json"
  grep -qx 200 <(head -1 "$tmp/out") || fail "the stand-in took no PR list: $(head -1 "$tmp/out")"
}
# pr_push NUMBER BRANCH [FILE]: a commit on BRANCH of the clone, published as PR NUMBER's head.
pr_push() {
  git -C "$tmp/$pr_clone" checkout -q -B "$2" main
  push "$pr_clone" "$2" "${3:-change.txt}"
  git -C "$tmp/$pr_clone" push -q -f origin "HEAD:refs/pull/$1/head"
  git -C "$tmp/$pr_clone" checkout -q main
}
# pr_hook ACTION NUMBER: a signed pull_request delivery (a hint: what runs is read from the forge and git).
hooks=0
pr_hook() {
  hooks=$((hooks + 1))
  /usr/bin/python3 - "$src/tests/fixtures/webhooks/github-webhooks/pull_request_opened.payload.json" "$1" "$2" \
    "$pr_repo" >"$tmp/hook.json" <<'PY'
import json, sys
p = json.load(open(sys.argv[1]))
p["action"], p["number"] = sys.argv[2], int(sys.argv[3])
p["repository"]["full_name"] = sys.argv[4]
print(json.dumps(p))
PY
  http POST "$base/hooks/github" -H "X-GitHub-Event: pull_request" -H "X-GitHub-Delivery: d-$hooks" \
    -H "Content-Type: application/json" --body-file "$tmp/hook.json" --github-secret "s3cret"
}
