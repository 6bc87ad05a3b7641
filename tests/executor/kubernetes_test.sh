#!/usr/bin/env bash
# --task-backend kubernetes end to end, against the stand-in API server
# (tests/executor/kube_stand_in.py) over TLS with a bearer token, as a
# kubeconfig has it; Debian's kubectl looks at the same server, so the
# stand-in is held to what a real client accepts. Output, exit codes, the
# job's variables and secrets (in a Secret, gone after the task), the
# checkout (one fetch per token), a timeout, a cancel, an image that can't be
# pulled, a pod that can't be scheduled, broken streams resumed, a watch too
# old to resume (410), ttlSecondsAfterFinished, and a runner killed mid-task.
# usage: kubernetes_test.sh CONVOX_WORKFLOWS_BINARY SOURCE_DIR
set -u
bin=$(realpath "$1")
src=$(realpath "$2")
tmp=$(mktemp -d)
trap 'stop_all_runners; [ -n "${api_pid:-}" ] && kill "$api_pid" 2>/dev/null; wait 2>/dev/null; [ -n "${KEEP:-}" ] || rm -rf "$tmp"' EXIT
. "$src/tests/cli/lib.sh"
. "$src/tests/runner/lib.sh"
for need in kubectl openssl busybox; do
  command -v "$need" >/dev/null || { fail "$need is missing (scripts/install-deps.sh test installs kubernetes-client, openssl, busybox-static)"; summary kubernetes; exit 1; }
done

# The stand-in's TLS: a CA of the test's own and a certificate for 127.0.0.1.
openssl req -x509 -newkey rsa:2048 -nodes -keyout "$tmp/ca.key" -out "$tmp/ca.crt" -days 1 -subj /CN=stand-in-ca 2>/dev/null
openssl req -newkey rsa:2048 -nodes -keyout "$tmp/server.key" -out "$tmp/server.csr" -subj /CN=127.0.0.1 2>/dev/null
printf 'subjectAltName=IP:127.0.0.1\n' >"$tmp/ext"
openssl x509 -req -in "$tmp/server.csr" -CA "$tmp/ca.crt" -CAkey "$tmp/ca.key" -CAcreateserial -out "$tmp/server.crt" \
  -days 1 -extfile "$tmp/ext" 2>/dev/null
mkdir -p "$tmp/node"
python3 "$src/tests/executor/kube_stand_in.py" --port-file "$tmp/api.port" --token "k8s-t0ken-value" \
  --images busybox:1.36,golang:1.22 --node-cpu 4 --history 200 --work-dir "$tmp/node" \
  --tls-cert "$tmp/server.crt" --tls-key "$tmp/server.key" 2>"$tmp/api.log" &
api_pid=$!
wait_for "the stand-in API server listens" 10 test -s "$tmp/api.port"
api=https://127.0.0.1:$(cat "$tmp/api.port")
cat >"$tmp/kubeconfig" <<EOF
apiVersion: v1
kind: Config
clusters:
  - name: stand-in
    cluster: {server: "$api", certificate-authority: ca.crt}
users:
  - name: runner
    user: {token: k8s-t0ken-value}
contexts:
  - name: ci
    context: {cluster: stand-in, user: runner, namespace: ci}
current-context: ci
EOF
export KUBECONFIG=$tmp/kubeconfig
k() { timeout 20 kubectl "$@" 2>&1; }
free_port() { python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])'; }
port=$(free_port)
kube=(--task-backend kubernetes --k8s-checkout-listen "127.0.0.1:$port" --k8s-checkout-url "http://127.0.0.1:$port" --grace 2s)
kubeconfig=(--kubeconfig "$tmp/kubeconfig")
jobs_left() { k get jobs -l "convox-workflows/runner${1:+,convox-workflows/job=$1}" -o name | grep -c '^job' ; }
jobs_are() { [ "$(jobs_left "${2:-}")" = "$1" ]; }
pods_are() { [ "$(k get pods -l "convox-workflows/runner${2:+,convox-workflows/job=$2}" -o name | grep -c '^pod')" = "$1" ]; }
secrets_left() { k get secrets -l convox-workflows/runner -o name | grep -c '^secret'; }
# The id of the job exec ran, from its first line.
exec_job() { sed -n '1s/^job \([0-9]*\):.*/\1/p' "$tmp/out"; }

