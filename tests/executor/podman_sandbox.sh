# Sourced by tests/executor/podman_test.sh and bench/podman_bench.sh.
# podman_sandbox DIR IMAGE: podman set up as the container test sets it up on
# this kind of machine (runc: crun fails on a cgroup v1 hybrid host; the file
# limit at its hard maximum; vfs storage under DIR), through CONTAINERS_CONF
# and CONTAINERS_STORAGE_CONF, which the runner's podman reads from its
# environment as an operator's would; and IMAGE, busybox-static's binary
# imported (no registry is reachable here).
podman_sandbox() {
  local dir=$1 image=$2 c
  mkdir -p "$dir/storage" "$dir/run" "$dir/rootfs/bin"
  printf '[containers]\ndefault_ulimits = ["nofile=%s:%s", "nproc=32768:32768"]\n[engine]\nruntime = "runc"\n' \
    "$(ulimit -Hn)" "$(ulimit -Hn)" >"$dir/containers.conf"
  printf '[storage]\ndriver = "vfs"\nrunroot = "%s"\ngraphroot = "%s"\n' "$dir/run" "$dir/storage" >"$dir/storage.conf"
  export CONTAINERS_CONF=$dir/containers.conf CONTAINERS_STORAGE_CONF=$dir/storage.conf
  cp /bin/busybox "$dir/rootfs/bin/"
  for c in sh echo cat ls sleep env printf pwd id test wc tr; do ln -s busybox "$dir/rootfs/bin/$c"; done
  tar -C "$dir/rootfs" -c . | podman import -q - "$image" >/dev/null
}
