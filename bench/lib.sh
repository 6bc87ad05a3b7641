# Shared by the runner's benchmarks; sourced with $tmp set. Commits carry a
# fixed identity, whatever the machine's git config says.
export GIT_AUTHOR_NAME=b GIT_AUTHOR_EMAIL=b@example.com GIT_COMMITTER_NAME=b GIT_COMMITTER_EMAIL=b@example.com

# bench_remote BARE BRANCH: a bare repository with one commit on BRANCH, and its clone $tmp/w.
bench_remote() {
  git init -q --bare -b "$2" "$1"
  git init -q -b "$2" "$tmp/w" && git -C "$tmp/w" remote add origin "$1"
  git -C "$tmp/w" commit -q --allow-empty -m zero && git -C "$tmp/w" push -q origin "$2"
}

# bench_workflow FILE REPOSITORY_URL BRANCH COMMAND: a workflows file with one script task.
bench_workflow() {
  cat >"$1" <<YML
version: 1
workflows:
  - name: bench
    trigger: {integration: git, repository: "$2", branch: $3}
    tasks: [{type: script, command: '$4'}]
YML
}

# listen_of DATA_DIR: the address a runner started with --listen ...:0 serves on.
listen_of() { /usr/bin/python3 -c 'import json, sys; print(json.load(open(sys.argv[1]))["listen"])' "$1/state.json"; }

# bench_big_store BIN DATA_DIR WORKFLOWS_FILE: a store of 100,000 ended jobs
# (20 workflows, four end states, a commit title and author each) made by
# BIN's own migrations, a task each.
bench_big_store() {
  "$1" run --once --workflows-file "$3" --data-dir "$2" --listen off --log-level warn
  /usr/bin/python3 - "$2/jobs.db" <<'PY'
import sqlite3, sys
db = sqlite3.connect(sys.argv[1])
states = ["succeeded", "failed", "cancelled", "skipped"]
db.executemany(
    "INSERT INTO jobs (workflow, repository, branch, commit_sha, trigger, state, created_at, started_at, finished_at, remote, "
    "commit_title, commit_author) VALUES (?, 'acme/web', 'main', ?, 'push', ?, ?, ?, ?, 'file:///x', ?, 'Ada <ada@example.com>')",
    ((f"w{i % 20}", f"{i:040x}", states[i % 4], 1795000000000 + i * 1000, 1795000000000 + i * 1000,
      1795000000000 + i * 1000 + 5000, f"change {i}: a commit's first line <escaped> & all") for i in range(100000)))
db.executemany("INSERT INTO tasks (job_id, idx, name, type, state) VALUES (?, 0, 'build', 'build', 'succeeded')",
               ((i,) for i in range(1, 100001)))
db.commit()
PY
}

# bench_serve_running BIN DATA_DIR WORKFLOWS_FILE: BIN serving that store on a
# free port (every job kept: --retain-jobs 0) with one job running, pushed to
# $tmp/w; sets $bg (its pid) and $listen.
bench_serve_running() {
  "$1" run --workflows-file "$3" --data-dir "$2" --listen 127.0.0.1:0 --poll-interval 1s --log-level warn \
    --retain-jobs 0 &
  bg=$!
  for _ in $(seq 100); do grep -q '"listen": "127' "$2/state.json" 2>/dev/null && break; sleep 0.1; done
  listen=$(listen_of "$2")
  sleep 1.5
  git -C "$tmp/w" commit -q --allow-empty -m one && git -C "$tmp/w" push -q origin main
  for _ in $(seq 50); do "$1" jobs --data-dir "$2" --state running | grep -q bench && break; sleep 0.2; done
  echo "== 100,000 jobs in the store; $("$1" jobs --data-dir "$2" --state running | tail -n +2 | wc -l) job running"
}