repo=$tmp/repo
git init -q -b main "$repo"
echo "from the checkout" >"$repo/marker.txt"
mkdir -p "$repo/sub/$(printf 'd%.0s' {1..60})" && echo "below" >"$repo/sub/below.txt"
echo deep >"$repo/sub/$(printf 'd%.0s' {1..60})/$(printf 'f%.0s' {1..70}).txt"
ln -s marker.txt "$repo/link"
cat >"$repo/.convox-workflows.yml" <<'YML'
version: 1
defaults: {image: "busybox:1.36"}
workflows:
  - name: ok
    trigger: {integration: git, repository: "file:///srv/r.git", branch: main}
    tasks:
      - type: script
        name: inside
        command: 'cat marker.txt; cat link; echo "branch=$GIT_BRANCH"; test "${#MY_SECRET}" = 12 && echo secret-ok; printf "%s" "$MY_KEY" | wc -l; test -d .git || echo no-git-dir; cat sub/d*/f*.txt; echo "home=$HOME"'
        secrets: [MY_SECRET, MY_KEY]
        resources: {cpu: "1", memory: 256Mi}
      - {type: script, name: deeper, working_directory: sub, command: 'pwd; cat below.txt', image: "golang:1.22"}
  - name: exits
    trigger: {integration: git, repository: "file:///srv/r.git", branch: main}
    tasks: [{type: script, command: 'echo about to fail; exit 3'}]
  - name: slow
    trigger: {integration: git, repository: "file:///srv/r.git", branch: main}
    tasks: [{type: script, command: 'echo started; sleep 30', timeout: 2s}]
  - name: chatty
    trigger: {integration: git, repository: "file:///srv/r.git", branch: main}
    tasks: [{type: script, command: 'i=1; while [ $i -le 30 ]; do echo "tick $i"; i=$((i+1)); sleep 0.1; done'}]
  - name: missing
    trigger: {integration: git, repository: "file:///srv/r.git", branch: main}
    tasks: [{type: script, command: 'true', image: "registry.example/no-such-image:1"}]
  - name: huge
    trigger: {integration: git, repository: "file:///srv/r.git", branch: main}
    tasks: [{type: script, command: 'true', resources: {cpu: "16"}}]
YML
cat >"$repo/mixed.yml" <<'YML'
version: 1
workflows:
  - name: mixed
    trigger: {integration: git, repository: "file:///srv/r.git", branch: main}
    tasks:
      - {type: script, name: here, command: 'echo on the runner'}
      - {type: script, name: there, command: 'echo in a pod', image: "busybox:1.36"}
YML
git -C "$repo" add -A && git -C "$repo" commit -q -m init
data=$tmp/data
export MY_SECRET=s3cret-value MY_KEY=$'-----BEGIN-----\nline\n-----END-----'

# kubectl: the stand-in answers as a server a real client accepts.
run "kubectl talks to the stand-in" 0 kubectl version
expect "its version" out "v1.29.0-stand-in"
run "kubectl lists Jobs (none yet)" 0 kubectl get jobs
expect "as a real server has it" err "No resources found in ci namespace."

