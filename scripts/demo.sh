#!/usr/bin/env bash
# README command 1: install what is missing, build, and show the product's
# main job end to end, on this machine: a local bare repository seeded with a
# demo app and its workflows file, the runner watching it, a push, and the
# job's log as it runs. The runner stays up so you can push more.
#   CWF_DEMO_DIR   where the demo lives (default /tmp/convox-workflows-demo, recreated)
#   CWF_DEMO_BIN   use this binary instead of installing and building (tests)
#   CWF_DEMO_STOP  stop the runner at the end (tests)
set -euo pipefail
cd "$(dirname "$0")/.."
if [ -z "${CWF_DEMO_BIN:-}" ]; then
  scripts/install-deps.sh build
  scripts/build.sh convox-workflows >/dev/null
  bin=$PWD/build/convox-workflows
else
  bin=$(realpath "$CWF_DEMO_BIN")
fi
demo=${CWF_DEMO_DIR:-/tmp/convox-workflows-demo}
if [ -f "$demo/runner.pid" ]; then kill "$(cat "$demo/runner.pid")" 2>/dev/null || true; sleep 1; fi
rm -rf "$demo"
mkdir -p "$demo"
export GIT_AUTHOR_NAME=demo GIT_AUTHOR_EMAIL=demo@example.com GIT_COMMITTER_NAME=demo GIT_COMMITTER_EMAIL=demo@example.com

echo "== a repository with a demo app and its workflows file: $demo/app.git"
git init -q --bare -b main "$demo/app.git"
git init -q -b main "$demo/work"
cd "$demo/work"
git remote add origin "$demo/app.git"
git config user.email demo@example.com && git config user.name demo  # for your pushes too
cat >greet.sh <<'SH'
#!/bin/sh
echo "Hello from commit ${BUILD_GIT_SHA:-unknown}"
SH
cat >test.sh <<'SH'
#!/bin/sh
set -e
./greet.sh | grep -q Hello && echo "test: greet.sh says hello: ok"
SH
chmod +x greet.sh test.sh
cat >.convox-workflows.yml <<YML
version: 1
workflows:
  - name: demo
    trigger: {integration: git, repository: "file://$demo/app.git", branch: main}
    tasks:
      - {type: script, name: test, command: ./test.sh}
      - type: script
        name: deploy
        command: |
          echo "deploying \$BUILD_GIT_SHA from \$GIT_BRANCH (job \$CONVOX_JOB_ID)"
          for step in upload rollout health; do sleep 1; echo "  \$step: ok"; done
          mkdir -p $demo/deployed && ./greet.sh > $demo/deployed/current
YML
git add -A && git commit -qm "demo app and its workflows" && git push -q origin main
"$bin" validate .convox-workflows.yml

echo
echo "== convox-workflows run --config-repo $demo/app.git --data-dir $demo/data --poll-interval 1s"
"$bin" run --config-repo "$demo/app.git" --data-dir "$demo/data" --poll-interval 1s --listen 127.0.0.1:0 \
  >"$demo/runner.log" 2>&1 &
runner=$!
echo $runner >"$demo/runner.pid"
for _ in $(seq 50); do grep -q "watching a new remote" "$demo/runner.log" && break; sleep 0.2; done
cat "$demo/runner.log"

echo
echo "== a push: a new commit on main"
echo "Hello, world" >>README
git add README && git commit -qm "say hello" && git push -q origin main
git log --oneline -1
job=""
for _ in $(seq 50); do
  job=$("$bin" jobs --data-dir "$demo/data" --limit 1 | awk 'NR == 2 { print $1 }')
  [ -n "$job" ] && break
  sleep 0.2
done
[ -n "$job" ] || { echo "no job started; see $demo/runner.log" >&2; exit 1; }

echo
echo "== convox-workflows logs $job --follow"
"$bin" logs "$job" --follow --data-dir "$demo/data"
echo
"$bin" jobs --data-dir "$demo/data"
echo
"$bin" status --data-dir "$demo/data"
state=$("$bin" jobs --data-dir "$demo/data" --limit 1 | awk 'NR == 2 { print $2 }')

if [ -n "${CWF_DEMO_STOP:-}" ]; then
  kill -TERM "$runner" && wait "$runner"
  rm -f "$demo/runner.pid"
else
  listen=$(sed -n 's/.*"listen": "\([^"]*\)".*/\1/p' "$demo/data/state.json")
  cat <<TXT

The runner is still watching $demo/app.git (pid $runner, log: $demo/runner.log).
Web UI: http://$listen/   (jobs red and green, each job's tasks and log; API: http://$listen/api/jobs)
Push another commit and watch it run:

  cd $demo/work && echo more >>README && git commit -qam more && git push -q origin main
  $bin jobs --data-dir $demo/data
  $bin logs --data-dir $demo/data --follow \$($bin jobs --data-dir $demo/data --limit 1 | awk 'NR == 2 {print \$1}')

Edit .convox-workflows.yml in $demo/work and push it: the runner applies it at once, or, if it is
invalid, keeps the last good one and says why ($bin status --data-dir $demo/data).
Stop the runner: kill $runner
TXT
fi
[ "$state" = succeeded ]
