#!/usr/bin/env bash
# The long kill -9 torture: tests/runner/torture_test.sh with 500 pushes
# (CI runs 50). Prints pushes, kills, lost, duplicated, stuck.
# usage: bench/torture_bench.sh [BINARY] [PUSHES] [SEED]
set -euo pipefail
cd "$(dirname "$0")/.."
exec bash tests/runner/torture_test.sh "$(realpath "${1:-build/convox-workflows}")" . "${2:-500}" "${3:-1}"
