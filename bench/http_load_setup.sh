# Sourced by bench/http_load_bench.sh and tests/server/http_load_test.sh, with
# $src, $bin and $tmp set: a runner (its pid in $pid, its URL in $base) with a
# job running ($job) that prints a line every 50 ms, a forge directory whose
# push webhook starts the `hello` workflow, and load NAME ARGS... to run
# bench/http_load.py (its JSON line left in $tmp/NAME.json).
. "$src/bench/lib.sh"
mkdir -p "$tmp/forge/Codertocat"
bench_remote "$tmp/forge/Codertocat/Hello-World.git" master
cat >"$tmp/wf.yml" <<'YML'
version: 1
workflows:
  - name: hello
    trigger: {integration: github, repository: Codertocat/Hello-World, branch: master, require_status: false}
    tasks: [{type: script, command: 'echo hello'}]
  - name: ticker
    trigger: {integration: github, repository: Codertocat/Hello-World, branch: never, require_status: false}
    tasks: [{type: script, command: 'i=0; while [ $i -lt 20000 ]; do i=$((i+1)); echo "tick $i ........................................"; sleep 0.05; done'}]
YML
printf 'load-secret' >"$tmp/secret"
printf 'load-token' >"$tmp/token"
"$bin" run --workflows-file "$tmp/wf.yml" --data-dir "$tmp/data" --listen 127.0.0.1:0 --poll-interval 60s \
  --github-url "file://$tmp/forge" --github-webhook-secret-file "$tmp/secret" --api-token-file "$tmp/token" \
  ${HTTP_LOAD_RUNNER_ARGS---max-follow-streams-per-client 64} --shutdown-grace 2s --log-level warn >"$tmp/runner.log" 2>&1 &
pid=$!
for _ in $(seq 100); do [ -s "$tmp/data/state.json" ] && grep -q '"listen": "127' "$tmp/data/state.json" && break; sleep 0.1; done
base=http://$(listen_of "$tmp/data")
sleep 1
job=$(/usr/bin/python3 - "$base" <<'PY'
import http.client, json, sys, urllib.parse
u = urllib.parse.urlparse(sys.argv[1])
c = http.client.HTTPConnection(u.hostname, u.port)
c.request("POST", "/api/workflows/ticker/trigger", '{"branch": "master"}', {"Authorization": "Bearer load-token"})
print(json.loads(c.getresponse().read())["id"])
PY
)
sleep 1
load() {  # NAME ARGS...: one scenario, its JSON line kept in $tmp/NAME.json
  local name=$1
  shift
  /usr/bin/python3 "$src/bench/http_load.py" --base "$base" --pid "$pid" --job "$job" "$@" >"$tmp/$name.json"
  echo "$name: $(cat "$tmp/$name.json")"
}
hook=(--push-repo "$tmp/w" --secret load-secret
  --payload "$src/tests/fixtures/webhooks/github-webhooks/push_with-new-branch.payload.json")
