# Helpers for the black-box tests, sourced with $tmp set to a scratch dir.
# Each check counts into $passed / $failed; `summary NAME` prints the
# closing line and sets the exit status.
passed=0
failed=0
ok() { passed=$((passed + 1)); }
fail() { failed=$((failed + 1)); echo "FAIL: $*"; }

# run NAME EXPECTED_RC CMD...: runs CMD with no input, 1 GiB of address
# space and 60 s, into $tmp/out and $tmp/err.
run() {
  local name=$1 want=$2
  shift 2
  (ulimit -v 1048576; timeout 60 "$@") >"$tmp/out" 2>"$tmp/err" </dev/null
  local rc=$?
  if [ "$rc" -ne "$want" ]; then
    fail "$name: exit $rc, wanted $want"
    sed 's/^/    /' "$tmp/out" "$tmp/err" | tail -20
    return 1
  fi
  ok
}
# expect NAME FILE TEXT: $tmp/FILE (out or err) contains TEXT.
expect() {
  if grep -qF -- "$3" "$tmp/$2"; then ok; else fail "$1: $2 lacks: $3"; sed 's/^/    /' "$tmp/$2" | tail -10; fi
}
# lacks NAME FILE TEXT: $tmp/FILE does not contain TEXT.
lacks() {
  if grep -qF -- "$3" "$tmp/$2"; then fail "$1: $2 has: $3"; else ok; fi
}
summary() {
  echo "$1: $passed passed, $failed failed"
  [ "$failed" -eq 0 ]
}

# fake_convox PATH [NAME=VALUE...]: writes at PATH a convox CLI for
# --convox-bin: the stand-in, with its FAKE_CONVOX_* knobs set. Tasks get no
# variables of the runner's but the convox CLI's own, so the knobs travel in
# the program, not in the runner's environment.
fake_convox() {
  local path=$1
  shift
  {
    echo '#!/bin/sh'
    for kv in "$@"; do printf 'export %q\n' "$kv"; done
    printf 'exec %q "$@"\n' "$src/scripts/convox-stand-in"
  } >"$path"
  chmod +x "$path"
}
