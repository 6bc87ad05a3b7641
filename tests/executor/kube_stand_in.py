#!/usr/bin/env python3
"""A stand-in Kubernetes API server for the tests: one namespace-aware store
of Jobs, Pods and Secrets behind the real REST paths and shapes (Status
errors 401/404/409/410/422, watch streams of JSON lines, followed pod logs,
discovery for kubectl), with a job controller and a kubelet that really run
the pods' commands as local processes:

- a Job makes one pod (labels controller-uid, job-name); backoffLimit is
  honoured as 0 (the runner's); activeDeadlineSeconds fails the Job with
  DeadlineExceeded and deletes its pods; ttlSecondsAfterFinished deletes it;
- DELETE of a Job without a propagationPolicy orphans its pods, as the real
  batch/v1 API does (kubectl sends Background);
- a pod is Unschedulable when its requests exceed the node (--node-cpu,
  --node-memory); an image not in --images waits in ErrImagePull /
  ImagePullBackOff; a missing envFrom Secret is CreateContainerConfigError;
- containers run on this host: the command with the volume mount paths
  replaced by a directory of the pod's (there is no chroot), busybox's
  applets first on PATH (the init container's sh, wget and tar);
- deleting a pod sends SIGTERM, then SIGKILL after its grace period;
- logs: timestamps=true, sinceTime, limitBytes, follow (ends when the
  container does); 400 while the container waits to start.

POST /_stand-in/cut-streams ends every open watch and log stream (a network
blip), to test that the runner resumes them.

usage: kube_stand_in.py --port-file F [--token T] [--images a,b] [--history N]
"""
import argparse
import base64
import datetime
import http.server
import json
import os
import random
import re
import shutil
import signal
import socketserver
import ssl
import string
import subprocess
import sys
import tempfile
import threading
import time
import urllib.parse

LOCK = threading.RLock()
CHANGED = threading.Condition(LOCK)
STATE = {"rv": 1000, "jobs": {}, "pods": {}, "secrets": {}, "events": [], "cuts": 0}
ARGS = None


