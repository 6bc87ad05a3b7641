# Helpers for the runner's end-to-end tests, sourced after tests/cli/lib.sh
# with $bin and $tmp set: bare remotes made with the git CLI, and runners in
# the background that are always stopped on exit.
export GIT_AUTHOR_NAME=t GIT_AUTHOR_EMAIL=t@example.com GIT_COMMITTER_NAME=t GIT_COMMITTER_EMAIL=t@example.com
runner_pids=""
stop_all_runners() { for p in $runner_pids; do kill -KILL "$p" 2>/dev/null; done; }

# new_remote NAME: $tmp/NAME.git (bare, branch main, one commit) and its clone $tmp/NAME.
new_remote() {
  git init -q --bare -b main "$tmp/$1.git"
  git init -q -b main "$tmp/$1"
  git -C "$tmp/$1" remote add origin "$tmp/$1.git"
  echo first >"$tmp/$1/README"
  git -C "$tmp/$1" add -A && git -C "$tmp/$1" commit -qm first && git -C "$tmp/$1" push -q origin main
}

# push NAME [BRANCH [FILE]]: a new commit changing FILE (default change.txt), pushed to BRANCH (default main).
push() {
  local dir=$tmp/$1 branch=${2:-main} file=${3:-change.txt}
  mkdir -p "$(dirname "$dir/$file")"
  echo "$RANDOM $(date +%s%N)" >>"$dir/$file"
  git -C "$dir" add -A && git -C "$dir" commit -qm "change $file" && git -C "$dir" push -q -f origin "HEAD:refs/heads/$branch"
}
head_of() { git -C "$tmp/$1" rev-parse HEAD; }

# start_runner LOG ARGS...: `convox-workflows run ARGS` in the background; $runner_pid.
start_runner() {
  local log=$1
  shift
  "$bin" run --poll-interval 1s --log-level debug --listen 127.0.0.1:0 "$@" >>"$tmp/$log" 2>&1 &
  runner_pid=$!
  runner_pids="$runner_pids $runner_pid"
}
# stop_runner NAME: SIGTERM, and the runner must exit 0.
stop_runner() {
  kill -TERM "$runner_pid"
  wait "$runner_pid"
  local rc=$?
  if [ "$rc" -eq 0 ]; then ok; else fail "$1: the runner exited $rc after SIGTERM"; fi
}

# wait_for NAME SECONDS CMD...: until CMD succeeds; a failure after SECONDS.
wait_for() {
  local name=$1 secs=$2
  shift 2
  local end=$((SECONDS + secs))
  while [ "$SECONDS" -lt "$end" ]; do
    if "$@" >/dev/null 2>&1; then ok; return 0; fi
    sleep 0.2
  done
  fail "$name: not within ${secs}s: $*"
  return 1
}
# in_log LOG TEXT: the runner's log has TEXT.
in_log() { grep -qF -- "$2" "$tmp/$1"; }

# count_jobs DATA [jobs flags...]: how many jobs match.
count_jobs() {
  local data=$1
  shift
  "$bin" jobs --data-dir "$data" --limit 100000 "$@" | tail -n +2 | grep -c .
}
# jobs_are DATA N [flags...]: exactly N jobs match.
jobs_are() {
  local data=$1 n=$2
  shift 2
  [ "$(count_jobs "$data" "$@")" -eq "$n" ]
}
# job_field DATA ID COLUMN: a column of the jobs table (1 ID, 2 STATE, 3 WORKFLOW, 4 BRANCH, 5 COMMIT).
job_field() { "$bin" jobs --data-dir "$1" --limit 100000 | awk -v id="$2" -v c="$3" '$1 == id { print $c }'; }

# job_is DATA ID STATE: job ID is in STATE now (for wait_for, which needs a command, not its output).
job_is() { [ "$(job_field "$1" "$2" 2)" = "$3" ]; }

# runner_url DATA: the base URL of the runner using DATA (started with --listen 127.0.0.1:0).
runner_url() { echo "http://$(/usr/bin/python3 -c 'import json, sys; print(json.load(open(sys.argv[1]))["listen"])' "$1/state.json")"; }
# wait_serving DATA: until the runner using DATA serves, at another address
# than $base (a restarted runner: state.json keeps the stopped one's); sets $base.
wait_serving() {
  local old=${base:-none}
  wait_for "the runner serves" 10 bash -c "grep -q '\"listen\": \"127.0.0.1:[1-9]' '$1/state.json' && ! grep -qF '\"${old#http://}\"' '$1/state.json'"
  base=$(runner_url "$1")
}
# reply_field PATH: a field of the JSON body fetch.py left in $tmp/out (after its status line),
# e.g. reply_field id, reply_field tasks 0 release_id.
reply_field() {
  /usr/bin/python3 -c 'import json, sys
v = json.loads(open(sys.argv[1]).read().split("\n", 1)[1])
for k in sys.argv[2:]: v = v[int(k) if k.isdigit() else k]
print(v)' "$tmp/out" "$@"
}

# settle SECONDS: time for anything wrong (a second job, a re-run) to show up.
settle() { sleep "$1"; }
# check NAME CMD...: CMD succeeds now.
check() {
  local name=$1
  shift
  if "$@" >/dev/null 2>&1; then ok; else fail "$name: $*"; fi
}
