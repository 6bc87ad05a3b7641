#!/usr/bin/env bash
# Builds the libFuzzer targets with clang (ASan + UBSan) in build-fuzz/ and
# runs them for N seconds in all (default 60): the loader half of it, the
# webhook payloads and the signature checks a quarter each. A crash is copied
# into tests/fuzz/regressions/ (replayed by the unit tests once committed) and
# fails the run.
set -euo pipefail
cd "$(dirname "$0")/../.."
seconds=${1:-60}
if [ "$seconds" -eq 0 ]; then
  echo "fuzz: skipped (0 seconds)"
  exit 0
fi
if [ ! -f build-fuzz/build.ninja ] || ! grep -q signature_fuzzer build-fuzz/build.ninja; then
  CXX=clang++ cmake -S . -B build-fuzz -G Ninja -DCWF_FUZZ=ON -DCWF_WERROR=ON -DCMAKE_BUILD_TYPE=RelWithDebInfo >/dev/null
fi
cmake --build build-fuzz -j "$(nproc)" >/dev/null
mkdir -p build-fuzz/crashes build-fuzz/corpus/loader build-fuzz/corpus/webhook build-fuzz/corpus/signature
cp examples/*.yml tests/fixtures/valid/*.yml tests/fixtures/invalid/*.yml tests/fuzz/regressions/*.yml \
   .convox-workflows.yml.example build-fuzz/corpus/loader/
# Webhook seeds: the forges' real payloads behind the byte that picks their event (webhook_event.hh).
w=tests/fixtures/webhooks
for seed in "0 $w/github-webhooks/push_payload.json" "1 $w/github-webhooks/status_payload.json" \
            "2 $w/github-webhooks/check_run_completed.payload.json" "3 $w/gitlab-webhooks/push_hook.json" \
            "4 $w/gitlab-webhooks/pipeline_hook.json"; do
  set -- $seed
  { printf "\\x0$1"; cat "$2"; } >"build-fuzz/corpus/webhook/seed-$1"
done
cp tests/fuzz/regressions/webhook/* build-fuzz/corpus/webhook/
printf '\x1aIt'"'"'s a Secret to EverybodyHello, World!' >build-fuzz/corpus/signature/seed

failed=0
fuzz() {  # TARGET SECONDS REGRESSIONS_DIR SUFFIX [libFuzzer flags]
  local target=$1 secs=$2 keep=$3 suffix=$4
  shift 4
  echo "fuzzing $target for ${secs}s"
  set +e
  "build-fuzz/$target" "build-fuzz/corpus/${target%_fuzzer}" -max_total_time="$secs" -rss_limit_mb=2048 -timeout=10 \
    -print_final_stats=1 -artifact_prefix="build-fuzz/crashes/$target-" "$@" 2>"build-fuzz/$target.log"
  local rc=$?
  set -e
  grep -E "^stat::number_of_executed_units|^stat::peak_rss_mb" "build-fuzz/$target.log" || true
  if [ "$rc" -ne 0 ]; then
    tail -40 "build-fuzz/$target.log"
    for f in build-fuzz/crashes/"$target"-*; do
      [ -f "$f" ] && mkdir -p "$keep" && cp "$f" "$keep/$(basename "$f")$suffix" && echo "saved $keep/$(basename "$f")$suffix"
    done
    failed=1
  fi
}
fuzz loader_fuzzer $((seconds / 2)) tests/fuzz/regressions .yml -max_len=65536 -dict=tests/fuzz/workflows.dict
fuzz webhook_fuzzer $((seconds / 4)) tests/fuzz/regressions/webhook "" -max_len=65536
fuzz signature_fuzzer $((seconds / 4)) tests/fuzz/regressions/signature "" -max_len=4096
if [ "$failed" -ne 0 ]; then
  echo "fuzz: 0 passed, 1 failed"
  exit 1
fi
echo "fuzz: 1 passed, 0 failed"
