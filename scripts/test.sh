#!/usr/bin/env bash
# README command 2 (and CI's): install what is missing, build, run the whole
# suite with ctest, then run the fuzzers (the loader, webhook payloads,
# signature checks) for CWF_FUZZ_SECONDS in all (default 60), then build and
# run the container image (tests/container/container_test.sh).
# Fails if anything fails; the last line counts everything that ran.
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/install-deps.sh test
scripts/build.sh
log=$(mktemp)
trap 'rm -f "$log"' EXIT
(cd build && ctest --output-on-failure -j "$(nproc)") | tee "$log"
ran=$(sed -n 's/.*tests passed, 0 tests failed out of \([0-9]*\).*/\1/p' "$log")
tests/fuzz/run.sh "${CWF_FUZZ_SECONDS:-60}" | tee "$log"
grep -q "^fuzz: 1 passed" "$log" && ran=$((ran + 1))
# The image, built and run with podman (CWF_CONTAINER_TEST=0 skips it locally).
if [ "${CWF_CONTAINER_TEST:-1}" != 0 ]; then
  as_root=()  # debootstrap and rootful podman
  [ "$(id -u)" -eq 0 ] || as_root=(sudo -E)
  "${as_root[@]}" bash tests/container/container_test.sh . | tee "$log"
  grep -q "^container: [0-9]* passed, 0 failed" "$log" || { echo "all: container test failed"; exit 1; }
  ran=$((ran + 1))
fi
echo "all: $ran passed, 0 failed"
