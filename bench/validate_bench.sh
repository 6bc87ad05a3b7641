#!/usr/bin/env bash
# Validates a generated file of 1,000 workflows with convox-workflows and, in
# the same run, with /usr/bin/python3 + jsonschema (a peer validator: PyYAML
# load + Draft 7 validation of the same schema). Prints each one's wall time
# over RUNS runs (default 20, by hyperfine), the ratio of medians, and peak RSS;
# then where a small file's time goes: examples/seed-pipeline.yml validated,
# against `version` (the process start alone).
# Needs: hyperfine, time (Debian packages).
# usage: bench/validate_bench.sh [BINARY] [RUNS]
set -euo pipefail
cd "$(dirname "$0")/.."
bin=${1:-build/convox-workflows}
runs=${2:-20}
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
/usr/bin/python3 bench/gen_workflows.py 1000 >"$tmp/w.yml"
cat >"$tmp/peer.py" <<'PY'
import json, sys, jsonschema, yaml
schema = json.load(open(sys.argv[1]))
errors = list(jsonschema.Draft7Validator(schema).iter_errors(yaml.safe_load(open(sys.argv[2]))))
sys.exit(1 if errors else 0)
PY
echo "file: $(wc -l <"$tmp/w.yml") lines, $(wc -c <"$tmp/w.yml") bytes, 1000 workflows"

rss_kb() { /usr/bin/time -f %M "$@" 2>&1 >/dev/null | tail -1; }

# hyperfine runs both commands interleaved in one session, after warmups, and
# corrects for the shell it spawns them with.
hyperfine -N --warmup 3 --runs "$runs" --export-json "$tmp/h.json" \
  -n convox-workflows "$bin validate $tmp/w.yml" \
  -n python3+jsonschema "/usr/bin/python3 $tmp/peer.py schema/convox-workflows.schema.json $tmp/w.yml" >/dev/null
/usr/bin/python3 - "$tmp/h.json" <<'PY'
import json, sys
r = {x["command"]: x for x in json.load(open(sys.argv[1]))["results"]}
ours, peer = r["convox-workflows"], r["python3+jsonschema"]
for name, x in (("convox-workflows validate", ours), ("python3 + jsonschema", peer)):
    print(f"{name:27s} median {x['median'] * 1000:7.1f} ms  (mean {x['mean'] * 1000:.1f} +- {x['stddev'] * 1000:.1f} ms, min {x['min'] * 1000:.1f} ms, {len(x['times'])} runs)")
print(f"ratio (ours / peer): {ours['median'] / peer['median']:.3f}  (the peer takes {peer['median'] / ours['median']:.0f}x as long)")
PY
echo "peak RSS: convox-workflows $(rss_kb "$bin" validate "$tmp/w.yml") KiB, python3 + jsonschema $(rss_kb /usr/bin/python3 "$tmp/peer.py" schema/convox-workflows.schema.json "$tmp/w.yml") KiB"

# A real file's size: the start-up is the whole cost.
hyperfine -N --warmup 5 --runs $((runs * 2)) --export-json "$tmp/s.json" \
  -n seed "$bin validate examples/seed-pipeline.yml" -n start-up "$bin version" >/dev/null
/usr/bin/python3 - "$tmp/s.json" <<'PY'
import json, sys
r = {x["command"]: x for x in json.load(open(sys.argv[1]))["results"]}
seed, start = r["seed"], r["start-up"]
print(f"examples/seed-pipeline.yml  median {seed['median'] * 1000:7.1f} ms  (max {seed['max'] * 1000:.1f} ms); "
      f"the process start alone (version) {start['median'] * 1000:.1f} ms")
PY
