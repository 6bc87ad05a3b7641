#!/usr/bin/env bash
# Installs the Debian 12 packages the project needs, only those missing, with
# no prompts. usage: install-deps.sh [build|test|container]
set -euo pipefail

build_pkgs=(cmake ninja-build g++ pkg-config git
  libyaml-cpp-dev libgit2-dev libcpp-httplib-dev libspdlog-dev libfmt-dev catch2 libkainjow-mustache-dev
  libsqlite3-dev libsqlitecpp-dev nlohmann-json3-dev libcli11-dev libssl-dev)
# The schema agreement test runs Debian's python3 with jsonschema and PyYAML;
# the fuzzer needs clang and its libFuzzer runtime; the web UI test, a real browser;
# the forge client's TLS test, the openssl CLI for a throwaway certificate; the
# ssh remote test, a real sshd (started by the test itself, on 127.0.0.1); the
# kubernetes backend's test, curl and a kubectl against its stand-in API server.
test_pkgs=(python3 busybox-static python3-jsonschema python3-yaml clang libclang-rt-14-dev chromium chromium-driver python3-selenium openssl openssh-server openssh-client curl)
# The container test: podman with runc (crun fails on a cgroup v1 hybrid
# host), debootstrap for a local base image (no registry is reachable).
container_pkgs=(podman runc debootstrap)

pkgs=("${build_pkgs[@]}")
[ "${1:-build}" = test ] && pkgs+=("${test_pkgs[@]}" "${container_pkgs[@]}")
# The OpenAPI validator comes from npm: Debian's npm only where no npm is
# (a machine's own Node.js, e.g. a newer one, is kept).
[ "${1:-build}" = test ] && ! command -v npm >/dev/null && pkgs+=(nodejs npm)
# Debian's kubectl (kubernetes-client) only where none is: a machine's own
# (another package's /usr/bin/kubectl) would conflict with it.
[ "${1:-build}" = test ] && ! command -v kubectl >/dev/null && pkgs+=(kubernetes-client)
[ "${1:-build}" = container ] && pkgs+=("${container_pkgs[@]}")

missing=()
for p in "${pkgs[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
[ ${#missing[@]} -eq 0 ] && exit 0

echo "installing: ${missing[*]}"
sudo=()
if [ "$(id -u)" -ne 0 ]; then
  command -v sudo >/dev/null || { echo "error: run as root (or install sudo) to install: ${missing[*]}" >&2; exit 1; }
  sudo=(sudo)
fi
export DEBIAN_FRONTEND=noninteractive
"${sudo[@]}" apt-get update -qq
# No service starts because of this (openssh-server would listen on port 22):
# the tests start their own servers, on loopback. policy-rc.d is Debian's
# switch for that; one already there is kept.
policy=/usr/sbin/policy-rc.d
if [ ! -e "$policy" ]; then
  printf '#!/bin/sh\nexit 101\n' | "${sudo[@]}" tee "$policy" >/dev/null
  "${sudo[@]}" chmod +x "$policy"
  trap '"${sudo[@]}" rm -f "$policy"' EXIT
fi
"${sudo[@]}" apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
