#!/usr/bin/env bash
# Configures and builds into build/ (Ninja, RelWithDebInfo, warnings as
# errors: the project's own check). Incremental.
# usage: build.sh [TARGET...]   (default: everything, tests included)
set -euo pipefail
cd "$(dirname "$0")/.."
grep -qs "^CWF_WERROR:BOOL=ON" build/CMakeCache.txt ||
  cmake -S . -B build -G Ninja -DCMAKE_BUILD_TYPE=RelWithDebInfo -DCWF_WERROR=ON >/dev/null
targets=()
for t in "$@"; do targets+=(--target "$t"); done
cmake --build build -j "$(nproc)" "${targets[@]}"