run "a task in a Job" 0 "$bin" exec --workflow ok --repo "$repo" --data-dir "$data" "${kube[@]}" "${kubeconfig[@]}"
expect "names its Job" out "[kubernetes] job ci/cwf-"
expect "the pod has the commit's files" out "from the checkout"
expect "symbolic links as links" out "from the checkout
from the checkout"
expect "names past 100 bytes" out "deep"
expect "gets the job's variables" out "branch=main"
expect "and its secrets" out "secret-ok"
expect "a multi-line secret whole" out " 2"
lacks "the secret's value is masked in the log" out "s3cret-value"
expect "no .git: its alternates are the runner's" out "no-git-dir"
expect "not the runner's HOME" out "home=/root"
expect "working_directory in the checkout, in another image" out "/workspace/sub"
expect "there too" out "below"
check "kubectl sees both Jobs, labelled" test "$(jobs_left)" = 2
run "kubectl reads a Job's labels" 0 kubectl get jobs -l convox-workflows/task=1 -o jsonpath='{.items[0].metadata.labels.convox-workflows/job} {.items[0].spec.template.spec.containers[0].image} {.items[0].spec.backoffLimit} {.items[0].status.succeeded}'
expect "job, image, no retries, succeeded" out "1 golang:1.22 0 1"
run "kubectl reads a task's resources" 0 kubectl get jobs -l convox-workflows/task=0 -o jsonpath='{.items[0].spec.template.spec.containers[0].resources.limits.cpu} {.items[0].spec.template.spec.containers[0].resources.requests.memory} {.items[0].spec.activeDeadlineSeconds} {.items[0].spec.ttlSecondsAfterFinished}'
expect "requests and limits, deadline (timeout + grace), ttl" out "1 256Mi 3602 600"
run "kubectl reads the pod spec" 0 kubectl get jobs -l convox-workflows/task=0 -o json
lacks "no secret in the Job" out "s3cret-value"
expect "the environment comes from a Secret" out '"secretRef"'
run "kubectl follows the pod's log" 0 kubectl logs job/"$(k get jobs -l convox-workflows/task=0 -o name | head -1 | cut -d/ -f2)"
expect "the same output" out "from the checkout"
check "the Secrets are gone with their tasks" test "$(secrets_left)" = 0
url=$(k get jobs -l convox-workflows/task=0 -o jsonpath='{.items[0].spec.template.spec.initContainers[0].env[0].value}')
check "the checkout URL is the runner's" grep -q "^http://127.0.0.1:$port/checkouts/[0-9a-f]\{64\}$" <<<"$url"
k delete jobs -l convox-workflows/runner >/dev/null

run "an exit code" 1 "$bin" exec --workflow exits --repo "$repo" --data-dir "$data" "${kube[@]}" "${kubeconfig[@]}"
expect "is the container's" out "the command exited with 3"
expect "after its output" out "about to fail"

run "a timeout" 1 "$bin" exec --workflow slow --repo "$repo" --data-dir "$data" "${kube[@]}" "${kubeconfig[@]}"
expect "stops the task" out "timed out after 2s"
expect "its output came first" out "started"
id=$(exec_job)
wait_for "its Job is deleted" 10 jobs_are 0 "$id"
wait_for "and its pod (after its grace)" 10 pods_are 0 "$id"

cut_streams() { curl -sk -X POST "$api/_stand-in/cut-streams" >/dev/null; }
(sleep 1; cut_streams; sleep 1; cut_streams) &
run "a log stream cut twice" 0 "$bin" exec --workflow chatty --repo "$repo" --data-dir "$data" "${kube[@]}" "${kubeconfig[@]}"
wait $!
check "is resumed: every line, once" test "$(grep -c '^.\{9\}tick [0-9]*$' "$tmp/out")" = 30
cp "$tmp/out" "$tmp/chatty.out"
check "in order" bash -c "grep -o 'tick [0-9]*$' '$tmp/out' | cut -d' ' -f2 | sort -n -c"
check "the watch came back after the cuts (410: relisted, else resumed)" grep -q "succeeded" "$tmp/out"

run "an image that can't be pulled" 1 "$bin" exec --workflow missing --repo "$repo" --data-dir "$data" "${kube[@]}" "${kubeconfig[@]}" --k8s-pending-timeout 2s
expect "is said as the cluster says it" out "is waiting: ErrImagePull: rpc error"
expect "and fails the task after the pending timeout" out "the pod did not start in 2s"
wait_for "its Job is deleted" 10 jobs_are 0 "$(exec_job)"

