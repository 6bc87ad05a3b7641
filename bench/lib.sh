# Shared by the runner's benchmarks; sourced with $tmp set. Commits carry a
# fixed identity, whatever the machine's git config says.
export GIT_AUTHOR_NAME=b GIT_AUTHOR_EMAIL=b@example.com GIT_COMMITTER_NAME=b GIT_COMMITTER_EMAIL=b@example.com

# bench_remote BARE BRANCH: a bare repository with one commit on BRANCH, and its clone $tmp/w.
bench_remote() {
  git init -q --bare -b "$2" "$1"
  git init -q -b "$2" "$tmp/w" && git -C "$tmp/w" remote add origin "$1"
  git -C "$tmp/w" commit -q --allow-empty -m zero && git -C "$tmp/w" push -q origin "$2"
}

# bench_workflow FILE REPOSITORY_URL BRANCH COMMAND: a workflows file with one script task.
bench_workflow() {
  cat >"$1" <<YML
version: 1
workflows:
  - name: bench
    trigger: {integration: git, repository: "$2", branch: $3}
    tasks: [{type: script, command: '$4'}]
YML
}

# listen_of DATA_DIR: the address a runner started with --listen ...:0 serves on.
listen_of() { /usr/bin/python3 -c 'import json, sys; print(json.load(open(sys.argv[1]))["listen"])' "$1/state.json"; }
