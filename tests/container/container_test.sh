#!/usr/bin/env bash
# The sidecar claim, tested for real: the image is built from the Dockerfile
# with podman (runc) on a local Debian bookworm base made by debootstrap (no
# registry is reachable here; Debian's mirror is), run with a bare git
# repository mounted in and configured by environment variables and a secret
# file only, a commit is pushed, and over HTTP the job must have run and
# succeeded; then SIGTERM (podman stop) must exit 0 within the grace.
# usage: container_test.sh SOURCE_DIR [CACHE_DIR]
#   CACHE_DIR keeps the debootstrapped base between runs (default SOURCE_DIR/build/container).
set -u
src=$(realpath "$1")
cache=${2:-$src/build/container}
tmp=$(mktemp -d)
name=cwf-container-test-$$
image=localhost/convox-workflows:test-$$
cleanup() {
  podman rm -f -t 0 "$name" >/dev/null 2>&1
  podman rmi -f "$image" >/dev/null 2>&1
  podman image prune -f >/dev/null 2>&1  # the build stage's layers: gigabytes with vfs
  [ -z "${KEEP:-}" ] && rm -rf "$tmp"
}
trap cleanup EXIT
. "$src/tests/cli/lib.sh"
. "$src/tests/runner/lib.sh"
http() { /usr/bin/python3 "$src/tests/runner/fetch.py" "$@" >"$tmp/out" 2>"$tmp/err"; }

# podman as measured on this kind of machine: runc (crun fails on a cgroup v1
# hybrid host), the file limit at its hard maximum, storage in our own dirs.
mkdir -p "$cache/storage" "$tmp/run"
cat >"$tmp/containers.conf" <<EOF
[containers]
default_ulimits = ["nofile=$(ulimit -Hn):$(ulimit -Hn)", "nproc=32768:32768"]
[engine]
runtime = "runc"
EOF
cat >"$tmp/storage.conf" <<EOF
[storage]
driver = "vfs"
runroot = "$tmp/run"
graphroot = "$cache/storage"
EOF
export CONTAINERS_CONF=$tmp/containers.conf CONTAINERS_STORAGE_CONF=$tmp/storage.conf

# The base: debootstrap --variant=minbase bookworm, imported once and kept.
base=localhost/cwf-bookworm-base:1
if ! podman image exists "$base"; then
  mirror=$(sed -n 's/^URIs: *//p' /etc/apt/sources.list.d/debian.sources 2>/dev/null | head -1)
  echo "debootstrap bookworm from ${mirror:-http://deb.debian.org/debian} (about a minute)"
  debootstrap --variant=minbase bookworm "$tmp/rootfs" "${mirror:-http://deb.debian.org/debian}" >"$tmp/debootstrap.log" 2>&1 ||
    { tail -20 "$tmp/debootstrap.log"; fail "debootstrap"; summary container; exit 1; }
  tar -C "$tmp/rootfs" -c . | podman import -q --change 'CMD ["/bin/bash"]' - "$base" >/dev/null ||
    { fail "podman import"; summary container; exit 1; }
  rm -rf "$tmp/rootfs"
fi

started=$SECONDS
# CWF_WERROR=ON: the image's Release build (GCC, -O3) is one of the project's
# own warning checks.
podman build --format docker --network host --build-arg BASE_IMAGE="$base" --build-arg RUNTIME_IMAGE="$base" \
  --build-arg CWF_WERROR=ON -t "$image" "$src" >"$tmp/build.log" 2>&1
rc=$?
if [ "$rc" -ne 0 ]; then tail -30 "$tmp/build.log"; fi
check "the image builds from the Dockerfile ($((SECONDS - started)) s)" test "$rc" -eq 0
[ "$rc" -eq 0 ] || { summary container; exit 1; }
podman image inspect "$image" --format '{{.Config.User}} {{json .Config.Entrypoint}} {{json .Config.ExposedPorts}} {{json .Config.Volumes}}' >"$tmp/inspect"
check "non-root, its entry point, ports 8080 and 8081 (probes), /data a volume" grep -qF '10001 ["tini","--","convox-workflows","run"] {"8080/tcp":{},"8081/tcp":{}} {"/data":{}}' "$tmp/inspect"
podman image inspect "$image" --format '{{json .Config.Healthcheck}}' >"$tmp/health"
# The binary: a Release build (no debug info), stripped (no symbol table).
cid=$(podman create "$image")
podman cp "$cid:/usr/local/bin/convox-workflows" "$tmp/image-binary" >/dev/null
podman rm "$cid" >/dev/null
check "the image's binary is stripped, without debug info" \
  sh -c "! readelf -S '$tmp/image-binary' | grep -qE '\\.(symtab|debug_info)'"
echo "image: $(podman image inspect "$image" --format '{{.Size}}' | awk '{printf "%.1f MB", $1 / 1e6}'), binary: $(stat -c %s "$tmp/image-binary" | awk '{printf "%.1f MB", $1 / 1e6}')"
check "a HEALTHCHECK without curl" grep -qF '"convox-workflows","healthcheck"' "$tmp/health"

