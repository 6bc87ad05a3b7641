#!/usr/bin/env bash
# --task-backend podman end to end, with a real podman (runc) and an image
# made here (no registry is reachable): busybox-static's binary imported as
# localhost/cwf-busybox. Output, exit codes, the job's variables and secrets,
# a timeout, a cancel, and a runner killed mid-task: no container or env file
# is left behind.
# usage: podman_test.sh CONVOX_WORKFLOWS_BINARY SOURCE_DIR
set -u
bin=$(realpath "$1")
src=$(realpath "$2")
tmp=$(mktemp -d)
trap 'stop_all_runners; podman ps -aq --filter label=cwf.job | xargs -r "${podman_bin:-podman}" rm -f -t 0 >/dev/null 2>&1; [ -n "${KEEP:-}" ] || rm -rf "$tmp"' EXIT
. "$src/tests/cli/lib.sh"
. "$src/tests/runner/lib.sh"
# run as tests/cli/lib.sh has it, without its 1 GiB address-space cap: podman (Go) reserves more.
run() {
  local name=$1 want=$2
  shift 2
  timeout 120 "$@" >"$tmp/out" 2>"$tmp/err" </dev/null
  local rc=$?
  if [ "$rc" -ne "$want" ]; then
    fail "$name: exit $rc, wanted $want"
    sed 's/^/    /' "$tmp/out" "$tmp/err" | tail -20
    return 1
  fi
  ok
}
for need in podman /bin/busybox; do
  command -v "$need" >/dev/null || { fail "$need is missing (scripts/install-deps.sh test installs podman and busybox-static)"; summary podman; exit 1; }
done
# Rootful podman, as the container test runs it: through sudo when not root
# (the runner gets a --podman-bin that does the same).
podman_bin=$(command -v podman)
if [ "$(id -u)" -ne 0 ]; then
  printf '#!/bin/sh\nexec sudo -E %s "$@"\n' "$podman_bin" >"$tmp/podman" && chmod +x "$tmp/podman"
  podman_bin=$tmp/podman
fi
podman() { "$podman_bin" "$@"; }

. "$src/tests/executor/podman_sandbox.sh"
podman_sandbox "$tmp" localhost/cwf-busybox:1 || { fail "podman import"; summary podman; exit 1; }
containers() { podman ps -a --filter label=cwf.job --format '{{.Names}}' | wc -l; }
containers_are() { [ "$(containers)" = "$1" ]; }

repo=$tmp/repo
git init -q -b main "$repo"
echo "from the checkout" >"$repo/marker.txt"
mkdir "$repo/sub" && echo "below" >"$repo/sub/below.txt"
cat >"$repo/.convox-workflows.yml" <<'YML'
version: 1
defaults: {image: "localhost/cwf-busybox:1"}
workflows:
  - name: ok
    trigger: {integration: git, repository: "file:///srv/r.git", branch: main}
    tasks:
      - type: script
        name: inside
        command: 'echo "cwd=$(pwd)"; cat marker.txt; echo "branch=$GIT_BRANCH"; test "$MY_SECRET" = s3cret-value && echo secret-ok; printf "%s" "$MY_KEY" | wc -l; echo "path=$PATH"; test -x /bin/busybox && echo busybox-image'
        secrets: [MY_SECRET, MY_KEY]
        resources: {cpu: "1", memory: 256Mi}
      - {type: script, name: deeper, working_directory: sub, command: 'pwd; cat below.txt'}
      - {type: script, name: writes, command: 'echo made-inside >made.txt'}
  - name: exits
    trigger: {integration: git, repository: "file:///srv/r.git", branch: main}
    tasks: [{type: script, command: 'echo about to fail; exit 3'}]
  - name: slow
    trigger: {integration: git, repository: "file:///srv/r.git", branch: main}
    tasks: [{type: script, command: 'echo started; sleep 30', timeout: 2s}]
  - name: missing
    trigger: {integration: git, repository: "file:///srv/r.git", branch: main}
    tasks: [{type: script, command: 'true', image: "localhost/no-such-image:1"}]
YML
git -C "$repo" add -A && git -C "$repo" commit -q -m init
data=$tmp/data
export MY_SECRET=s3cret-value MY_KEY=$'-----BEGIN-----\nline\n-----END-----'

run "a file with images, on the local backend" 2 "$bin" exec --workflow ok --repo "$repo" --data-dir "$data"
expect "is refused, naming the task and the backend" err "tasks[0] (script): image 'localhost/cwf-busybox:1' needs a runner that runs images: --task-backend podman"

