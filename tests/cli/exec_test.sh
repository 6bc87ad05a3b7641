#!/usr/bin/env bash
# Black-box tests of exec, jobs and logs through the built binary, with real
# git repositories, real processes and the stand-in convox CLI.
# usage: exec_test.sh CONVOX_WORKFLOWS_BINARY SOURCE_DIR
set -u
bin=$(realpath "$1")
src=$(realpath "$2")
tmp=$(mktemp -d)
mounted=""
cleanup() {
  [ -n "$mounted" ] && umount "$mounted" 2>/dev/null
  rm -rf "$tmp"
}
trap cleanup EXIT
. "$(dirname "$0")/lib.sh"

repo=$tmp/repo
data=$tmp/data
git init -q -b main "$repo" && git -C "$repo" config user.email t@example.com && git -C "$repo" config user.name t
cat >"$repo/.convox-workflows.yml" <<'YML'
version: 1
workflows:
  - name: deploy
    trigger: {integration: github, repository: acme/web, branch: main}
    tasks:
      - {type: build, name: staging, app: web-staging, promote: true}
      - {type: build, name: production, app: web}
  - name: checks
    trigger: {integration: git, repository: "file:///srv/web.git", branch: main}
    tasks:
      - {type: script, name: test, command: 'echo "testing $GIT_BRANCH with $API_TOKEN"; ls', secrets: [API_TOKEN]}
      - {type: script, name: fail, command: 'echo failing; exit 3'}
      - {type: script, name: never, command: 'echo never'}
  - name: slow
    trigger: {integration: git, repository: "file:///srv/web.git", branch: main}
    tasks:
      - {type: script, name: tick, command: 'for i in 1 2 3 4 5 6; do echo tick $i; sleep 0.3; done'}
  - name: hang
    trigger: {integration: git, repository: "file:///srv/web.git", branch: main}
    tasks:
      - {type: script, name: wait, command: 'echo waiting; sleep 1000 & echo $! > "$PIDFILE"; wait'}
      - {type: script, name: after, command: 'echo after'}
  - name: loud
    trigger: {integration: git, repository: "file:///srv/web.git", branch: main}
    tasks:
      - {type: script, name: print, command: 'head -c 8000000 /dev/zero | tr "\0" x | fold -w 100'}
  - name: escapes
    trigger: {integration: git, repository: "file:///srv/web.git", branch: main}
    tasks:
      - {type: script, name: print, command: 'printf "title\033]0;pwned\007 red\033[31m!\033[0m clear\033[2J link\033]8;;http://x/\033\\here\033]8;;\033\\ done\n"'}
YML
echo "hello" >"$repo/README"
git -C "$repo" add -A && git -C "$repo" commit -qm init
convox=$src/scripts/convox-stand-in
cat >"$tmp/x" <<X
#!/bin/sh
cd "$repo" && exec "$bin" exec --data-dir "$data" --convox-bin "$convox" --grace 1s "\$@"
X
chmod +x "$tmp/x"
x=$tmp/x

# --- a job that succeeds, streamed, summarised, recorded
run "exec deploy" 0 "$x" --workflow deploy
expect "exec deploy" out "job 1: deploy on $(git -C "$repo" rev-parse --short=12 HEAD) (main)"
expect "exec deploy" out "==> [1/2] staging (build)"
expect "exec deploy" out "Promoting R"
expect "exec deploy" out "job 1 succeeded in"
[ -d "$data/workspaces/1" ] && fail "the workspace was not removed" || ok

# --- a job that fails: exit 1, halted, secrets masked in the terminal stream
run "exec checks" 1 env API_TOKEN=tok-sekrit-987 sh -c "cd '$repo' && '$bin' exec --data-dir '$data' --workflow checks --keep-workspace"
expect "exec checks" out "testing main with ***"
lacks "exec checks" out "tok-sekrit-987"
expect "exec checks" out "reason: tasks[1] (fail) failed: the command exited with 3"
lacks "exec checks" out "==> [3/3]"
[ -f "$data/workspaces/2/README" ] && ok || fail "--keep-workspace did not keep the checkout"

# --- usage errors: exit 2
run "no --workflow" 2 "$x"
run "bad --grace" 2 sh -c "cd '$repo' && '$bin' exec --data-dir '$data' --workflow checks --grace soon"
expect "bad --grace" err "bad --grace 'soon'"
run "bad --log-limit" 2 "$x" --workflow checks --log-limit 0
run "unknown workflow" 2 "$x" --workflow nope
expect "unknown workflow" err "no workflow 'nope'"
run "bad commit" 2 "$x" --workflow checks --commit no-such-rev
expect "bad commit" err "unknown revision 'no-such-rev'"
printf 'version: 1\nworkflows: {}\n' >"$tmp/bad.yml"
run "invalid file" 2 "$x" --workflow checks --file "$tmp/bad.yml"
expect "invalid file" err "bad.yml:2:12: error:"