# A bare repository the container reads (owned by its user: libgit2 checks
# ownership), a workflows file, an API token as a mounted secret file.
mkdir -p "$tmp/srv" "$tmp/data" "$tmp/secrets"
git init -q --bare -b main "$tmp/srv/app.git"
git init -q -b main "$tmp/app"
git -C "$tmp/app" remote add origin "$tmp/srv/app.git"
echo first >"$tmp/app/README"
git -C "$tmp/app" add -A && git -C "$tmp/app" commit -qm first && git -C "$tmp/app" push -q origin main
cat >"$tmp/srv/workflows.yml" <<'YML'
version: 1
workflows:
  - name: hello
    trigger: {integration: git, repository: "file:///srv/app.git", branch: main}
    tasks: [{type: script, command: 'echo "hello from the sidecar at $BUILD_GIT_SHA as $(id -u)"'}]
YML
printf 'sidecar-t0ken\n' >"$tmp/secrets/api-token"
chown -R 10001 "$tmp/srv/app.git" "$tmp/data"
chmod -R a+rX "$tmp/srv" "$tmp/secrets"
free_port() { /usr/bin/python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])'; }
port=$(free_port)
hport=$(free_port)
# No systemd here to time the HEALTHCHECK: it is run by hand below.
podman run -d --name "$name" --network host --health-interval disable \
  -v "$tmp/srv:/srv:ro" -v "$tmp/data:/data" -v "$tmp/secrets:/run/secrets:ro" \
  -e CONVOX_WORKFLOWS_WORKFLOWS_FILE=/srv/workflows.yml -e CONVOX_WORKFLOWS_POLL_INTERVAL=1s \
  -e CONVOX_WORKFLOWS_LISTEN=127.0.0.1:$port -e CONVOX_WORKFLOWS_HEALTH_LISTEN=127.0.0.1:$hport \
  -e CONVOX_WORKFLOWS_SHUTDOWN_GRACE=10s \
  -e CONVOX_WORKFLOWS_API_TOKEN_FILE=/run/secrets/api-token -e CONVOX_WORKFLOWS_LOG_FORMAT=json \
  "$image" >/dev/null 2>"$tmp/podman.err"
check "the container starts" test $? -eq 0 || cat "$tmp/podman.err"
base_url=http://127.0.0.1:$port
healthz() { http GET "$base_url/healthz" && grep -q "^200" "$tmp/out"; }
wait_for "it answers /healthz" 30 healthz
http GET "http://127.0.0.1:$hport/healthz"
check "and on its probes' own port" grep -q "^200" "$tmp/out"
wait_for "its HEALTHCHECK passes" 30 podman healthcheck run "$name"
wait_for "the first listing" 20 bash -c "podman logs '$name' 2>&1 | grep -q 'watching a new remote'"

echo second >>"$tmp/app/README"
# The bare repository now belongs to the container's user: git here must be
# told it is safe to push into it.
printf '[safe]\n\tdirectory = *\n' >"$tmp/gitconfig"
git -C "$tmp/app" commit -qam second && GIT_CONFIG_GLOBAL=$tmp/gitconfig git -C "$tmp/app" push -q origin main
check "the push lands" test "$(GIT_CONFIG_GLOBAL=$tmp/gitconfig git -C "$tmp/srv/app.git" rev-parse main)" = "$(git -C "$tmp/app" rev-parse HEAD)"
sha=$(git -C "$tmp/app" rev-parse HEAD)
job_done() { http GET "$base_url/api/jobs?workflow=hello" && grep -qF "\"commit\":\"$sha\"" "$tmp/out" && grep -qF '"state":"succeeded"' "$tmp/out"; }
wait_for "the push's job runs and succeeds in the container" 30 job_done
http GET "$base_url/api/jobs/1/log"
check "its log, over HTTP" grep -qF "hello from the sidecar at $sha as 10001" "$tmp/out"
printf '{"branch": "main"}' >"$tmp/main.json"
http POST "$base_url/api/workflows/hello/trigger" -H "Authorization: Bearer sidecar-t0ken" -H "Content-Type: application/json" --body-file "$tmp/main.json"
check "the API token came from the secret file" grep -q "^201" "$tmp/out"
wait_for "the manual job succeeds" 30 bash -c "/usr/bin/python3 '$src/tests/runner/fetch.py' GET '$base_url/api/jobs/2' | grep -qF '\"state\":\"succeeded\"'"
check "the data dir is the volume" test -s "$tmp/data/jobs.db"

stopped=$SECONDS
podman stop -t 20 "$name" >/dev/null 2>>"$tmp/podman.err"  # (podman's healthcheck timer wants systemd: noise)
took=$((SECONDS - stopped))
check "SIGTERM: it stops within the grace (${took} s)" test "$took" -le 12
check "and exits 0" test "$(podman inspect "$name" --format '{{.State.ExitCode}}')" = 0
podman logs "$name" >"$tmp/container.log" 2>&1
check "its last log line says it stopped" grep -qF '"msg":"stopped"' "$tmp/container.log"
summary container
