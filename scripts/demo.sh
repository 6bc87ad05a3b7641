#!/usr/bin/env bash
# README command 1: install what is missing, build, and show the main job on
# the shipped examples: validate them, then plan a change to the seed pipeline
# between two commits of a throwaway repository.
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/install-deps.sh build
scripts/build.sh convox-workflows >/dev/null
bin=$PWD/build/convox-workflows

echo "== convox-workflows validate examples/*.yml .convox-workflows.yml.example"
"$bin" validate examples/*.yml .convox-workflows.yml.example

echo
echo "== an invalid file: every error, with its line and column"
"$bin" validate tests/fixtures/invalid/unknown-key.yml tests/fixtures/invalid/bad-duration.yml || true

demo=$(mktemp -d)
trap 'rm -rf "$demo"' EXIT
git init -q -b main "$demo"
git -C "$demo" config user.email demo@example.com
git -C "$demo" config user.name demo
cp examples/seed-pipeline.yml "$demo/.convox-workflows.yml"
git -C "$demo" add . && git -C "$demo" commit -qm "add the seed pipeline"
sed -e 's/promote: false/promote: true/' examples/seed-pipeline.yml >"$demo/.convox-workflows.yml"
cat examples/gitlab.yml | sed -n '/^  - name:/,$p' >>"$demo/.convox-workflows.yml"
git -C "$demo" commit -qam "promote production too, add the API"

echo
echo "== convox-workflows plan --git HEAD~1 HEAD   (in a demo repository)"
(cd "$demo" && "$bin" plan --git HEAD~1 HEAD)
echo
echo "Next: put a .convox-workflows.yml in your repository (start from .convox-workflows.yml.example),"
echo "check it in CI with 'convox-workflows validate', and review changes with 'convox-workflows plan --git'."
