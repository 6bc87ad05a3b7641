#!/usr/bin/env bash
# README command 1: install what is missing, build, and show the product's
# main job end to end, on this machine: a local bare repository seeded with a
# demo app and the seed's suggested workflow (test, build and promote
# staging, build production), the runner watching it, a push, the job's log
# as it runs, then production promoted by hand, as the web UI's Promote
# button does. The convox CLI is a stand-in (scripts/convox-stand-in) that
# touches no rack and says so; its racks live in a directory. The runner
# stays up so you can push more.
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

echo "== two racks (a stand-in convox CLI: $demo/convox), each with the app 'demo'"
src=$PWD
cat >"$demo/convox" <<SH
#!/bin/sh
# The demo's convox CLI: the stand-in, its racks in $demo/racks, a rollout taking 3 s.
export FAKE_CONVOX_STATE='$demo/racks' FAKE_CONVOX_ROLLOUT=\${FAKE_CONVOX_ROLLOUT:-3}
exec '$src/scripts/convox-stand-in' "\$@"
SH
chmod +x "$demo/convox"
for rack in demo/staging demo/production; do
  FAKE_CONVOX_ROLLOUT=0 "$demo/convox" apps create demo --rack "$rack"
done
head -c 24 /dev/urandom | od -An -tx1 | tr -d ' \n' >"$demo/api-token"

echo
echo "== a repository with the demo app and its workflows file: $demo/app.git"
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
printf 'FROM alpine:3.19\nCOPY . /app\nCMD ["/app/greet.sh"]\n' >Dockerfile
printf 'services:\n  web:\n    build: .\n' >docker-compose.yml
cat >.convox-workflows.yml <<YML
version: 1
workflows:
  - name: deploy
    trigger: {integration: git, repository: "file://$demo/app.git", branch: main}
    tasks:
      - {type: script, name: test, command: ./test.sh}
      # Staging: built and promoted; it counts once the rollout is done.
      - {type: build, name: staging, app: demo, rack: demo/staging, promote: true}
      # Production: built, and left for a person to promote.
      - {type: build, name: production, app: demo, rack: demo/production}
YML
git add -A && git commit -qm "demo app and its workflows" && git push -q origin main
"$bin" validate .convox-workflows.yml

echo
echo "== convox-workflows run --config-repo $demo/app.git --data-dir $demo/data --poll-interval 1s --convox-bin $demo/convox"
"$bin" run --config-repo "$demo/app.git" --data-dir "$demo/data" --poll-interval 1s --listen 127.0.0.1:0 \
  --convox-bin "$demo/convox" --api-token-file "$demo/api-token" >"$demo/runner.log" 2>&1 &
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
state=$("$bin" jobs --data-dir "$demo/data" --limit 1 | awk 'NR == 2 { print $2 }')
[ "$state" = succeeded ] || { echo "job $job: $state; see $demo/runner.log" >&2; exit 1; }

listen=$(sed -n 's/.*"listen": "\([^"]*\)".*/\1/p' "$demo/data/state.json")
echo
echo "== production, by hand: the job page's Promote button on task 2, or from the command line:"
echo "   convox-workflows promote $job 2 --server http://$listen --token-file $demo/api-token"
promoted=$("$bin" promote "$job" 2 --server "http://$listen" --token-file "$demo/api-token")
echo "$promoted"
manual=$(echo "$promoted" | awk '{ print $2 }')
"$bin" logs "$manual" --follow --data-dir "$demo/data"
echo
"$bin" jobs --data-dir "$demo/data"
echo
"$bin" status --data-dir "$demo/data"
echo
echo "== what each rack runs now (convox apps info demo --rack ...), and what the job built"
built=$("$bin" logs "$job" --data-dir "$demo/data" | sed -n 's/.*Release: \(R[A-Z0-9]*\).*/\1/p')
running=""
for rack in demo/staging demo/production; do
  release=$("$demo/convox" apps info demo --rack "$rack" 2>/dev/null | awk '/^Release/ { print $2 }')
  echo "$rack: $release"
  running="$running$release"$'\n'
done
state=$("$bin" jobs --data-dir "$demo/data" --limit 1 | awk 'NR == 2 { print $2 }')
[ "$running" = "$built"$'\n' ] || { echo "the racks run other releases than the job built: $built" >&2; state=mismatch; }

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
