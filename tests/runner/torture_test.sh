#!/usr/bin/env bash
# kill -9 torture: the real runner against a local bare repository, PUSHES
# pushes (each a new branch, so each must run exactly once), and SIGKILL at
# random moments (idle, mid-poll, mid-task, mid-write), each followed by a
# restart. Then: every push ran exactly once or is `interrupted` (none lost,
# none twice), no job is left unfinished, the store passes
# `PRAGMA integrity_check`, and every stored log reads back.
# usage: torture_test.sh CONVOX_WORKFLOWS_BINARY SOURCE_DIR [PUSHES] [SEED]
set -u
bin=$(realpath "$1")
src=$(realpath "$2")
pushes=${3:-50}
RANDOM=${4:-$$}
tmp=$(mktemp -d)
trap 'stop_all_runners; [ -z "${KEEP:-}" ] && rm -rf "$tmp"' EXIT
. "$src/tests/cli/lib.sh"
. "$src/tests/runner/lib.sh"

new_remote app
cat >"$tmp/wf.yml" <<YML
version: 1
workflows:
  - name: tortured
    trigger: {integration: git, repository: "file://$tmp/app.git", branch: "b*"}
    tasks:
      - {type: script, command: 'sleep 0.\$((\$\$ % 4)); echo first \$BUILD_GIT_SHA'}
      - {type: script, command: 'echo second \$BUILD_GIT_SHA'}
YML
data=$tmp/data
begin() { start_runner r.log --workflows-file "$tmp/wf.yml" --data-dir "$data" --poll-interval 1s --log-level info; }
begin
wait_for "the first listing (the baseline)" 10 in_log r.log "watching a new remote from its current heads"

kills=0
: >"$tmp/pushed"
for i in $(seq "$pushes"); do
  push app "b$i"
  echo "b$i $(head_of app)" >>"$tmp/pushed"
  # Half the time, SIGKILL after 0-600 ms: while listing, fetching, writing
  # the jobs and heads, running a task, or idle. Then a new runner at once.
  if [ $((RANDOM % 2)) -eq 0 ]; then
    sleep "0.$((RANDOM % 600 + 100))"
    kill -KILL "$runner_pid" 2>/dev/null
    wait "$runner_pid" 2>/dev/null
    kills=$((kills + 1))
    begin
  else
    sleep "0.$((RANDOM % 300 + 100))"
  fi
done

# The last runner finishes what is left, then stops cleanly.
unfinished() { "$bin" jobs --data-dir "$data" --limit 100000 | awk 'NR > 1 && ($2 == "queued" || $2 == "waiting" || $2 == "running")' | grep -c .; }
all_pushed_seen() { [ "$("$bin" jobs --data-dir "$data" --limit 100000 | tail -n +2 | awk '{print $5}' | sort -u | grep -c .)" -ge "$pushes" ]; }
wait_for "every push has a job" 60 all_pushed_seen
nothing_unfinished() { [ "$(unfinished)" -eq 0 ]; }
wait_for "nothing left to run" 60 nothing_unfinished
stop_runner "the last runner"

"$bin" jobs --data-dir "$data" --limit 100000 | tail -n +2 >"$tmp/jobs"
lost=0 duplicated=0 interrupted=0
while read -r branch sha; do
  n=$(awk -v s="${sha:0:12}" '$5 == s' "$tmp/jobs" | grep -c .)
  if [ "$n" -eq 0 ]; then lost=$((lost + 1)); echo "lost: $branch $sha"; fi
  if [ "$n" -gt 1 ]; then duplicated=$((duplicated + 1)); echo "twice: $branch $sha"; fi
done <"$tmp/pushed"
interrupted=$(awk '$2 == "interrupted"' "$tmp/jobs" | grep -c .)
stuck=$(awk '$2 == "queued" || $2 == "waiting" || $2 == "running"' "$tmp/jobs" | grep -c .)
other=$(awk '$2 != "succeeded" && $2 != "interrupted"' "$tmp/jobs" | grep -c .)
check "none lost" test "$lost" -eq 0
check "none run twice" test "$duplicated" -eq 0
check "none stuck" test "$stuck" -eq 0
check "every job succeeded or was interrupted" test "$other" -eq 0
check "the store passes PRAGMA integrity_check" test "$(/usr/bin/python3 -c '
import sqlite3, sys
print(sqlite3.connect(sys.argv[1]).execute("PRAGMA integrity_check").fetchone()[0])' "$data/jobs.db")" = ok
unreadable=0
for id in $(awk '{print $1}' "$tmp/jobs"); do
  "$bin" logs "$id" --data-dir "$data" >"$tmp/log" 2>&1 || { unreadable=$((unreadable + 1)); echo "log $id:"; cat "$tmp/log"; }
done
check "every stored log reads back" test "$unreadable" -eq 0
ok_runs=$(awk '$2 == "succeeded"' "$tmp/jobs" | grep -c .)
check "a succeeded job's log has both tasks" bash -c "id=\$(awk '\$2 == \"succeeded\" {print \$1; exit}' '$tmp/jobs'); '$bin' logs \$id --data-dir '$data' | grep -q second"
echo "torture: pushes $pushes, kills $kills, jobs $(grep -c . "$tmp/jobs") (succeeded $ok_runs, interrupted $interrupted), lost $lost, duplicated $duplicated, stuck $stuck"
summary torture
