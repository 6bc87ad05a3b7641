#!/usr/bin/env bash
# The executor's overhead, each against a baseline measured in the same run:
#  1. 200 script tasks each running `true`, vs a plain shell spawning the same
#     200 `sh -c true` processes (target: wall ratio <= 1.3);
#  2. one task printing 1 GiB with masking on, vs the same command redirected
#     to a file by the shell (target: throughput ratio >= 0.67), and the
#     runner's peak RSS meanwhile (target: < 50 MB);
#  3. the same 1 GiB with a multi-line secret in the environment (a 4096-bit
#     RSA private key: ~50 lines, each masked on its own), vs 2 (target:
#     throughput ratio >= 0.8);
#  4. a copy task moving a 2 GiB build from `builds export` to `builds
#     import` (a CLI whose export is `head -c 2G /dev/zero`, whose import
#     counts it), vs the same pipe in a shell (target: throughput ratio
#     >= 0.9), and the runner's peak RSS meanwhile (the build never passes
#     through it: < 50 MB).
# Needs hyperfine and time (Debian packages). usage: bench/exec_bench.sh [BINARY]
set -euo pipefail
cd "$(dirname "$0")/.."
bin=$(realpath "${1:-build/convox-workflows}")
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT

repo=$tmp/repo
git init -q -b main "$repo"
git -C "$repo" config user.email b@example.com && git -C "$repo" config user.name b
gen='yes "step 42/97: compiling src/module/file.cc with -O2 and a few more words" | head -c 1073741824'
{
  echo "version: 1"
  echo "workflows:"
  echo "  - name: many"
  echo "    trigger: {integration: git, repository: \"file:///srv/b.git\", branch: main}"
  echo "    tasks:"
  for _ in $(seq 200); do echo "      - {type: script, command: \"true\"}"; done
  echo "  - name: copy"
  echo "    trigger: {integration: git, repository: \"file:///srv/b.git\", branch: main}"
  echo "    tasks:"
  echo "      - {type: copy, build: BBENCH, from: {app: a}, app: b}"
  echo "  - name: loud"
  echo "    trigger: {integration: git, repository: \"file:///srv/b.git\", branch: main}"
  echo "    tasks:"
  echo "      - {type: script, command: '$gen'}"
} >"$repo/.convox-workflows.yml"
git -C "$repo" add -A && git -C "$repo" commit -qm bench
printf '#!/bin/sh\nfor i in $(seq 200); do sh -c true; done\n' >"$tmp/spawn200.sh"
cat >"$tmp/convox" <<'SH'
#!/bin/sh
case "$2" in
  export) exec head -c 2147483648 /dev/zero ;;
  import) wc -c >/dev/null && echo "Importing build... OK, RBENCH" >&2 && printf RBENCH ;;
esac
SH
chmod +x "$tmp/convox"

cd "$repo"
report() {  # report JSON NAME_OURS NAME_BASE: medians and their ratio
  /usr/bin/python3 - "$@" <<'PY'
import json, sys
r = {x["command"]: x for x in json.load(open(sys.argv[1]))["results"]}
a, b = r[sys.argv[2]], r[sys.argv[3]]
for x in (a, b):
    print(f"  {x['command']:34s} median {x['median'] * 1000:8.1f} ms  (min {x['min'] * 1000:.1f}, {len(x['times'])} runs)")
print(f"  wall ratio {sys.argv[2]} / {sys.argv[3]}: {a['median'] / b['median']:.2f}")
PY
}

throughput() {  # throughput JSON NAME BASELINE LABEL [MIB]: MIB (1024) each, medians and their ratio
  /usr/bin/python3 - "$@" <<'PY'
import json, sys
r = {x["command"]: x for x in json.load(open(sys.argv[1]))["results"]}
a, b = r[sys.argv[2]], r[sys.argv[3]]
mib = float(sys.argv[5]) if len(sys.argv) > 5 else 1024
for x in (a, b):
    print(f"  {x['command']:34s} median {x['median']:6.2f} s  ({mib / x['median']:.0f} MiB/s, {len(x['times'])} runs)")
print(f"  throughput ratio ({sys.argv[4]}): {b['median'] / a['median']:.2f}")
PY
}

echo "1. 200 tasks of 'true' (a job: checkout, store, logs) vs 200 'sh -c true' from a shell"
hyperfine -N --warmup 2 --runs 10 --export-json "$tmp/spawn.json" \
  -n "convox-workflows exec (200 tasks)" "$bin exec --workflow many -q --data-dir $tmp/data" \
  -n "sh: 200 x sh -c true" "sh $tmp/spawn200.sh" >/dev/null
report "$tmp/spawn.json" "convox-workflows exec (200 tasks)" "sh: 200 x sh -c true"

echo "2. one task printing 1 GiB, masking on, vs the shell redirecting it to a file"
hyperfine -N --warmup 1 --runs 5 --export-json "$tmp/log.json" \
  -n "convox-workflows exec (1 GiB log)" \
  "env BENCH_TOKEN=not-in-the-output $bin exec --workflow loud -q --log-limit 2048 --data-dir $tmp/data2" \
  -n "sh: command > file" "sh -c '$gen > $tmp/out.txt'" >/dev/null
throughput "$tmp/log.json" "convox-workflows exec (1 GiB log)" "sh: command > file" "ours / shell"
rss=$( { /usr/bin/time -f %M env BENCH_TOKEN=not-in-the-output "$bin" exec --workflow loud -q --log-limit 2048 \
         --data-dir "$tmp/data3" >/dev/null; } 2>&1 | tail -1)
echo "  peak RSS of the runner while logging 1 GiB: $((rss / 1024)) MiB"

echo "3. the same 1 GiB with a multi-line secret (an RSA private key) to mask, vs the single-line token of 2"
ssh-keygen -q -t rsa -b 4096 -N '' -f "$tmp/key" >/dev/null
# Both through sh, which reads the key from its file.
hyperfine -N --warmup 1 --runs 5 --export-json "$tmp/key.json" \
  -n "one token" "sh -c 'BENCH_TOKEN=not-in-the-output exec $bin exec --workflow loud -q --log-limit 2048 --data-dir $tmp/data4'" \
  -n "a private key" "sh -c 'DEPLOY_KEY=\$(cat $tmp/key) exec $bin exec --workflow loud -q --log-limit 2048 --data-dir $tmp/data5'" \
  >/dev/null
throughput "$tmp/key.json" "a private key" "one token" "key / token"

echo "4. a copy task moving 2 GiB from builds export to builds import, vs the same pipe in a shell"
hyperfine -N --warmup 1 --runs 5 --export-json "$tmp/copy.json" \
  -n "convox-workflows exec (copy 2 GiB)" "$bin exec --workflow copy -q --convox-bin $tmp/convox --data-dir $tmp/data6" \
  -n "sh: export | import" "sh -c '$tmp/convox builds export | $tmp/convox builds import >/dev/null 2>&1'" >/dev/null
throughput "$tmp/copy.json" "convox-workflows exec (copy 2 GiB)" "sh: export | import" "ours / shell" 2048
rss=$( { /usr/bin/time -f %M "$bin" exec --workflow copy -q --convox-bin "$tmp/convox" --data-dir "$tmp/data7" >/dev/null; } 2>&1 | tail -1)
echo "  peak RSS of the runner while copying 2 GiB: $((rss / 1024)) MiB"