def now_iso():
    return datetime.datetime.now(datetime.timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ")


def now_nano():
    t = time.time_ns()
    base = datetime.datetime.fromtimestamp(t // 10**9, datetime.timezone.utc).strftime("%Y-%m-%dT%H:%M:%S")
    frac = ("%09d" % (t % 10**9)).rstrip("0")  # RFC3339Nano trims trailing zeros, as Go does
    return base + ("." + frac if frac else "") + "Z"


def next_rv():
    STATE["rv"] += 1
    return str(STATE["rv"])


def status(code, reason, message, details=None):
    s = {"kind": "Status", "apiVersion": "v1", "metadata": {}, "status": "Failure",
         "message": message, "reason": reason, "code": code}
    if details:
        s["details"] = details
    return s


DNS_LABEL = re.compile(r"^[a-z0-9]([-a-z0-9]*[a-z0-9])?$")
DNS_SUBDOMAIN = re.compile(r"^[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*$")
LABEL_VALUE = re.compile(r"^(([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9])?$")
SECRET_KEY = re.compile(r"^[-._a-zA-Z0-9]+$")


def parse_quantity(q, cpu):
    q = str(q)
    m = re.match(r"^([0-9.]+)([a-zA-Z]*)$", q)
    if not m:
        return None
    n, unit = float(m.group(1)), m.group(2)
    if cpu:
        return n / 1000 if unit == "m" else (n if unit == "" else None)
    factors = {"": 1, "k": 1e3, "M": 1e6, "G": 1e9, "T": 1e12, "Ki": 1024, "Mi": 1024**2, "Gi": 1024**3, "Ti": 1024**4}
    return n * factors[unit] if unit in factors else None


def selector_matches(selector, labels):
    if not selector:
        return True
    for part in selector.split(","):
        part = part.strip()
        if "!=" in part:
            k, v = part.split("!=", 1)
            if labels.get(k) == v:
                return False
        elif "==" in part or "=" in part:
            k, v = re.split("==|=", part, 1)
            if labels.get(k) != v:
                return False
        elif part.startswith("!"):
            if part[1:] in labels:
                return False
        elif part not in labels:
            return False
    return True


def field_matches(selector, obj):
    if not selector:
        return True
    for part in selector.split(","):
        k, _, v = part.partition("=")
        k = k.rstrip("=")
        if k == "metadata.name" and obj["metadata"]["name"] != v:
            return False
        if k == "metadata.namespace" and obj["metadata"]["namespace"] != v:
            return False
    return True


def record(kind, typ, obj):
    """Keeps OBJ's new version for watches (of pods and jobs)."""
    STATE["events"].append((int(obj["metadata"]["resourceVersion"]), kind, typ, json.loads(json.dumps(obj))))
    if len(STATE["events"]) > ARGS.history:
        del STATE["events"][: len(STATE["events"]) - ARGS.history]
    CHANGED.notify_all()


def touch(kind, obj, typ="MODIFIED"):
    obj["metadata"]["resourceVersion"] = next_rv()
    record(kind, typ, obj)


# ---------------------------------------------------------------- the kubelet


class Container:
    def __init__(self):
        self.log = []  # (stamp, bytes of a line, newline included when it had one)
        self.proc = None
        self.ended = False


class PodRun:
    """One pod's life on the node, on a thread of its own."""

    def __init__(self, key):
        self.key = key
        self.dir = tempfile.mkdtemp(prefix="pod-", dir=ARGS.work_dir)
        self.containers = {}
        self.deleting = threading.Event()

    def pod(self):
        return STATE["pods"].get(self.key)

    def set_status(self, fn):
        with LOCK:
            p = self.pod()
            if p is None:
                return None
            fn(p["status"])
            touch("pods", p)
            return p

    def mounts(self, c):
        return {m["mountPath"]: os.path.join(self.dir, m["name"]) for m in c.get("volumeMounts", [])}

    def translate(self, text, mounts):
        for path in sorted(mounts, key=len, reverse=True):
            text = text.replace(path, mounts[path])
        return text

    def env_of(self, c, mounts):
        env = {"PATH": ARGS.bin_dir + ":/usr/local/bin:/usr/bin:/bin", "HOSTNAME": self.key[1], "HOME": "/root"}
        for ref in c.get("envFrom", []):
            name = ref.get("secretRef", {}).get("name")
            sec = STATE["secrets"].get((self.key[0], name))
            if sec is None:
                raise LookupError('secret "%s" not found' % name)
            for k, v in sec.get("data", {}).items():
                env[k] = base64.b64decode(v).decode("utf-8", "replace")
        for e in c.get("env", []):
            env[e["name"]] = self.translate(e.get("value", ""), mounts)
        return env

    def wait_or_deleted(self, seconds):
        return self.deleting.wait(seconds)

    def run_container(self, c, init):
        """Runs container C to its end; returns its exit code (or None when deleted first)."""
        name = c["name"]
        field = "initContainerStatuses" if init else "containerStatuses"
        mounts = self.mounts(c)
        for d in mounts.values():
            os.makedirs(d, exist_ok=True)
        # The image: pulled, or waiting for ever in backoff.
        reason = "ErrImagePull"
        while c["image"] not in ARGS.images:
            msg = ('rpc error: code = NotFound desc = failed to pull and unpack image "%s": not found' % c["image"]
                   if reason == "ErrImagePull" else 'Back-off pulling image "%s"' % c["image"])

            def waiting(s, reason=reason, msg=msg):
                for cs in s[field]:
                    if cs["name"] == name:
                        cs["state"] = {"waiting": {"reason": reason, "message": msg}}
                s["phase"] = "Pending"
            self.set_status(waiting)
            reason = "ImagePullBackOff" if reason == "ErrImagePull" else "ErrImagePull"
            if self.wait_or_deleted(0.5):
                return None
        while True:
            with LOCK:
                try:
                    env = self.env_of(c, mounts)
                    problem = None
                except LookupError as e:
                    problem = str(e)
            if problem is None:
                break

            def config_error(s, problem=problem):
                for cs in s[field]:
                    if cs["name"] == name:
                        cs["state"] = {"waiting": {"reason": "CreateContainerConfigError", "message": problem}}
            self.set_status(config_error)
            if self.wait_or_deleted(0.5):
                return None
        argv = [self.translate(a, mounts) for a in c.get("command", []) + c.get("args", [])]
        cwd = self.translate(c.get("workingDir", self.dir), mounts)
        os.makedirs(cwd, exist_ok=True)
        cont = Container()
        self.containers[name] = cont
        started = now_iso()
        try:
            cont.proc = subprocess.Popen(argv, cwd=cwd, env=env, stdin=subprocess.DEVNULL, stdout=subprocess.PIPE,
                                         stderr=subprocess.STDOUT, start_new_session=True)
        except OSError as e:
            cont.ended = True

            def cannot(s, e=e):
                for cs in s[field]:
                    if cs["name"] == name:
                        cs["state"] = {"terminated": {"exitCode": 128, "reason": "StartError", "message": str(e)}}
            self.set_status(cannot)
            return 128

        def running(s):
            for cs in s[field]:
                if cs["name"] == name:
                    cs["state"] = {"running": {"startedAt": started}}
                    cs["started"] = True
            s["phase"] = "Pending" if init else "Running"
        self.set_status(running)
        for line in iter(cont.proc.stdout.readline, b""):
            with LOCK:
                cont.log.append((now_nano(), line))
                CHANGED.notify_all()
        code = cont.proc.wait()
        if code < 0:
            code = 128 - code
        with LOCK:
            cont.ended = True
            CHANGED.notify_all()

        def terminated(s):
            for cs in s[field]:
                if cs["name"] == name:
                    cs["state"] = {"terminated": {"exitCode": code, "reason": "Completed" if code == 0 else "Error",
                                                  "startedAt": started, "finishedAt": now_iso()}}
                    cs["started"] = False
        self.set_status(terminated)
        return code

    def run(self):
        with LOCK:
            p = self.pod()
            spec = p["spec"]
        # Scheduling: one node of --node-cpu CPUs and --node-memory bytes.
        cpu = mem = 0.0
        for c in spec["containers"]:
            req = c.get("resources", {}).get("requests", {})
            cpu += parse_quantity(req.get("cpu", "0"), True) or 0
            mem += parse_quantity(req.get("memory", "0"), False) or 0
        if cpu > ARGS.node_cpu or mem > ARGS.node_memory:
            what = "cpu" if cpu > ARGS.node_cpu else "memory"

            def unschedulable(s):
                s["conditions"] = [{"type": "PodScheduled", "status": "False", "reason": "Unschedulable",
                                    "lastTransitionTime": now_iso(),
                                    "message": "0/1 nodes are available: 1 Insufficient %s. preemption: 0/1 nodes are "
                                               "available: 1 No preemption victims found for incoming pod." % what}]
            self.set_status(unschedulable)
            self.deleting.wait()
            self.finish_deletion()
            return

        def scheduled(s):
            s["conditions"] = [{"type": "PodScheduled", "status": "True", "lastTransitionTime": now_iso()}]
            s["hostIP"] = "127.0.0.1"
            s["startTime"] = now_iso()
        self.set_status(scheduled)
        phase = "Succeeded"
        for c in spec.get("initContainers", []):
            code = self.run_container(c, True)
            if code is None or self.deleting.is_set():
                self.finish_deletion()
                return
            if code != 0:
                phase = "Failed"
                break
        if phase == "Succeeded":
            for c in spec["containers"]:
                code = self.run_container(c, False)
                if code is None or self.deleting.is_set():
                    self.finish_deletion()
                    return
                if code != 0:
                    phase = "Failed"

        def ended(s):
            s["phase"] = phase
        p = self.set_status(ended)
        if p is not None:
            job_pod_ended(p)
        self.deleting.wait()
        self.finish_deletion()

    def terminate(self, grace):
        """SIGTERM to what runs, SIGKILL after GRACE seconds."""
        self.deleting.set()
        procs = [c.proc for c in self.containers.values() if c.proc and c.proc.poll() is None]
        for p in procs:
            try:
                os.killpg(p.pid, signal.SIGTERM)
            except ProcessLookupError:
                pass
        deadline = time.time() + grace
        for p in procs:
            try:
                p.wait(max(0.0, deadline - time.time()))
            except subprocess.TimeoutExpired:
                try:
                    os.killpg(p.pid, signal.SIGKILL)
                except ProcessLookupError:
                    pass

    def finish_deletion(self):
        for c in self.containers.values():
            if c.proc:
                try:
                    c.proc.wait(60)
                except subprocess.TimeoutExpired:
                    pass
        # Wait for the container threads' statuses, then the pod is gone.
        time.sleep(0.05)
        with LOCK:
            p = STATE["pods"].pop(self.key, None)
            if p is not None:
                touch("pods", p, "DELETED")
        shutil.rmtree(self.dir, ignore_errors=True)


RUNS = {}


def delete_pod(key, grace=None):
    with LOCK:
        p = STATE["pods"].get(key)
        if p is None:
            return None
        if grace is None:
            grace = p["spec"].get("terminationGracePeriodSeconds", 30)
        if "deletionTimestamp" not in p["metadata"]:
            p["metadata"]["deletionTimestamp"] = now_iso()
            p["metadata"]["deletionGracePeriodSeconds"] = grace
            touch("pods", p)
        run = RUNS.get(key)
    if run:
        threading.Thread(target=run.terminate, args=(grace,), daemon=True).start()
    return p


# ------------------------------------------------------- the job controller


def job_pod_ended(pod):
    with LOCK:
        ns = pod["metadata"]["namespace"]
        jname = pod["metadata"]["labels"].get("job-name")
        job = STATE["jobs"].get((ns, jname))
        if job is None or job["metadata"]["uid"] != pod["metadata"]["labels"].get("controller-uid"):
            return
        ok = pod["status"]["phase"] == "Succeeded"
        finish_job(job, "Complete" if ok else "Failed", "" if ok else "BackoffLimitExceeded",
                   "" if ok else "Job has reached the specified backoff limit")
        job["status"]["succeeded" if ok else "failed"] = 1


def finish_job(job, kind, reason, message):
    st = job["status"]
    if "completionTime" in st or any(c["type"] in ("Complete", "Failed") for c in st.get("conditions", [])):
        return
    st["active"] = 0
    st.setdefault("conditions", []).append({"type": kind, "status": "True", "reason": reason, "message": message,
                                            "lastTransitionTime": now_iso()})
    if kind == "Complete":
        st["completionTime"] = now_iso()
    job["metadata"]["_finished"] = time.time()
    touch("jobs", job)


def controller_loop():
    while True:
        time.sleep(0.2)
        to_delete = []
        with LOCK:
            for key, job in list(STATE["jobs"].items()):
                spec, st, meta = job["spec"], job["status"], job["metadata"]
                deadline = spec.get("activeDeadlineSeconds")
                if deadline is not None and "_finished" not in meta and time.time() - meta["_created"] > deadline:
                    finish_job(job, "Failed", "DeadlineExceeded", "Job was active longer than specified deadline")
                    for pk, p in STATE["pods"].items():
                        if p["metadata"]["labels"].get("controller-uid") == meta["uid"]:
                            to_delete.append((pk, None))
                ttl = spec.get("ttlSecondsAfterFinished")
                if ttl is not None and "_finished" in meta and time.time() - meta["_finished"] >= ttl:
                    to_delete.extend(delete_job(key, "Background"))
        for pk, grace in to_delete:
            delete_pod(pk, grace)


def delete_job(key, policy):
    """Removes the Job at KEY; returns its pods to delete (none when orphaned)."""
    job = STATE["jobs"].pop(key)
    touch("jobs", job, "DELETED")
    if policy not in ("Background", "Foreground"):
        return []
    return [(pk, None) for pk, p in STATE["pods"].items()
            if p["metadata"]["labels"].get("controller-uid") == job["metadata"]["uid"]]


def public(obj):
    out = json.loads(json.dumps(obj))
    for k in [k for k in out["metadata"] if k.startswith("_")]:
        del out["metadata"][k]
    return out


def new_meta(ns, meta):
    m = dict(meta)
    m["namespace"] = ns
    m["uid"] = "%08x-%04x-%04x-%04x-%012x" % tuple(random.getrandbits(b) for b in (32, 16, 16, 16, 48))
    m["creationTimestamp"] = now_iso()
    m["_created"] = time.time()
    m.setdefault("labels", {})
    return m


def validate_job(ns, body):
    errs = []
    meta = body.get("metadata") or {}
    name = meta.get("name", "")
    if not name:
        errs.append(("metadata.name", "Required value: name or generateName is required"))
    elif not DNS_SUBDOMAIN.match(name) or len(name) > 63:
        errs.append(("metadata.name", 'Invalid value: "%s": a lowercase RFC 1123 label must consist of lower case '
                                      "alphanumeric characters or '-', and must start and end with an alphanumeric "
                                      "character, and be no more than 63 characters" % name))
    for k, v in (meta.get("labels") or {}).items():
        if not LABEL_VALUE.match(str(v)) or len(str(v)) > 63:
            errs.append(("metadata.labels", 'Invalid value: "%s": a valid label must be an empty string or consist '
                                            "of alphanumeric characters, '-', '_' or '.'" % v))
    spec = (body.get("spec") or {}).get("template", {}).get("spec") or {}
    if spec.get("restartPolicy") not in ("Never", "OnFailure"):
        errs.append(("spec.template.spec.restartPolicy", 'Unsupported value: "%s": supported values: "OnFailure", '
                                                         '"Never"' % spec.get("restartPolicy", "Always")))
    if not spec.get("containers"):
        errs.append(("spec.template.spec.containers", "Required value"))
    for i, c in enumerate(spec.get("initContainers", []) + spec.get("containers", [])):
        if not c.get("image"):
            errs.append(("spec.template.spec.containers[%d].image" % i, "Required value"))
        if not DNS_LABEL.match(c.get("name", "")):
            errs.append(("spec.template.spec.containers[%d].name" % i, "Invalid value"))
    if errs:
        msg = 'Job.batch "%s" is invalid: ' % name + ", ".join("%s: %s" % e for e in errs)
        return status(422, "Invalid", msg, {"name": name, "group": "batch", "kind": "Job",
                                            "causes": [{"reason": "FieldValueInvalid", "message": m, "field": f}
                                                       for f, m in errs]})
    return None


def create_job(ns, body):
    problem = validate_job(ns, body)
    if problem:
        return 422, problem
    name = body["metadata"]["name"]
    if (ns, name) in STATE["jobs"]:
        return 409, status(409, "AlreadyExists", 'jobs.batch "%s" already exists' % name,
                           {"name": name, "group": "batch", "kind": "jobs"})
    job = {"apiVersion": "batch/v1", "kind": "Job", "metadata": new_meta(ns, body["metadata"]),
           "spec": body["spec"], "status": {"active": 1, "startTime": now_iso()}}
    uid = job["metadata"]["uid"]
    tmpl = job["spec"]["template"]
    tmpl.setdefault("metadata", {}).setdefault("labels", {}).update(
        {"controller-uid": uid, "batch.kubernetes.io/controller-uid": uid, "job-name": name,
         "batch.kubernetes.io/job-name": name})
    job["spec"].setdefault("backoffLimit", 6)
    job["spec"].setdefault("completions", 1)
    job["spec"].setdefault("parallelism", 1)
    STATE["jobs"][(ns, name)] = job
    touch("jobs", job, "ADDED")
    # The job controller's pod.
    pname = "%s-%s" % (name, "".join(random.choice(string.ascii_lowercase + string.digits) for _ in range(5)))
    spec = json.loads(json.dumps(tmpl["spec"]))
    spec.setdefault("terminationGracePeriodSeconds", 30)
    spec["nodeName"] = "stand-in-node"
    pod = {"apiVersion": "v1", "kind": "Pod",
           "metadata": dict(new_meta(ns, {"name": pname, "labels": dict(tmpl["metadata"]["labels"])}),
                            ownerReferences=[{"apiVersion": "batch/v1", "kind": "Job", "name": name, "uid": uid,
                                              "controller": True, "blockOwnerDeletion": True}]),
           "spec": spec,
           "status": {"phase": "Pending", "qosClass": "BestEffort",
                      "initContainerStatuses": [{"name": c["name"], "image": c["image"], "ready": False,
                                                 "restartCount": 0, "state": {"waiting": {"reason": "PodInitializing"}}}
                                                for c in spec.get("initContainers", [])],
                      "containerStatuses": [{"name": c["name"], "image": c["image"], "ready": False, "restartCount": 0,
                                             "state": {"waiting": {"reason": "PodInitializing" if spec.get("initContainers") else "ContainerCreating"}}}
                                            for c in spec["containers"]]}}
    STATE["pods"][(ns, pname)] = pod
    touch("pods", pod, "ADDED")
    run = PodRun((ns, pname))
    RUNS[(ns, pname)] = run
    threading.Thread(target=run.run, daemon=True).start()
    return 201, public(job)


# ------------------------------------------------------------- the REST side

API_RESOURCES = {
    "v1": [("pods", "Pod", True, ["create", "delete", "get", "list", "watch"]),
           ("pods/log", "Pod", True, ["get"]),
           ("secrets", "Secret", True, ["create", "delete", "get", "list", "watch"]),
           ("namespaces", "Namespace", False, ["get", "list"])],
    "batch/v1": [("jobs", "Job", True, ["create", "delete", "get", "list", "watch"])],
}


def resource_list(gv):
    return {"kind": "APIResourceList", "apiVersion": "v1", "groupVersion": gv,
            "resources": [{"name": n, "singularName": "" if "/" in n else k.lower(), "namespaced": nsd, "kind": k,
                           "verbs": verbs} for n, k, nsd, verbs in API_RESOURCES[gv]]}


class Handler(http.server.BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"

    def log_message(self, *a):
        if ARGS.verbose:
            sys.stderr.write("stand-in: " + (a[0] % a[1:]) + "\n")

    def reply(self, code, obj):
        body = json.dumps(obj).encode()
        self.send_response(code)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def body_json(self):
        n = int(self.headers.get("Content-Length") or 0)
        if n > 3 * 1024 * 1024:
            return None
        raw = self.rfile.read(n) if n else b""
        try:
            return json.loads(raw) if raw else {}
        except ValueError:
            return None

    def authorized(self):
        if not ARGS.token:
            return True
        if self.headers.get("Authorization") == "Bearer " + ARGS.token:
            return True
        self.reply(401, status(401, "Unauthorized", "Unauthorized"))
        return False

    def start_stream(self, ctype):
        self.send_response(200)
        self.send_header("Content-Type", ctype)
        self.send_header("Transfer-Encoding", "chunked")
        self.end_headers()

    def chunk(self, data):
        self.wfile.write(b"%x\r\n%s\r\n" % (len(data), data))
        self.wfile.flush()

    def end_stream(self):
        try:
            self.wfile.write(b"0\r\n\r\n")
            self.wfile.flush()
        except OSError:
            pass

    def route(self):
        u = urllib.parse.urlsplit(self.path)
        q = {k: v[-1] for k, v in urllib.parse.parse_qs(u.query).items()}
        parts = [urllib.parse.unquote(p) for p in u.path.strip("/").split("/") if p]
        return parts, q

    def do_GET(self):
        parts, q = self.route()
        if parts == ["version"]:
            return self.reply(200, {"major": "1", "minor": "29", "gitVersion": "v1.29.0-stand-in", "platform": "linux/amd64"})
        if parts == ["healthz"] or parts == ["readyz"]:
            body = b"ok"
            self.send_response(200)
            self.send_header("Content-Length", "2")
            self.end_headers()
            return self.wfile.write(body)
        if not self.authorized():
            return
        if parts == ["api"]:
            return self.reply(200, {"kind": "APIVersions", "versions": ["v1"],
                                    "serverAddressByClientCIDRs": [{"clientCIDR": "0.0.0.0/0", "serverAddress": "127.0.0.1"}]})
        if parts == ["apis"]:
            return self.reply(200, {"kind": "APIGroupList", "apiVersion": "v1", "groups": [
                {"name": "batch", "versions": [{"groupVersion": "batch/v1", "version": "v1"}],
                 "preferredVersion": {"groupVersion": "batch/v1", "version": "v1"}}]})
        if parts == ["api", "v1"]:
            return self.reply(200, resource_list("v1"))
        if parts == ["apis", "batch", "v1"]:
            return self.reply(200, resource_list("batch/v1"))
        kind, ns, name, sub = self.target(parts)
        if kind is None:
            return self.reply(404, status(404, "NotFound", "the server could not find the requested resource"))
        if sub == "log":
            return self.pod_log(ns, name, q)
        table = {"pods": "pods", "jobs": "jobs", "secrets": "secrets"}[kind]
        if name:
            with LOCK:
                obj = STATE[table].get((ns, name))
            if obj is None:
                return self.not_found(kind, name)
            return self.reply(200, public(obj))
        if q.get("watch") in ("true", "1"):
            return self.watch(kind, ns, q)
        with LOCK:
            items = [public(o) for (ons, _), o in sorted(STATE[table].items())
                     if (ns is None or ons == ns) and selector_matches(q.get("labelSelector"), o["metadata"]["labels"])
                     and field_matches(q.get("fieldSelector"), o)]
            rv = str(STATE["rv"])
        list_kind = {"pods": "PodList", "jobs": "JobList", "secrets": "SecretList"}[kind]
        api_version = "batch/v1" if kind == "jobs" else "v1"
        return self.reply(200, {"kind": list_kind, "apiVersion": api_version, "metadata": {"resourceVersion": rv},
                                "items": items})

    def not_found(self, kind, name):
        group = "jobs.batch" if kind == "jobs" else kind
        return self.reply(404, status(404, "NotFound", '%s "%s" not found' % (group, name),
                                      {"name": name, "kind": kind}))

    def target(self, parts):
        """(kind, namespace, name, subresource) of an API path, or Nones."""
        if parts[:2] == ["api", "v1"]:
            rest = parts[2:]
            allowed = ("pods", "secrets")
        elif parts[:3] == ["apis", "batch", "v1"]:
            rest = parts[3:]
            allowed = ("jobs",)
        else:
            return None, None, None, None
        ns = None
        if len(rest) >= 2 and rest[0] == "namespaces":
            ns, rest = rest[1], rest[2:]
        if not rest or rest[0] not in allowed or len(rest) > 3:
            return None, None, None, None
        name = rest[1] if len(rest) > 1 else None
        sub = rest[2] if len(rest) > 2 else None
        if sub and (rest[0] != "pods" or sub != "log"):
            return None, None, None, None
        return rest[0], ns, name, sub

    def watch(self, kind, ns, q):
        since = int(q.get("resourceVersion") or 0)
        timeout = min(float(q.get("timeoutSeconds") or 1800), 1800)
        end = time.time() + timeout
        cuts = STATE["cuts"]
        with LOCK:
            oldest = STATE["events"][0][0] if STATE["events"] else STATE["rv"] + 1
            if since and since < oldest - 1:
                gone = True
            else:
                gone = False
                if not since:  # "any": the current state as ADDED events, then changes
                    table = STATE[kind]
                    pending = [(int(o["metadata"]["resourceVersion"]), kind, "ADDED", public(o))
                               for (ons, _), o in table.items() if ns is None or ons == ns]
                    since = STATE["rv"]
                else:
                    pending = []
        self.start_stream("application/json")
        try:
            if gone:
                err = status(410, "Expired", "too old resource version: %d (%d)" % (since, oldest))
                self.chunk(json.dumps({"type": "ERROR", "object": err}).encode() + b"\n")
                return self.end_stream()
            sel, fsel = q.get("labelSelector"), q.get("fieldSelector")
            last_bookmark = time.time()
            while time.time() < end and STATE["cuts"] == cuts:
                out = []
                with LOCK:
                    for rv, k, typ, obj in pending + [e for e in STATE["events"] if e[0] > since]:
                        since = max(since, rv)
                        if k != kind or (ns is not None and obj["metadata"]["namespace"] != ns):
                            continue
                        if not selector_matches(sel, obj["metadata"].get("labels", {})) or not field_matches(fsel, obj):
                            continue
                        out.append({"type": typ, "object": public(obj)})
                    pending = []
                    if not out:
                        CHANGED.wait(0.5)
                for e in out:
                    self.chunk(json.dumps(e).encode() + b"\n")
                if q.get("allowWatchBookmarks") == "true" and time.time() - last_bookmark > 5:
                    last_bookmark = time.time()
                    self.chunk(json.dumps({"type": "BOOKMARK", "object": {
                        "kind": "Pod" if kind == "pods" else "Job", "apiVersion": "v1",
                        "metadata": {"resourceVersion": str(since)}}}).encode() + b"\n")
            if STATE["cuts"] != cuts:
                self.close_connection = True
                return  # cut: no end of the chunked body, as a dropped connection
            self.end_stream()
        except (BrokenPipeError, ConnectionResetError):
            self.close_connection = True

    def pod_log(self, ns, name, q):
        with LOCK:
            pod = STATE["pods"].get((ns, name))
            if pod is None:
                return self.not_found("pods", name)
            names = [c["name"] for c in pod["spec"].get("initContainers", []) + pod["spec"]["containers"]]
            container = q.get("container") or pod["spec"]["containers"][0]["name"]
            if container not in names:
                return self.reply(400, status(400, "BadRequest", 'container %s is not valid for pod %s' % (container, name)))
            run = RUNS.get((ns, name))
            cont = run.containers.get(container) if run else None
            if cont is None:
                return self.reply(400, status(400, "BadRequest", 'container "%s" in pod "%s" is waiting to start: '
                                                                 'PodInitializing' % (container, name)))
        follow = q.get("follow") == "true"
        stamps = q.get("timestamps") == "true"
        since = q.get("sinceTime")
        limit = int(q["limitBytes"]) if q.get("limitBytes") else None
        sent = 0
        i = 0
        cuts = STATE["cuts"]
        self.start_stream("text/plain")
        try:
            while True:
                with LOCK:
                    lines = cont.log[i:]
                    i = len(cont.log)
                    ended = cont.ended
                    if not lines and not ended and follow:
                        CHANGED.wait(0.5)
                for stamp, line in lines:
                    if since and stamp[:19] + "Z" < since:
                        continue
                    data = (stamp.encode() + b" " if stamps else b"") + line
                    if limit is not None:
                        data = data[: max(0, limit - sent)]
                    if data:
                        self.chunk(data)
                        sent += len(data)
                if STATE["cuts"] != cuts:
                    self.close_connection = True
                    return
                if (limit is not None and sent >= limit) or not follow or (ended and i == len(cont.log)):
                    break
            self.end_stream()
        except (BrokenPipeError, ConnectionResetError):
            self.close_connection = True

    def do_POST(self):
        parts, q = self.route()
        if parts == ["_stand-in", "cut-streams"]:
            with LOCK:
                STATE["cuts"] += 1
                CHANGED.notify_all()
            return self.reply(200, {"cut": True})
        if not self.authorized():
            return
        body = self.body_json()
        if body is None:
            return self.reply(400, status(400, "BadRequest", "the body is not JSON"))
        kind, ns, name, sub = self.target(parts)
        if kind is None or name or ns is None:
            return self.reply(405 if kind else 404, status(405 if kind else 404, "MethodNotAllowed" if kind else "NotFound",
                                                           "the server does not allow this method on the requested resource"))
        with LOCK:
            if kind == "jobs":
                code, obj = create_job(ns, body)
                return self.reply(code, obj)
            if kind == "secrets":
                sname = (body.get("metadata") or {}).get("name", "")
                bad = [k for k in (body.get("data") or {}) if not SECRET_KEY.match(k)]
                if not DNS_SUBDOMAIN.match(sname) or bad:
                    return self.reply(422, status(422, "Invalid", 'Secret "%s" is invalid: %s' % (
                        sname, "data[%s]: Invalid value" % bad[0] if bad else "metadata.name: Invalid value")))
                if (ns, sname) in STATE["secrets"]:
                    return self.reply(409, status(409, "AlreadyExists", 'secrets "%s" already exists' % sname))
                for k, v in (body.get("stringData") or {}).items():
                    body.setdefault("data", {})[k] = base64.b64encode(v.encode()).decode()
                sec = {"apiVersion": "v1", "kind": "Secret", "type": body.get("type", "Opaque"),
                       "metadata": new_meta(ns, body["metadata"]), "data": body.get("data", {})}
                STATE["secrets"][(ns, sname)] = sec
                touch("secrets", sec, "ADDED")
                return self.reply(201, public(sec))
        return self.reply(405, status(405, "MethodNotAllowed", "pods are made by Jobs here"))

    def do_DELETE(self):
        parts, q = self.route()
        if not self.authorized():
            return
        body = self.body_json() or {}
        kind, ns, name, sub = self.target(parts)
        if kind is None or not name or sub:
            return self.reply(404, status(404, "NotFound", "the server could not find the requested resource"))
        policy = body.get("propagationPolicy") or q.get("propagationPolicy")
        grace = body.get("gracePeriodSeconds", q.get("gracePeriodSeconds"))
        to_delete = []
        with LOCK:
            table = STATE[kind]
            obj = table.get((ns, name))
            if obj is None:
                return self.not_found(kind, name)
            if kind == "jobs":
                to_delete = delete_job((ns, name), policy)
                out = public(obj)
            elif kind == "secrets":
                del table[(ns, name)]
                touch("secrets", obj, "DELETED")
                out = public(obj)
            else:
                out = None
        if kind == "pods":
            p = delete_pod((ns, name), None if grace is None else int(grace))
            return self.reply(200, public(p))
        for pk, g in to_delete:
            delete_pod(pk, g)
        if kind == "jobs" and policy not in ("Background", "Foreground"):
            out = status(200, "", "")  # what is kept of the orphan's story: nothing
            out["status"] = "Success"
            out["details"] = {"name": name, "group": "batch", "kind": "jobs", "uid": obj["metadata"]["uid"]}
            return self.reply(200, out)
        return self.reply(200, out)

    def do_PATCH(self):
        if not self.authorized():
            return
        self.reply(405, status(405, "MethodNotAllowed", "the stand-in takes no patches"))


class Server(socketserver.ThreadingMixIn, http.server.HTTPServer):
    daemon_threads = True
    allow_reuse_address = True
    request_queue_size = 1024


def main():
    global ARGS
    ap = argparse.ArgumentParser()
    ap.add_argument("--port-file", required=True)
    ap.add_argument("--token", default="")
    ap.add_argument("--images", default="busybox:1.36")
    ap.add_argument("--history", type=int, default=5000)
    ap.add_argument("--node-cpu", type=float, default=4)
    ap.add_argument("--node-memory", type=float, default=8 * 1024**3)
    ap.add_argument("--tls-cert", default="")
    ap.add_argument("--tls-key", default="")
    ap.add_argument("--work-dir", default=tempfile.gettempdir())
    ap.add_argument("--verbose", action="store_true")
    ARGS = ap.parse_args()
    ARGS.images = set(i for i in ARGS.images.split(",") if i)
    # busybox's applets (sh, wget, tar) first on the pods' PATH: the init image's tools.
    ARGS.bin_dir = tempfile.mkdtemp(prefix="kube-bin-", dir=ARGS.work_dir)
    busybox = shutil.which("busybox")
    if busybox:
        for applet in ("sh", "wget", "tar"):
            os.symlink(busybox, os.path.join(ARGS.bin_dir, applet))
    srv = Server(("127.0.0.1", 0), Handler)
    if ARGS.tls_cert:
        ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
        ctx.load_cert_chain(ARGS.tls_cert, ARGS.tls_key)
        srv.socket = ctx.wrap_socket(srv.socket, server_side=True)
    threading.Thread(target=controller_loop, daemon=True).start()
    with open(ARGS.port_file + ".tmp", "w") as f:
        f.write(str(srv.server_address[1]))
    os.rename(ARGS.port_file + ".tmp", ARGS.port_file)
    signal.signal(signal.SIGTERM, lambda *a: sys.exit(0))
    try:
        srv.serve_forever()
    finally:
        for run in list(RUNS.values()):
            for c in run.containers.values():
                if c.proc and c.proc.poll() is None:
                    os.killpg(c.proc.pid, signal.SIGKILL)
            shutil.rmtree(run.dir, ignore_errors=True)
        shutil.rmtree(ARGS.bin_dir, ignore_errors=True)


if __name__ == "__main__":
    main()
