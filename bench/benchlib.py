"""Shared by the benchmarks' Python halves: git in the bench's work tree, a
signed GitHub push delivery, waiting for a task's start stamp, quantiles."""
import hashlib, hmac, os, subprocess, sys, time, urllib.request


def git(tmp, *args):
    return subprocess.run(["git", "-C", f"{tmp}/w", *args], check=True, capture_output=True, text=True).stdout.strip()


def push_hook(listen, body, secret, delivery):
    """POSTs BODY as a signed GitHub push delivery; returns when it was sent (ns)."""
    sig = "sha256=" + hmac.new(secret, body, hashlib.sha256).hexdigest()
    req = urllib.request.Request(f"http://{listen}/hooks/github", data=body, method="POST", headers={
        "X-GitHub-Event": "push", "X-GitHub-Delivery": delivery, "X-Hub-Signature-256": sig,
        "Content-Type": "application/json"})
    t0 = time.time_ns()
    urllib.request.urlopen(req, timeout=10).read()
    return t0


def wait_for(path, seconds=10):
    """The nanosecond stamp a task wrote to PATH."""
    for _ in range(seconds * 1000):
        if os.path.exists(path):
            return int(open(path).read())
        time.sleep(0.001)
    sys.exit(f"no task started for {path}")


def q(xs, p):
    xs = sorted(xs)
    return xs[min(len(xs) - 1, int(round(p * (len(xs) - 1))))]
