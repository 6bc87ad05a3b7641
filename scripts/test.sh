#!/usr/bin/env bash
# README command 2 (and CI's): install what is missing, build, run the whole
# suite with ctest, then run the fuzzers (the loader, webhook payloads,
# signature checks) for CWF_FUZZ_SECONDS in all (default 60), then build a
# second configuration (clang, Release; CWF_CLANG_BUILD=0 skips it), then
# build and run the container image (tests/container/container_test.sh).
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
# Another compiler and optimisation level than build/'s GCC RelWithDebInfo,
# warnings as errors, so a user's `cmake -DCMAKE_BUILD_TYPE=Release` keeps
# compiling (the image builds GCC Release).
if [ "${CWF_CLANG_BUILD:-1}" != 0 ]; then
  started=$SECONDS
  [ -f build-clang/build.ninja ] ||
    CXX=clang++ cmake -S . -B build-clang -G Ninja -DCMAKE_BUILD_TYPE=Release -DCWF_WERROR=ON >/dev/null
  if cmake --build build-clang -j "$(nproc)" >"$log" 2>&1; then
    echo "clang-release: 1 passed, 0 failed ($((SECONDS - started)) s)"
    ran=$((ran + 1))
  else
    grep -E "error|warning" "$log" | head -40
    echo "all: the clang Release build failed"
    exit 1
  fi
fi
# The image, built and run with podman (CWF_CONTAINER_TEST=0 skips it locally).
if [ "${CWF_CONTAINER_TEST:-1}" != 0 ]; then
  as_root=()  # debootstrap and rootful podman
  [ "$(id -u)" -eq 0 ] || as_root=(sudo -E)
  "${as_root[@]}" bash tests/container/container_test.sh . | tee "$log"
  grep -q "^container: [0-9]* passed, 0 failed" "$log" || { echo "all: container test failed"; exit 1; }
  ran=$((ran + 1))
fi
echo "all: $ran passed, 0 failed"