run "a pod that can't be scheduled" 1 "$bin" exec --workflow huge --repo "$repo" --data-dir "$data" "${kube[@]}" "${kubeconfig[@]}" --k8s-pending-timeout 2s
expect "fails with the scheduler's reason" out "Unschedulable: 0/1 nodes are available: 1 Insufficient cpu."
wait_for "its Job is deleted" 10 jobs_are 0 "$(exec_job)"

run "tasks without an image in the same job" 0 "$bin" exec --workflow mixed --file "$repo/mixed.yml" --repo "$repo" --data-dir "$data" "${kube[@]}" "${kubeconfig[@]}" --k8s-ttl 1s
expect "run on the runner" out "on the runner"
expect "and those with one in a pod" out "in a pod"
wait_for "ttlSecondsAfterFinished: the cluster deletes the finished Job" 10 jobs_are 0 "$(exec_job)"

# Refusals, each with a clear error.
sed 's/k8s-t0ken-value/wrong/' "$tmp/kubeconfig" >"$tmp/wrong.kubeconfig"
run "a wrong token" 1 "$bin" exec --workflow exits --repo "$repo" --data-dir "$data" "${kube[@]}" --kubeconfig "$tmp/wrong.kubeconfig"
expect "is the API's 401" out "cannot create the task's Secret in namespace ci: HTTP 401 Unauthorized"
lacks "the token is in no message" out "wrong"
run "a kubeconfig without the context" 2 "$bin" exec --workflow exits --repo "$repo" --data-dir "$data" "${kube[@]}" "${kubeconfig[@]}" --kube-context nope
expect "says which" err "no context named 'nope'"
printf 'clusters: [\n' >"$tmp/bad.yaml"
run "a broken kubeconfig" 2 "$bin" exec --workflow exits --repo "$repo" --data-dir "$data" "${kube[@]}" --kubeconfig "$tmp/bad.yaml"
expect "with its place" err "bad.yaml:2:1: error:"
run "outside a pod without a kubeconfig" 2 env -u KUBERNETES_SERVICE_HOST "$bin" exec --workflow exits --repo "$repo" --data-dir "$data" --task-backend kubernetes --k8s-checkout-url http://x:1
expect "says so" err "not in a Kubernetes pod"
run "without a checkout URL" 2 "$bin" exec --workflow exits --repo "$repo" --data-dir "$data" --task-backend kubernetes --kubeconfig "$tmp/kubeconfig"
expect "says what it is for" err "needs --k8s-checkout-url"

# The stand-in's errors are the API's shapes (what the client parses).
status_of() { curl -sk -o "$tmp/out" -w '%{http_code}' -H "Authorization: Bearer k8s-t0ken-value" "$@"; }
check "404 NotFound" test "$(status_of "$api/apis/batch/v1/namespaces/ci/jobs/nope")" = 404
expect "as a Status" out '"reason": "NotFound"'
printf '%s' '{"metadata":{"name":"Bad_Name"},"spec":{"template":{"spec":{"restartPolicy":"Never","containers":[{"name":"t","image":"x"}]}}}}' >"$tmp/bad.json"
check "422 Invalid" test "$(status_of -X POST --data-binary @"$tmp/bad.json" -H 'Content-Type: application/json' "$api/apis/batch/v1/namespaces/ci/jobs")" = 422
expect "naming the field" out 'metadata.name'
printf '%s' '{"apiVersion":"batch/v1","kind":"Job","metadata":{"name":"by-kubectl"},"spec":{"template":{"spec":{"restartPolicy":"Never","containers":[{"name":"t","image":"busybox:1.36","command":["true"]}]}}}}' >"$tmp/job.json"
run "kubectl creates a Job" 0 kubectl create -f "$tmp/job.json" --validate=false
run "and is refused a second one of that name" 1 kubectl create -f "$tmp/job.json" --validate=false
expect "409, as kubectl says it" err 'Error from server (AlreadyExists): error when creating'
run "kubectl deletes it (Background, as kubectl sends)" 0 kubectl delete job by-kubectl
check "410 on a watch from too old a version" bash -c "curl -sk -H 'Authorization: Bearer k8s-t0ken-value' '$api/api/v1/namespaces/ci/pods?watch=true&resourceVersion=1' | grep -q '\"code\": 410'"