# --- jobs and logs read the store
run "jobs" 0 "$bin" jobs --data-dir "$data"
expect "jobs" out "succeeded    deploy"
expect "jobs" out "failed       checks"
run "jobs --state" 0 "$bin" jobs --data-dir "$data" --state failed
lacks "jobs --state" out "deploy"
run "jobs bad state" 2 "$bin" jobs --data-dir "$data" --state weird
run "logs" 0 "$bin" logs 2 --data-dir "$data"
expect "logs" out "Z testing main with ***"
expect "logs" out "Z <== fail: failed in"
run "logs --task" 0 "$bin" logs 2 --task 1 --data-dir "$data"
lacks "logs --task" out "testing"
run "logs missing job" 1 "$bin" logs 99 --data-dir "$data"
run "logs no store" 1 "$bin" logs 1 --data-dir "$tmp/nothing-here"
# A task's escape sequences (a window title, clearing the screen, a hidden
# link) never reach the terminal of whoever reads the log; not a terminal
# here, so no colour either.
run "exec escapes" 0 sh -c "cd '$repo' && '$bin' exec --data-dir '$tmp/esc' --workflow escapes -q"
run "logs of escapes" 0 "$bin" logs 1 --data-dir "$tmp/esc"
expect "logs of escapes: the text stays" out "title red! clear linkhere done"
check_no_escape() { ! grep -q "$(printf '\033')" "$tmp/out"; }
if check_no_escape; then ok; else fail "logs of escapes: an ESC reached the output"; fi

# --- logs --follow prints a running job's log until it ends
(cd "$repo" && "$bin" exec --data-dir "$data" --workflow slow -q >/dev/null 2>&1) &
exec_pid=$!
for _ in $(seq 50); do [ -s "$data/logs/3.log" ] && break; sleep 0.1; done
run "logs --follow" 0 "$bin" logs 3 --follow --data-dir "$data"
expect "logs --follow" out "tick 6"
expect "logs --follow" out "<== tick: succeeded"
wait "$exec_pid"

# --- Ctrl-C cancels the job; nothing it started survives
(cd "$repo" && PIDFILE=$tmp/pid exec "$bin" exec --data-dir "$data" --workflow hang >"$tmp/hang.out" 2>&1) &
exec_pid=$!
for _ in $(seq 50); do [ -s "$tmp/pid" ] && break; sleep 0.1; done
kill -INT "$exec_pid"
wait "$exec_pid"
rc=$?
[ "$rc" -eq 1 ] && ok || fail "cancelled exec exited $rc, wanted 1"
grep -q "job 4 cancelled" "$tmp/hang.out" && ok || { fail "no 'job 4 cancelled'"; cat "$tmp/hang.out"; }
sleep 0.2
orphan=$(cat "$tmp/pid")
if [ -n "$orphan" ] && kill -0 "$orphan" 2>/dev/null && ! grep -q ") Z " "/proc/$orphan/stat" 2>/dev/null; then
  fail "the task's background sleep survived the cancel"
else
  ok
fi
run "jobs cancelled" 0 "$bin" jobs --data-dir "$data" --state cancelled
expect "jobs cancelled" out "hang"

# --- a data dir that cannot be created: the job fails with why
touch "$tmp/a-file"
run "unwritable data dir" 1 sh -c "cd '$repo' && '$bin' exec --data-dir '$tmp/a-file/data' --workflow checks"
expect "unwritable data dir" err "the job cannot start: cannot create the data dir"

# --- a full disk: the job fails with why, the store stays readable
mkdir -p "$tmp/small"
if mount -t tmpfs -o size=2m tmpfs "$tmp/small" 2>/dev/null; then
  mounted=$tmp/small
  run "full disk" 1 sh -c "cd '$repo' && '$bin' exec --data-dir '$tmp/small/data' --workflow loud -q"
  if grep -qE "No space left on device|disk is full" "$tmp/out" "$tmp/err"; then ok; else fail "full disk: no reason given"; cat "$tmp/out" "$tmp/err"; fi
  # The database can't take the job's end either, nor the file that would save it.
  expect "full disk: exec says the end is not recorded" err "job 1 failed, but the job store could not record its end"
  [ -d "$tmp/small/data/workspaces/1" ] && fail "full disk: the workspace was left behind" || ok
  run "full disk: store readable" 0 "$bin" jobs --data-dir "$tmp/small/data"
  expect "full disk: store readable" out "loud"
else
  echo "note: full-disk case not run (mounting a tmpfs needs root)"
fi

# --- the same without root: no file may grow past 3 MB (EFBIG where a full disk says ENOSPC)
run "file-size limit" 1 prlimit --fsize=3000000 sh -c "cd '$repo' && exec '$bin' exec --data-dir '$tmp/cut' --workflow loud -q"
expect "file-size limit: why" out "cannot write the log: File too large"
run "file-size limit: logs" 0 "$bin" logs 1 --data-dir "$tmp/cut"
expect "file-size limit: the log says it was cut" out "[log cut: the last "
run "a whole log" 0 "$bin" logs 1 --data-dir "$data"
lacks "a whole log: no marker" out "[log cut"

# --- racks: each build goes to its own rack's RACK_URL, even with another RACK_URL around
printf 'racks:\n  acme/staging: {url: "https://convox:stag1ng-s3cret@rack.staging.example"}\n  acme/production: {url: "https://rack.production.example", password_file: %s}\ndefault: acme/staging\n' \
  "$tmp/prod-password" >"$tmp/racks.yml"
