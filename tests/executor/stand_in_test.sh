#!/usr/bin/env bash
# The stand-in convox CLI keeps the real v3 CLI's contract (issue 15's
# measured facts), since every test of a convox task trusts it.
# usage: stand_in_test.sh SOURCE_DIR
set -u
src=$(realpath "$1")
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
# shellcheck source=../cli/lib.sh
. "$src/tests/cli/lib.sh"
convox=$src/scripts/convox-stand-in
export FAKE_CONVOX_STATE=$tmp/state
mkdir -p "$tmp/shop" && cd "$tmp/shop" && git init -q . && touch convox.yml docker-compose.yml

run "says it is a stand-in" 0 "$convox" apps create shop --rack acme/staging
expect "says it is a stand-in" err "convox stand-in: not the convox CLI, no rack is touched"
expect "apps create waits and says OK" out "Creating shop... "
run "the app exists once" 1 "$convox" apps create shop --rack acme/staging
expect "the app exists once" err "ERROR: app already exists: shop"

run "build on a missing app" 1 "$convox" build . --app nope --id --rack acme/staging
expect "build on a missing app" err "ERROR: app not found: nope"
run "build --id" 0 "$convox" build . --app shop --manifest convox.yml --id --rack acme/staging
release=$(cat "$tmp/out")
build=$(sed -n 's/^Build: *//p' "$tmp/err")
[[ "$release" =~ ^R[A-Z]{10}$ ]] && ok || fail "build --id: stdout is only the release id, got '$release'"
expect "build --id: the ids on stderr" err "Release: $release"
run "a manifest the checkout lacks" 1 "$convox" build . --app shop --manifest nope.yml --id --rack acme/staging
expect "a manifest the checkout lacks" err "ERROR: build failed"

# The app defaults to the working directory's name; RACK_URL beats --rack.
run "RACK_URL over --rack" 1 env RACK_URL=https://convox:pw@rack.other.example "$convox" releases promote "$release" --rack acme/staging
expect "RACK_URL over --rack: another rack, which lacks the app" err "ERROR: app not found: shop"
run "promote, the app from the directory" 0 "$convox" releases promote "$release" --rack acme/staging
[ "$(head -1 "$tmp/out")" = "Promoting $release... " ] && [ "$(tail -1 "$tmp/out")" = OK ] && ok ||
  fail "promote's stdout: $(cat "$tmp/out")"
expect "promote waits for the rollout" out "Scaling deployment web"
FAKE_CONVOX_FAIL=promote run "a rollback" 1 "$convox" releases promote "$release" --rack acme/staging
expect "a rollback" err "ERROR: rollback"
run "a release of another rack" 0 "$convox" apps create shop --rack acme/production
run "a release of another rack" 1 "$convox" releases promote "$release" --app shop --rack acme/production
expect "a release of another rack" err "ERROR: release not found: $release"

run "export to a terminal is refused" 1 script -qec "$convox builds export $build --app shop --rack acme/staging" /dev/null
expect "export to a terminal is refused" out "pipe this command into a file or specify --file"
"$convox" builds export "$build" --app shop --rack acme/staging 2>"$tmp/export-err" |
  "$convox" builds import --app shop --rack acme/production --id >"$tmp/imported" 2>"$tmp/import-err"
[ "${PIPESTATUS[*]}" = "0 0" ] && ok || fail "export | import: ${PIPESTATUS[*]}"
copied=$(cat "$tmp/imported")
[[ "$copied" =~ ^R[A-Z]{10}$ ]] && [ "$copied" != "$release" ] && ok || fail "import --id: a new release, got '$copied'"
grep -qF "Importing build... OK, $copied" "$tmp/import-err" && ok || fail "import: $(cat "$tmp/import-err")"
run "the copy promotes on production" 0 "$convox" releases promote "$copied" --app shop --rack acme/production
run "export --file, import --file" 0 "$convox" builds export "$build" --app shop --rack acme/staging --file "$tmp/b.tgz"
run "export --file, import --file" 0 "$convox" builds import --app shop --rack acme/production --file "$tmp/b.tgz"
expect "import without --id: all on stdout" out "Importing build... OK, R"
echo "not a build" >"$tmp/junk"
run "import of junk" 1 "$convox" builds import --app shop --rack acme/production --file "$tmp/junk"
expect "import of junk" err "ERROR: invalid build"
run "export of a build the app lacks" 1 "$convox" builds export BNOPE --app shop --rack acme/staging --file "$tmp/x"
expect "export of a build the app lacks" err "ERROR: build not found: BNOPE"

run "env set makes a release" 0 "$convox" env set A=1 B=2 --app shop --rack acme/production
expect "env set makes a release" out "Release: R"
run "env set --id" 0 "$convox" env set A=3 --app shop --rack acme/production --id
[[ "$(cat "$tmp/out")" =~ ^R[A-Z]{10}$ ]] && ok || fail "env set --id: $(cat "$tmp/out")"
run "apps delete" 0 "$convox" apps delete shop --rack acme/production
run "apps delete: gone" 1 "$convox" apps info shop --rack acme/production
expect "apps delete: gone" err "ERROR: app not found: shop"
run "run exits with the command's code" 1 env FAKE_CONVOX_FAIL=run "$convox" run web "bin/migrate" --app shop --rack acme/staging
summary stand_in
