#!/usr/bin/env bash
# The web UI in a real browser: tests/server/web_ui_selenium.py drives
# Debian's headless Chromium (Selenium and ChromeDriver) against a running
# runner. Screenshots land in ARTIFACTS_DIR (default: build/artifacts/web-ui).
# usage: web_ui_browser_test.sh CONVOX_WORKFLOWS_BINARY SOURCE_DIR
set -u
bin=$(realpath "$1")
src=$(realpath "$2")
tmp=$(mktemp -d)
trap 'stop_all_runners; rm -rf "$tmp"' EXIT
. "$src/tests/cli/lib.sh"
. "$src/tests/runner/lib.sh"
artifacts=${ARTIFACTS_DIR:-$src/build/artifacts/web-ui}
for need in /usr/bin/chromium /usr/bin/chromedriver; do
  [ -x "$need" ] || { fail "$need is missing (scripts/install-deps.sh test installs it)"; summary web_ui_browser; exit 1; }
done
/usr/bin/python3 -c 'import selenium' 2>/dev/null ||
  { fail "python3-selenium is missing (scripts/install-deps.sh test installs it)"; summary web_ui_browser; exit 1; }

new_remote app
fake_convox "$tmp/convox"
cat >"$tmp/wf.yml" <<YML
version: 1
workflows:
  - name: browse
    trigger: {integration: git, repository: "file://$tmp/app.git", branch: main}
    tasks: [{type: script, name: greet, command: 'echo "rendered <in> the browser"'}]
  - name: stream
    trigger: {integration: git, repository: "file://$tmp/app.git", branch: never}
    tasks: [{type: script, name: count, command: 'for i in \$(seq 1 60); do printf "line %s \\033[32mgreen\\033[0m\\n" \$i; sleep 0.1; done; printf "\\033]0;title\\007done\\n"'}]
  - name: long
    trigger: {integration: git, repository: "file://$tmp/app.git", branch: "release/*"}
    tasks: [{type: script, command: 'sleep 60'}]
  - name: release
    trigger: {integration: git, repository: "file://$tmp/app.git", branch: "release/*"}
    tasks: [{type: build, app: web}]
YML
data=$tmp/data
CONVOX_WORKFLOWS_API_TOKEN=br0wser start_runner r.log --workflows-file "$tmp/wf.yml" --data-dir "$data" \
  --convox-bin "$tmp/convox"
wait_for "the runner watches" 10 in_log r.log "watching a new remote"
push app
wait_for "a job ran" 10 jobs_are "$data" 1 --state succeeded
base=$(runner_url "$data")
if timeout 300 /usr/bin/python3 "$src/tests/server/web_ui_selenium.py" "$base" br0wser "$artifacts" >"$tmp/selenium" 2>&1; then
  ok
else
  fail "the browser session"
fi
sed 's/^/    /' "$tmp/selenium"
stop_runner "browser runner"
summary web_ui_browser
