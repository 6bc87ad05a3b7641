#!/usr/bin/env bash
# Builds the loader's libFuzzer target with clang (ASan + UBSan) in
# build-fuzz/ and runs it for N seconds (default 60) from the examples and
# fixtures. A crash is copied into tests/fuzz/regressions/ (replayed by the
# unit tests once committed) and fails the run.
set -euo pipefail
cd "$(dirname "$0")/../.."
seconds=${1:-60}
if [ "$seconds" -eq 0 ]; then
  echo "fuzz: skipped (0 seconds)"
  exit 0
fi
if [ ! -f build-fuzz/build.ninja ]; then
  CXX=clang++ cmake -S . -B build-fuzz -G Ninja -DCWF_FUZZ=ON -DCMAKE_BUILD_TYPE=RelWithDebInfo >/dev/null
fi
cmake --build build-fuzz -j "$(nproc)" >/dev/null
corpus=build-fuzz/corpus
mkdir -p "$corpus" build-fuzz/crashes
cp examples/*.yml tests/fixtures/valid/*.yml tests/fixtures/invalid/*.yml tests/fuzz/regressions/*.yml \
   .convox-workflows.yml.example "$corpus"/
echo "fuzzing the loader for ${seconds}s"
set +e
build-fuzz/loader_fuzzer "$corpus" -max_total_time="$seconds" -rss_limit_mb=2048 -timeout=10 \
  -max_len=65536 -dict=tests/fuzz/workflows.dict -print_final_stats=1 -artifact_prefix=build-fuzz/crashes/ 2>build-fuzz/fuzz.log
rc=$?
set -e
grep -E "^stat::number_of_executed_units|^stat::peak_rss_mb" build-fuzz/fuzz.log || true
if [ "$rc" -ne 0 ]; then
  tail -40 build-fuzz/fuzz.log
  for f in build-fuzz/crashes/*; do
    [ -f "$f" ] && cp "$f" "tests/fuzz/regressions/$(basename "$f").yml" && echo "saved tests/fuzz/regressions/$(basename "$f").yml"
  done
  echo "fuzz: 0 passed, 1 failed"
  exit 1
fi
echo "fuzz: 1 passed, 0 failed"
