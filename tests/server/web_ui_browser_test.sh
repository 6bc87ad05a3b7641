#!/usr/bin/env bash
# The web UI in a real browser: Debian's headless Chromium renders the jobs
# list and a job's log served by a running runner (--dump-dom: the DOM after
# the page loaded).
# usage: web_ui_browser_test.sh CONVOX_WORKFLOWS_BINARY SOURCE_DIR
set -u
bin=$(realpath "$1")
src=$(realpath "$2")
tmp=$(mktemp -d)
trap 'stop_all_runners; rm -rf "$tmp"' EXIT
. "$src/tests/cli/lib.sh"
. "$src/tests/runner/lib.sh"
browser=$(command -v chromium || true)
if [ -z "$browser" ]; then
  fail "chromium is not installed (scripts/install-deps.sh test installs it)"
  summary web_ui_browser
  exit 1
fi
dom() {  # dom URL: the rendered DOM into $tmp/out
  timeout 60 "$browser" --headless --no-sandbox --disable-gpu --no-first-run --disable-background-networking \
    --disable-dev-shm-usage --user-data-dir="$tmp/chrome" --dump-dom "$1" >"$tmp/out" 2>"$tmp/err"
}

new_remote app
cat >"$tmp/wf.yml" <<YML
version: 1
workflows:
  - name: browse
    trigger: {integration: git, repository: "file://$tmp/app.git", branch: main}
    tasks: [{type: script, name: greet, command: 'echo "rendered <in> the browser"; printf "\\033[32mgreen\\033[0m \\033]0;title\\007done\\n"'}]
YML
data=$tmp/data
start_runner r.log --workflows-file "$tmp/wf.yml" --data-dir "$data"
wait_for "the runner watches" 10 in_log r.log "watching a new remote"
push app
wait_for "a job ran" 10 jobs_are "$data" 1 --state succeeded
base=$(runner_url "$data")

if dom "$base/"; then ok; else fail "chromium could not load $base/"; sed 's/^/    /' "$tmp/err" | tail -5; fi
expect "the jobs list renders" out '<table id="jobs">'
expect "a green row for the job" out '<span class="dot green" title="succeeded">'
expect "its timestamp links to its page" out '<a href="/jobs/1">'
expect "the workflows are listed" out '<td>browse</td>'
expect "the job's number links to its page" out '<a href="/jobs/1">#1</a>'
expect "its commit's first line" out 'change change.txt'
if dom "$base/?workflow=browse&state=succeeded"; then ok; else fail "chromium could not load a filtered list"; fi
expect "a filter that matches keeps the job" out '<a href="/jobs/1">#1</a>'
expect "and shows what it filters" out '<option value="succeeded" selected="">succeeded</option>'
if dom "$base/?state=failed"; then ok; else fail "chromium could not load a filtered list"; fi
expect "one that doesn't, says so" out 'No job matches these filters.'
if dom "$base/jobs/1"; then ok; else fail "chromium could not load $base/jobs/1"; fi
expect "the job's page shows its task" out '<td>greet</td>'
expect "and its log, escaped" out 'rendered &lt;in&gt; the browser'
expect "its colours as spans, a window title dropped" out '<span class="ansi-green">green</span> done'
stop_runner "browser runner"
summary web_ui_browser