run "a task in its image" 0 "$bin" exec --workflow ok --repo "$repo" --data-dir "$data" --task-backend podman --podman-bin "$podman_bin" --keep-workspace
expect "runs in the checkout, mounted at /workspace" out "cwd=/workspace"
expect "sees the commit's files" out "from the checkout"
expect "gets the job's variables" out "branch=main"
expect "and its secrets" out "secret-ok"
expect "a multi-line secret whole (passed by name, not in the env file)" out " 2"
lacks "the secret's value is masked in the log" out "s3cret-value"
expect "the image's PATH, not the host's" out "path=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin"
expect "it is the image's filesystem" out "busybox-image"
expect "working_directory inside the mount" out "/workspace/sub"
expect "there too" out "below"
check "what it writes lands in the checkout" grep -qx made-inside "$data"/workspaces/*/made.txt
check "no container left" test "$(containers)" = 0
check "no env file left" test -z "$(ls -A "$data/task-env")"
check "their directory is the runner's alone" test "$(stat -c %a "$data/task-env")" = 700

run "an exit code" 1 "$bin" exec --workflow exits --repo "$repo" --data-dir "$data" --task-backend podman --podman-bin "$podman_bin"
expect "is the task's" out "the command exited with 3"
expect "after its output" out "about to fail"

run "a timeout" 1 "$bin" exec --workflow slow --repo "$repo" --data-dir "$data" --task-backend podman --podman-bin "$podman_bin" --grace 2s
expect "stops the container" out "timed out after 2s"
check "and leaves none" test "$(containers)" = 0
check "nor an env file" test -z "$(ls -A "$data/task-env")"

run "a missing image" 1 "$bin" exec --workflow missing --repo "$repo" --data-dir "$data" --task-backend podman --podman-bin "$podman_bin"
expect "fails the task with podman's exit code" out "the command exited with 125"
expect "and its message" out "localhost/no-such-image"

# The runner: a cancel, and a runner killed mid-task.
bare=$tmp/r.git
git clone -q --bare "$repo" "$bare"
sed "s|file:///srv/r.git|file://$bare|; s|sleep 30', timeout: 2s|sleep 300'|" "$repo/.convox-workflows.yml" >"$tmp/wf.yml"
CONVOX_WORKFLOWS_API_TOKEN=p0dman start_runner r.log --workflows-file "$tmp/wf.yml" --data-dir "$tmp/d2" --task-backend podman --podman-bin "$podman_bin" \
  --poll-interval 60s
wait_serving "$tmp/d2"
http() { /usr/bin/python3 "$src/tests/runner/fetch.py" "$@" >"$tmp/out" 2>"$tmp/err"; }
printf '{"branch": "main"}' >"$tmp/body"
http POST "$base/api/workflows/slow/trigger" -H "Authorization: Bearer p0dman" --body-file "$tmp/body"
job=$(reply_field id)
wait_for "its container runs" 30 containers_are 1
http POST "$base/api/jobs/$job/cancel" -H "Authorization: Bearer p0dman"
wait_for "a cancel ends the job" 30 job_is "$tmp/d2" "$job" cancelled
check "and its container" test "$(containers)" = 0
http POST "$base/api/workflows/slow/trigger" -H "Authorization: Bearer p0dman" --body-file "$tmp/body"
job=$(reply_field id)
wait_for "another one runs" 30 containers_are 1
kill -KILL "$(/usr/bin/python3 -c 'import json,sys; print(json.load(open(sys.argv[1]))["pid"])' "$tmp/d2/state.json")"
sleep 1
check "a killed runner leaves its container running" test "$(containers)" = 1
check "and its env file" test -n "$(ls -A "$tmp/d2/task-env")"
CONVOX_WORKFLOWS_API_TOKEN=p0dman start_runner r2.log --workflows-file "$tmp/wf.yml" --data-dir "$tmp/d2" --task-backend podman --podman-bin "$podman_bin" \
  --poll-interval 60s
wait_serving "$tmp/d2"
wait_for "the next start removes it" 30 containers_are 0
check "and the env file" test -z "$(ls -A "$tmp/d2/task-env")"
check "says so" in_log r2.log "removed a container the last run left"
check "its job reads interrupted" job_is "$tmp/d2" "$job" interrupted
stop_runner "podman runner"
summary podman
