#!/usr/bin/env bash
# End to end over SSH, with a real sshd on 127.0.0.1 (its own config and host
# key in a temp dir): a known host key lets the runner list and fetch; an
# unknown or changed one is refused, naming host, port, key type, SHA256
# fingerprint and the file to add it to.
# usage: run_ssh_test.sh CONVOX_WORKFLOWS_BINARY SOURCE_DIR
set -u
bin=$(realpath "$1")
src=$(realpath "$2")
tmp=$(mktemp -d)
sshd_pid=""
trap 'stop_all_runners; [ -n "$sshd_pid" ] && kill "$sshd_pid" 2>/dev/null; rm -rf "$tmp"' EXIT
. "$src/tests/cli/lib.sh"
. "$src/tests/runner/lib.sh"

sshd=/usr/sbin/sshd
if [ ! -x "$sshd" ]; then
  echo "FAIL: no $sshd: scripts/install-deps.sh test installs openssh-server"
  exit 1
fi
ssh-keygen -q -t ed25519 -N '' -C host -f "$tmp/host_key"
ssh-keygen -q -t ed25519 -N '' -C other -f "$tmp/other_key"  # the "changed" key
ssh-keygen -q -t ed25519 -N '' -C runner -f "$tmp/runner_key"
cp "$tmp/runner_key.pub" "$tmp/authorized_keys"
port=$(/usr/bin/python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
cat >"$tmp/sshd_config" <<CONF
Port $port
ListenAddress 127.0.0.1
HostKey $tmp/host_key
PidFile $tmp/sshd.pid
AuthorizedKeysFile $tmp/authorized_keys
UsePAM no
StrictModes no
PasswordAuthentication no
KbdInteractiveAuthentication no
PubkeyAuthentication yes
PermitRootLogin prohibit-password
CONF
[ "$(id -u)" -eq 0 ] && mkdir -p /run/sshd  # its privilege separation directory, when run as root
"$sshd" -D -e -f "$tmp/sshd_config" >"$tmp/sshd.log" 2>&1 &
sshd_pid=$!
wait_for "sshd listens" 10 grep -q "Server listening on 127.0.0.1 port $port" "$tmp/sshd.log"
fingerprint=$(ssh-keygen -lf "$tmp/host_key.pub" | awk '{print $2}')

new_remote app
url="ssh://$(id -un)@127.0.0.1:$port$tmp/app.git"
cat >"$tmp/wf.yml" <<YML
version: 1
workflows:
  - name: over-ssh
    trigger: {integration: git, repository: "$url", branch: main}
    tasks: [{type: script, command: 'cat README'}]
YML

# Known: the line ssh-keyscan prints, hashed as ssh-keygen -H writes it.
ssh-keyscan -p "$port" -t ed25519 127.0.0.1 2>/dev/null >"$tmp/known_hosts"
ssh-keygen -q -H -f "$tmp/known_hosts" >/dev/null 2>&1
rm -f "$tmp/known_hosts.old"
check "the known_hosts line is hashed" grep -q '^|1|' "$tmp/known_hosts"
start_runner r.log --workflows-file "$tmp/wf.yml" --data-dir "$tmp/data" --ssh-key "$tmp/runner_key" \
  --ssh-known-hosts "$tmp/known_hosts"
wait_for "known key: the remote is listed" 15 in_log r.log "watching a new remote from its current heads"
echo "over ssh $RANDOM" >"$tmp/app/README"
git -C "$tmp/app" commit -qam "over ssh" && git -C "$tmp/app" push -q origin main
wait_for "known key: the push is fetched and runs" 20 jobs_are "$tmp/data" 1 --state succeeded
run "known key: the job's log" 0 "$bin" logs 1 --data-dir "$tmp/data"
expect "known key: the fetched commit's file" out "$(cat "$tmp/app/README")"
stop_runner "the ssh runner"

# refused NAME KNOWN_HOSTS_FLAG... : a runner that lists once; its log in $tmp/NAME.log
refused() {
  local name=$1
  shift
  HOME=$tmp/home "$bin" run --once --listen off --workflows-file "$tmp/wf.yml" --data-dir "$tmp/$name" \
    --ssh-key "$tmp/runner_key" "$@" >"$tmp/$name.log" 2>&1
}
mkdir -p "$tmp/home"
: >"$tmp/empty_known_hosts"
refused unknown --ssh-known-hosts "$tmp/empty_known_hosts"
check "unknown: refused, with host, port, key type and fingerprint" \
  grep -qF "127.0.0.1 (port $port) is not a known host: it offered the ssh-ed25519 key $fingerprint" "$tmp/unknown.log"
check "unknown: and where to add it" \
  grep -qF "add its line to $tmp/empty_known_hosts (\`ssh-keyscan -p $port 127.0.0.1\` prints it)" "$tmp/unknown.log"
check "unknown: nothing listed" sh -c "! grep -q 'watching a new remote' '$tmp/unknown.log'"

echo "[127.0.0.1]:$port $(cut -d' ' -f1,2 "$tmp/other_key.pub")" >"$tmp/changed_known_hosts"
refused changed --ssh-known-hosts "$tmp/changed_known_hosts"
check "changed: refused, loudly" grep -qF "the host key of 127.0.0.1 (port $port) has CHANGED: it offered the ssh-ed25519 key $fingerprint, and $tmp/changed_known_hosts lists another key for [127.0.0.1]:$port" "$tmp/changed.log"

# A plain host line is for port 22 only, as in OpenSSH.
echo "127.0.0.1 $(cut -d' ' -f1,2 "$tmp/host_key.pub")" >"$tmp/port22_known_hosts"
refused port22 --ssh-known-hosts "$tmp/port22_known_hosts"
check "a port-22 line does not vouch for another port" grep -qF "is not a known host" "$tmp/port22.log"

# No flag: ~/.ssh/known_hosts, and the message says so.
refused default
check "default file: named, with the flag" \
  grep -qF "add its line to $tmp/home/.ssh/known_hosts (\`ssh-keyscan -p $port 127.0.0.1\` prints it) (or give --ssh-known-hosts FILE)" "$tmp/default.log"
mkdir -p "$tmp/home/.ssh"
cp "$tmp/known_hosts" "$tmp/home/.ssh/known_hosts"
refused default_known
check "default file: a key listed there is known" grep -q "watching a new remote" "$tmp/default_known.log"

run "a missing --ssh-known-hosts file is a usage error" 2 "$bin" run --workflows-file "$tmp/wf.yml" --data-dir "$tmp/x" \
  --ssh-known-hosts "$tmp/nope"
expect "it names the file" err "cannot read $tmp/nope (--ssh-key, --ssh-known-hosts)"
summary run_ssh
