#!/usr/bin/env bash
# Every flag of `convox-workflows run --help` is in docs/runner.md.
# usage: run_flags_documented.sh CONVOX_WORKFLOWS_BINARY SOURCE_DIR
set -u
missing=0
flags=$("$1" run --help | grep -oE -- '--[a-z][a-z-]+' | sort -u | grep -v -- '--help')
[ -n "$flags" ] || { echo "no flags found in run --help"; exit 1; }
for f in $flags; do
  grep -qF -- "\`$f" "$2/docs/runner.md" || { echo "docs/runner.md lacks $f"; missing=1; }
done
[ "$missing" -eq 0 ] && echo "every run flag is documented ($(echo "$flags" | wc -l))"
exit "$missing"