printf 'pr0d-s3cret\n' >"$tmp/prod-password"
fake_convox "$tmp/convox-racks" FAKE_CONVOX_CALLS="$tmp/racks-calls"
printf 'version: 1\nworkflows:\n  - name: two\n    trigger: {integration: git, repository: "file:///srv/web.git", branch: main}\n    tasks:\n      - {type: build, app: web, promote: true}\n      - {type: build, app: web, rack: acme/production}\n      - {type: script, command: "echo stag1ng-s3cret pr0d-s3cret"}\n' >"$tmp/racks-wf.yml"
run "validate --racks-file" 0 "$bin" validate --racks-file "$tmp/racks.yml" "$tmp/racks-wf.yml"
run "exec with a racks file" 0 sh -c "cd '$repo' && RACK_URL=https://convox:x@rack.wrong.example '$bin' exec --data-dir '$tmp/racks-data' --convox-bin '$tmp/convox-racks' --racks-file '$tmp/racks.yml' --file '$tmp/racks-wf.yml' --workflow two"
check_calls() { tr '\n' ' ' <"$tmp/racks-calls" | grep -qE "^build.*RACK rack.staging.example .*releases	promote.*RACK rack.staging.example .*build.*RACK rack.production.example"; }
if check_calls; then ok; else fail "racks: the builds went to the wrong racks"; cat "$tmp/racks-calls"; fi
lacks "exec with a racks file: passwords masked" out "s3cret"
expect "exec with a racks file: a task printing them shows ***" out "*** ***"
sed -i 's/rack: acme\/production/rack: acme\/prod/' "$tmp/racks-wf.yml"
run "validate: a rack not in the racks file" 1 "$bin" validate --racks-file "$tmp/racks.yml" "$tmp/racks-wf.yml"
expect "validate: where" err "racks-wf.yml:7:39: error: workflow 'two': tasks[1] (build): rack: 'acme/prod' is not in the racks file (it has: acme/production, acme/staging)"
run "exec: refused before anything runs" 2 sh -c "cd '$repo' && '$bin' exec --data-dir '$tmp/racks-data' --convox-bin '$tmp/convox-racks' --racks-file '$tmp/racks.yml' --file '$tmp/racks-wf.yml' --workflow two"
"$bin" run --once --listen off --workflows-file "$tmp/racks-wf.yml" --racks-file "$tmp/racks.yml" --data-dir "$tmp/racks-run" >"$tmp/racks-run.log" 2>&1
run "run: the revision naming an unknown rack is rejected" 1 "$bin" status --data-dir "$tmp/racks-run"
expect "run: rejected, with the place" out "racks-wf.yml:7:39: error: workflow 'two': tasks[1] (build): rack: '…' is not in the racks file (it has: acme/production, acme/staging)"
# --- build once on staging, copy the build to production, promote it there: racks that keep state
fake_convox "$tmp/convox-state" FAKE_CONVOX_STATE="$tmp/racks-state" FAKE_CONVOX_CALLS="$tmp/copy-calls"
for host in rack.staging.example rack.production.example; do "$tmp/convox-state" apps create web --rack "$host" >/dev/null 2>&1; done
printf 'version: 1\nworkflows:\n  - name: copy\n    trigger: {integration: git, repository: "file:///srv/web.git", branch: main}\n    tasks:\n      - {type: build, app: web, manifest: README, promote: true}\n      - {type: copy, rack: acme/production}\n      - {type: promote, app: web, rack: acme/production}\n' >"$tmp/copy-wf.yml"
run "exec: a copy between racks" 0 sh -c "cd '$repo' && '$bin' exec --data-dir '$tmp/copy-data' --convox-bin '$tmp/convox-state' --racks-file '$tmp/racks.yml' --file '$tmp/copy-wf.yml' --workflow copy"
expect "exec: the copy's name says from where to where" out "copy web from acme/staging to acme/production"
run "exec: the copy's log" 0 "$bin" logs 1 --data-dir "$tmp/copy-data"
expect "exec: the log says from where to where" out "copying build B"
expect "exec: the import" out "Importing build... "
lacks "exec: passwords masked in the copy" out "s3cret"
copied=$(sed -n 's/.*OK, \(R[A-Z]*\)$/\1/p' "$tmp/out" | head -1)
[ -n "$copied" ] && [ "$(cat "$tmp/racks-state/rack.production.example/web/release")" = "$copied" ] && ok ||
  fail "exec: production does not run the copied release '$copied'"
grep -q "^builds	export	B[A-Z]*	--app	web\$" "$tmp/copy-calls" && ok || fail "exec: the export: $(cat "$tmp/copy-calls")"

printf 'racks:\n  acme/x: {url: "https://convox@h"}\n' >"$tmp/bad-racks.yml"
run "a bad racks file is a usage error" 2 "$bin" validate --racks-file "$tmp/bad-racks.yml" "$tmp/racks-wf.yml"
expect "with its place" err "bad-racks.yml:2:17: error: racks: acme/x: no password"

summary exec