# The runner: a cancel, and a runner killed mid-task.
k delete jobs -l convox-workflows/runner >/dev/null
bare=$tmp/r.git
git clone -q --bare "$repo" "$bare"
sed "s|file:///srv/r.git|file://$bare|; s|sleep 30', timeout: 2s|sleep 300'|" "$repo/.convox-workflows.yml" >"$tmp/wf.yml"
port=$(free_port)
runner_kube=(--task-backend kubernetes --kubeconfig "$tmp/kubeconfig" --k8s-checkout-listen "127.0.0.1:$port"
  --k8s-checkout-url "http://127.0.0.1:$port" --grace 2s)
CONVOX_WORKFLOWS_API_TOKEN=kube start_runner r.log --workflows-file "$tmp/wf.yml" --data-dir "$tmp/d2" "${runner_kube[@]}" --poll-interval 60s
wait_serving "$tmp/d2"
http() { /usr/bin/python3 "$src/tests/runner/fetch.py" "$@" >"$tmp/out" 2>"$tmp/err"; }
printf '{"branch": "main"}' >"$tmp/body"
http POST "$base/api/workflows/slow/trigger" -H "Authorization: Bearer kube" --body-file "$tmp/body"
job=$(reply_field id)
pod_runs() { k get pods -o jsonpath='{.items[*].status.phase}' | grep -q Running; }
wait_for "its pod runs" 30 pod_runs
# The runner still serves checkouts: what the pod fetched is not there for a second fetch.
fetch_code() { curl -s -o /dev/null -w '%{http_code}' --max-time 5 "$1"; }
url=$(k get jobs -o jsonpath='{.items[0].spec.template.spec.initContainers[0].env[0].value}')
check "a checkout URL is good once: the pod took it" test "$(fetch_code "$url")" = 404
check "the listener serves nothing else" test "$(fetch_code "http://127.0.0.1:$port/")" = 404
http POST "$base/api/jobs/$job/cancel" -H "Authorization: Bearer kube"
wait_for "a cancel ends the job" 30 job_is "$tmp/d2" "$job" cancelled
wait_for "and deletes its Job" 10 jobs_are 0
wait_for "and its pod (after its grace)" 10 pods_are 0
http POST "$base/api/workflows/slow/trigger" -H "Authorization: Bearer kube" --body-file "$tmp/body"
job=$(reply_field id)
wait_for "another one runs" 30 pod_runs
kill -KILL "$(/usr/bin/python3 -c 'import json,sys; print(json.load(open(sys.argv[1]))["pid"])' "$tmp/d2/state.json")"
sleep 1
check "a killed runner leaves its Job running" test "$(jobs_left)" = 1
check "and its Secret" test "$(secrets_left)" = 1
port=$(free_port)
runner_kube=(--task-backend kubernetes --kubeconfig "$tmp/kubeconfig" --k8s-checkout-listen "127.0.0.1:$port"
  --k8s-checkout-url "http://127.0.0.1:$port" --grace 2s)
CONVOX_WORKFLOWS_API_TOKEN=kube start_runner r2.log --workflows-file "$tmp/wf.yml" --data-dir "$tmp/d2" "${runner_kube[@]}" --poll-interval 60s
wait_serving "$tmp/d2"
wait_for "the next start deletes it" 30 jobs_are 0
check "and the Secret" test "$(secrets_left)" = 0
check "says so" in_log r2.log "deleted a Job the last run left"
check "its job reads interrupted" job_is "$tmp/d2" "$job" interrupted
check "no token in the runner's log" bash -c "! grep -q k8s-t0ken-value '$tmp/r.log' '$tmp/r2.log'"
stop_runner "kubernetes runner"
summary kubernetes
