#!/usr/bin/env bash
# README command 2 (and CI's): install what is missing, build, run the whole
# suite with ctest, then fuzz the loader for CWF_FUZZ_SECONDS (default 60).
# Fails if anything fails.
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/install-deps.sh test
scripts/build.sh
(cd build && ctest --output-on-failure -j "$(nproc)")
tests/fuzz/run.sh "${CWF_FUZZ_SECONDS:-60}"
