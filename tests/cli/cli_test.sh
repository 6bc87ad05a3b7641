#!/usr/bin/env bash
# Black-box tests of the built binary: exit codes, output shapes, stdin, and
# hostile input under a memory cap and a time limit.
# usage: cli_test.sh CONVOX_WORKFLOWS_BINARY SOURCE_DIR
set -u
bin=$(realpath "$1")
src=$(realpath "$2")
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
. "$(dirname "$0")/lib.sh"

# --- commands and help
run "no args" 2 "$bin"
expect "no args" err "usage: convox-workflows COMMAND"
run "--help" 0 "$bin" --help
for c in validate plan version; do
  run "$c --help" 0 "$bin" "$c" --help
  expect "$c --help" out "convox-workflows $c"
done
run "unknown command" 2 "$bin" validat
expect "unknown command" err "did you mean 'validate'?"
run "version" 0 "$bin" version
expect "version" out "convox-workflows 0."
run "bad flag" 2 "$bin" validate --frmat json
run "bad format" 2 "$bin" validate --format xml

# --- validate
run "valid examples" 0 "$bin" validate "$src"/examples/*.yml "$src/.convox-workflows.yml.example"
expect "valid examples" out "seed-pipeline.yml: valid (1 workflow)"
run "invalid file" 1 "$bin" validate "$src/tests/fixtures/invalid/unknown-key.yml"
expect "invalid file" err "unknown-key.yml:4:5: error: workflow 'deploy': unknown key 'trigerr'; did you mean 'trigger'?"
expect "invalid file" err "unknown-key.yml: invalid (2 errors)"
run "credentials in a URL" 1 "$bin" validate "$src/tests/fixtures/invalid/bad-repository.yml"
if grep -q "secret" "$tmp/err"; then fail "credentials in a URL: the secret reached the output"; else ok; fi
expect "credentials in a URL" err "'https://***@git.example.com/x.git'"
run "missing file" 2 "$bin" validate "$tmp/nope.yml"
expect "missing file" err "nope.yml: No such file or directory"
run "directory" 2 "$bin" validate "$tmp"
run "valid and invalid" 1 "$bin" validate "$src/examples/gitlab.yml" "$src/tests/fixtures/invalid/empty-tasks.yml"
(cd "$tmp" && cp "$src/examples/gitlab.yml" .convox-workflows.yml && run "default file" 0 "$bin" validate)
expect "default file" out ".convox-workflows.yml: valid"
run "stdin" 1 sh -c "printf 'version: 1\nworkflows: {}\n' | '$bin' validate -"
expect "stdin" err "<stdin>:2:12: error: workflows: expected a list, got a map"
run "stdin valid" 0 sh -c "'$bin' validate - < '$src/examples/gitlab.yml'"
run "json" 1 "$bin" validate --format json "$src/tests/fixtures/invalid/bad-name.yml" "$src/examples/gitlab.yml"
/usr/bin/python3 - "$tmp/out" <<'PY' && ok || fail "json report shape"
import json, sys
r = json.load(open(sys.argv[1]))
assert r["valid"] is False
bad, good = r["files"]
assert bad["valid"] is False and bad["diagnostics"][0]["line"] == 3 and bad["diagnostics"][0]["column"] == 11
assert bad["diagnostics"][0]["severity"] == "error"
assert good["valid"] is True and good["workflows"] == ["api-production"]
PY
run "json io error" 2 "$bin" validate --format json "$tmp/missing.yml"
expect "json io error" out '"error": '

# --- hostile input: each gets a clear error and exit 1, within the limits of run()
printf 'version: 1\nworkflows:\n' > "$tmp/big.yml"
head -c 52428800 /dev/zero | tr '\0' '#' >> "$tmp/big.yml"
run "50 MB file" 1 "$bin" validate "$tmp/big.yml"
expect "50 MB file" err "big.yml:1:1: error: file is too large (50.0 MiB); the limit is 4.0 MiB"
run "50 MB on stdin" 1 sh -c "cat '$tmp/big.yml' | '$bin' validate -"
expect "50 MB on stdin: its real size" err "<stdin>:1:1: error: file is too large (50.0 MiB); the limit is 4.0 MiB"
run "an endless stdin" 1 sh -c "'$bin' validate - < /dev/zero"
expect "an endless stdin: counted so far" err "<stdin>:1:1: error: file is too large (more than 64.0 MiB); the limit is 4.0 MiB"
head -c 4096 /dev/urandom > "$tmp/random.bin"; printf '\0' >> "$tmp/random.bin"
run "binary" 1 "$bin" validate "$tmp/random.bin"
expect "binary" err "random.bin:"
cp /bin/true "$tmp/true.elf"
run "executable" 1 "$bin" validate "$tmp/true.elf"
printf 'version: 1\nworkflows: []\n# caf\xe9\n' > "$tmp/latin1.yml"
run "latin-1" 1 "$bin" validate "$tmp/latin1.yml"
expect "latin-1" err "latin1.yml:3:6: error: invalid UTF-8 (byte 0xE9)"
printf 'version: 1\nworkflows:\n\t- name: x\n' > "$tmp/tabs.yml"
run "tabs" 1 "$bin" validate "$tmp/tabs.yml"
expect "tabs" err "tabs.yml:3:1: error: tab character in indentation"
/usr/bin/python3 -c "print('version: 1'); print('workflows: ' + '['*10000 + ']'*10000)" > "$tmp/deep.yml"
run "10,000-deep flow nesting" 1 "$bin" validate "$tmp/deep.yml"
expect "10,000-deep flow nesting" err "nesting deeper than 64 levels"
# Compact nested block sequences: "- - - ... x", 10,000 levels on one line.
/usr/bin/python3 -c "print('version: 1'); print('workflows:'); print('  ' + '- ' * 10000 + 'x')" > "$tmp/deep-block.yml"
run "10,000-deep block nesting" 1 "$bin" validate "$tmp/deep-block.yml"
expect "10,000-deep block nesting" err "nesting deeper than 64 levels"
/usr/bin/python3 -c "
print('version: 1')
print('x-a: &a [lol, lol, lol, lol, lol, lol, lol, lol, lol]')
for i, c in enumerate('bcdefghi'):
    p = 'abcdefghi'[i]
    print('x-%s: &%s [%s]' % (c, c, ', '.join(['*' + p] * 9)))
print('workflows: *i')" > "$tmp/bomb.yml"
run "alias bomb" 1 "$bin" validate "$tmp/bomb.yml"
expect "alias bomb" err "(an alias bomb?)"
: > "$tmp/empty.yml"
run "empty" 1 "$bin" validate "$tmp/empty.yml"
expect "empty" err "empty.yml:1:1: error: the file is empty"

# --- plan between files
run "plan no changes" 0 "$bin" plan "$src/examples/seed-pipeline.yml" "$src/examples/seed-pipeline.yml"
expect "plan no changes" out "No changes."
sed 's/promote: false/promote: true/' "$src/examples/seed-pipeline.yml" > "$tmp/seed2.yml"
run "plan change" 0 "$bin" plan "$src/examples/seed-pipeline.yml" "$tmp/seed2.yml"
expect "plan change" out '~ deploy: tasks[1].promote: false -> true'
expect "plan change" out 'Plan: 0 to add, 1 to change, 0 to remove.'
run "plan detailed" 2 "$bin" plan --detailed-exitcode "$src/examples/seed-pipeline.yml" "$tmp/seed2.yml"
run "plan detailed, none" 0 "$bin" plan --detailed-exitcode "$tmp/seed2.yml" "$tmp/seed2.yml"
run "plan invalid side" 1 "$bin" plan "$src/examples/seed-pipeline.yml" "$src/tests/fixtures/invalid/bad-name.yml"
expect "plan invalid side" err "bad-name.yml:3:11: error:"
expect "plan invalid side" err "bad-name.yml is invalid (2 errors); no plan can be made"
run "plan one operand" 2 "$bin" plan "$tmp/seed2.yml"
run "plan json" 0 "$bin" plan --format json "$src/examples/seed-pipeline.yml" "$tmp/seed2.yml"
/usr/bin/python3 -c "
import json,sys; r=json.load(open('$tmp/out'))
f=r['plan']['change'][0]['fields'][0]
assert (f['path'], f['old'], f['new']) == ('tasks[1].promote', False, True), f" && ok || fail "plan json shape"

# --- plan between two revisions of a real repository
repo=$tmp/repo
git init -q -b main "$repo" && git -C "$repo" config user.email t@example.com && git -C "$repo" config user.name t
echo hi > "$repo/README" && git -C "$repo" add README && git -C "$repo" commit -qm init
cp "$src/examples/seed-pipeline.yml" "$repo/.convox-workflows.yml"
git -C "$repo" add . && git -C "$repo" commit -qm "add workflows"
cp "$tmp/seed2.yml" "$repo/.convox-workflows.yml" && git -C "$repo" commit -qam "promote production"
(cd "$repo" && run "plan --git" 0 "$bin" plan --git HEAD~1 HEAD)
expect "plan --git" out '~ deploy: tasks[1].promote: false -> true'
(cd "$repo" && run "plan --git from before the file" 0 "$bin" plan --git HEAD~2 HEAD)
expect "plan --git from before the file" out "note: .convox-workflows.yml does not exist at HEAD~2"
expect "plan --git from before the file" out "+ deploy: github acme/web @ main: build web-staging 'staging', build web 'production'"
run "plan --git -C" 0 "$bin" plan --git -C "$repo" main~1 main
printf 'version: 1\nworkflows: {}\n' > "$repo/.convox-workflows.yml" && git -C "$repo" commit -qam broken
(cd "$repo" && run "plan --git invalid" 1 "$bin" plan --git HEAD~1 HEAD)
expect "plan --git invalid" err "HEAD:.convox-workflows.yml:2:12: error: workflows: expected a list, got a map"
(cd "$repo" && run "plan --git bad rev" 2 "$bin" plan --git nope HEAD)
expect "plan --git bad rev" err "unknown revision 'nope'"
run "plan --git outside a repo" 2 "$bin" plan --git -C / HEAD~1 HEAD

# run and status: usage errors never start a runner.
run "run without a workflows file" 2 "$bin" run --data-dir "$tmp/rd"
expect "run without a workflows file" err "give the workflows file's place: --config-repo URL"
run "run with both sources" 2 "$bin" run --config-repo /x --workflows-file /y --data-dir "$tmp/rd"
run "run with a bad interval" 2 "$bin" run --workflows-file /y --poll-interval 10 --data-dir "$tmp/rd"
expect "run with a bad interval" err "bad --poll-interval '10' (e.g. 1s, 30s, 5m)"
run "run with credentials in the config URL" 2 "$bin" run --config-repo https://me:hunter22@example.com/ops.git \
  --data-dir "$tmp/rd"
expect "credentials are refused" err "must not carry credentials (https://***@example.com/ops.git)"
lacks "and never shown" err "hunter22"
run "run with a bad forge URL" 2 "$bin" run --workflows-file /y --github-url github.com --data-dir "$tmp/rd"
expect "run with a bad forge URL" err "bad forge URL 'github.com'"
CONVOX_WORKFLOWS_LOG_FORMAT=xml run "an env variable is a flag too" 2 "$bin" run --workflows-file /y --data-dir "$tmp/rd"
expect "an env variable is a flag too" err "--log-format is text or json"
run "status without a runner" 1 "$bin" status --data-dir "$tmp/rd"
expect "status without a runner" err "no runner state at $tmp/rd/state.json"
run "healthcheck without a runner" 1 "$bin" healthcheck --listen 127.0.0.1:1 --timeout 1s
expect "healthcheck says why" err "127.0.0.1:1/healthz: no answer"
CONVOX_WORKFLOWS_LISTEN=nonsense run "healthcheck: a bad address" 2 "$bin" healthcheck

summary cli
