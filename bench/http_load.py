#!/usr/bin/python3
"""Hostile and heavy HTTP load on a running runner, with its answers measured.

Attacks, each optional: slowloris sockets sending one header byte a second;
log follow streams on a running job; keep-alive clients re-reading the job's
page every second; chunked webhook posts of many MiB. Meanwhile it measures
/healthz (a new connection every 100 ms, as a probe does; 2 s timeout),
GET /api/jobs (every 200 ms), a signed push webhook's time until its job is
listed (halfway), and the runner's RSS, threads and descriptors. Afterwards it
waits for threads and descriptors to come back. Prints one JSON object.

usage: http_load.py --base URL --pid PID --job ID [--slowloris N] [--follow N] [--keepalive N]
                    [--chunked N --chunked-mib M] [--seconds S] [--push-repo DIR --secret S --payload FILE]
"""
import argparse, hashlib, hmac, http.client, json, os, selectors, socket, subprocess, threading, time, urllib.parse

p = argparse.ArgumentParser()
p.add_argument("--base", required=True)
p.add_argument("--pid", type=int, required=True)
p.add_argument("--job", type=int, required=True)
p.add_argument("--slowloris", type=int, default=0)
p.add_argument("--follow", type=int, default=0)
p.add_argument("--keepalive", type=int, default=0)
p.add_argument("--chunked", type=int, default=0)
p.add_argument("--chunked-mib", type=int, default=900)
p.add_argument("--seconds", type=float, default=30)
p.add_argument("--push-repo")
p.add_argument("--secret")
p.add_argument("--payload")
p.add_argument("--settle", type=float, default=20, help="how long to wait for threads and fds to come back")
a = p.parse_args()
url = urllib.parse.urlparse(a.base)
HOST, PORT = url.hostname, url.port
stop = threading.Event()
lock = threading.Lock()
res = {"health_ms": [], "health_failed": 0, "api_ms": [], "api_failed": 0, "page_ms": [], "page_failed": 0,
       "follow_bytes": 0, "follow_429": 0, "follow_streams_served": 0, "slowloris_reconnects": 0,
       "chunked_status": [], "rss_kb": [], "threads": [], "fds": []}


def proc(pid):
    rss = 0
    for line in open(f"/proc/{pid}/status"):
        if line.startswith("VmRSS:"):
            rss = int(line.split()[1])
    return rss, len(os.listdir(f"/proc/{pid}/task")), len(os.listdir(f"/proc/{pid}/fd"))


def add(key, v):
    with lock:
        if isinstance(res[key], list):
            res[key].append(v)
        else:
            res[key] += v


def get(path, timeout):
    c = http.client.HTTPConnection(HOST, PORT, timeout=timeout)
    try:
        c.request("GET", path)
        r = c.getresponse()
        r.read()
        return r.status
    finally:
        c.close()


def prober(path, key, every, timeout):
    while not stop.is_set():
        t0 = time.monotonic()
        try:
            ok = get(path, timeout) == 200
        except Exception:
            ok = False
        if ok:
            add(key + "_ms", (time.monotonic() - t0) * 1000)
        else:
            add(key + "_failed", 1)
        stop.wait(max(0, every - (time.monotonic() - t0)))


def slowloris(n):
    sel = selectors.DefaultSelector()

    def open_one():
        s = socket.create_connection((HOST, PORT))
        s.setblocking(False)
        s.send(b"GET /api/jobs HTTP/1.1\r\nHost: x\r\nX-Slow: ")
        sel.register(s, selectors.EVENT_READ)
        return s

    socks = [open_one() for _ in range(n)]
    while not stop.is_set():
        t0 = time.monotonic()
        for s in list(socks):
            try:
                s.send(b"a")  # one header byte a second, never the end of the head
            except OSError:
                pass
        while time.monotonic() - t0 < 1 and not stop.is_set():
            for key, _ in sel.select(timeout=0.2):
                s = key.fileobj
                try:
                    data = s.recv(4096)
                except OSError:
                    data = b""
                if not data:  # closed by the runner: come back, as an attacker does
                    sel.unregister(s)
                    s.close()
                    socks.remove(s)
                    socks.append(open_one())
                    add("slowloris_reconnects", 1)
    for s in socks:
        s.close()


def follower():
    while not stop.is_set():
        c = http.client.HTTPConnection(HOST, PORT, timeout=10)
        try:
            c.request("GET", f"/api/jobs/{a.job}/log?follow=1")
            r = c.getresponse()
            if r.status == 429:
                r.read()
                add("follow_429", 1)
                stop.wait(int(r.getheader("Retry-After", "5")))
                continue
            add("follow_streams_served", 1)
            while not stop.is_set():
                chunk = r.read1(65536) if hasattr(r, "read1") else r.read(65536)
                if not chunk:
                    break
                add("follow_bytes", len(chunk))
        except Exception:
            stop.wait(0.5)
        finally:
            c.close()


def keepalive():
    c = http.client.HTTPConnection(HOST, PORT, timeout=10)
    while not stop.is_set():
        t0 = time.monotonic()
        try:
            c.request("GET", f"/jobs/{a.job}")
            r = c.getresponse()
            r.read()
            add("page_ms", (time.monotonic() - t0) * 1000)
        except Exception:
            add("page_failed", 1)
            c.close()
            c = http.client.HTTPConnection(HOST, PORT, timeout=10)
        stop.wait(max(0, 1 - (time.monotonic() - t0)))
    c.close()


def chunked_post():
    s = socket.create_connection((HOST, PORT))
    s.settimeout(10)
    s.sendall(b"POST /hooks/github HTTP/1.1\r\nHost: x\r\nX-GitHub-Event: push\r\nTransfer-Encoding: chunked\r\n\r\n")
    chunk = b"100000\r\n" + b"x" * 0x100000 + b"\r\n"
    status = 0
    try:
        for _ in range(a.chunked_mib):
            s.sendall(chunk)
    except OSError:
        pass
    try:
        s.settimeout(5)
        reply = s.recv(4096)
        status = int(reply.split()[1]) if reply.startswith(b"HTTP/1.1") else 0
    except (OSError, ValueError, IndexError):
        pass
    s.close()
    add("chunked_status", status)


def sampler():
    while not stop.is_set():
        rss, threads, fds = proc(a.pid)
        add("rss_kb", rss)
        add("threads", threads)
        add("fds", fds)
        stop.wait(0.25)


def webhook():
    stop.wait(a.seconds / 2)
    if stop.is_set():
        return
    repo = a.push_repo
    subprocess.run(["git", "-C", repo, "commit", "-q", "--allow-empty", "-m", "load"], check=True)
    subprocess.run(["git", "-C", repo, "push", "-q", "origin", "HEAD:master"], check=True)
    sha = subprocess.run(["git", "-C", repo, "rev-parse", "HEAD"], capture_output=True, text=True).stdout.strip()
    body = open(a.payload, "rb").read()
    sig = "sha256=" + hmac.new(a.secret.encode(), body, hashlib.sha256).hexdigest()
    t0 = time.monotonic()
    c = http.client.HTTPConnection(HOST, PORT, timeout=5)
    c.request("POST", "/hooks/github", body, {"X-GitHub-Event": "push", "X-GitHub-Delivery": f"load-{time.time()}",
                                              "X-Hub-Signature-256": sig, "Content-Type": "application/json"})
    status = c.getresponse().status
    c.close()
    res["webhook_status"] = status
    while time.monotonic() - t0 < 10:
        c = http.client.HTTPConnection(HOST, PORT, timeout=5)
        try:
            c.request("GET", "/api/jobs?workflow=hello&limit=5")
            if sha in c.getresponse().read().decode():
                res["webhook_job_ms"] = (time.monotonic() - t0) * 1000
                return
        except Exception:
            pass
        finally:
            c.close()
        time.sleep(0.02)
    res["webhook_job_ms"] = None


def pct(values, q):
    if not values:
        return None
    v = sorted(values)
    return round(v[min(len(v) - 1, int(q * len(v)))], 1)


rss0, threads0, fds0 = proc(a.pid)
threads = [threading.Thread(target=sampler), threading.Thread(target=prober, args=("/healthz", "health", 0.1, 2)),
           threading.Thread(target=prober, args=("/api/jobs", "api", 0.2, 5))]
if a.slowloris:
    threads.append(threading.Thread(target=slowloris, args=(a.slowloris,)))
threads += [threading.Thread(target=follower) for _ in range(a.follow)]
threads += [threading.Thread(target=keepalive) for _ in range(a.keepalive)]
threads += [threading.Thread(target=chunked_post) for _ in range(a.chunked)]
if a.push_repo:
    threads.append(threading.Thread(target=webhook))
for t in threads:
    t.daemon = True
    t.start()
time.sleep(a.seconds)
stop.set()
for t in threads:
    t.join(15)
# Everything the load opened goes away: the runner's threads and descriptors come back.
settled_at = None
t0 = time.monotonic()
while time.monotonic() - t0 < a.settle:
    rss, th, fd = proc(a.pid)
    if th <= threads0 and fd <= fds0:
        settled_at = time.monotonic() - t0
        break
    time.sleep(0.25)
rss1, threads1, fds1 = proc(a.pid)
out = {
    "seconds": a.seconds, "slowloris": a.slowloris, "follow": a.follow, "keepalive": a.keepalive,
    "chunked": a.chunked, "chunked_mib": a.chunked_mib,
    "health_probes": len(res["health_ms"]) + res["health_failed"], "health_unanswered": res["health_failed"],
    "health_p50_ms": pct(res["health_ms"], 0.5), "health_p99_ms": pct(res["health_ms"], 0.99),
    "api_requests": len(res["api_ms"]) + res["api_failed"], "api_failed": res["api_failed"],
    "api_p99_ms": pct(res["api_ms"], 0.99), "page_p99_ms": pct(res["page_ms"], 0.99), "page_failed": res["page_failed"],
    "follow_streams_served": res["follow_streams_served"], "follow_429": res["follow_429"],
    "follow_mib": round(res["follow_bytes"] / 1048576, 2), "slowloris_reconnects": res["slowloris_reconnects"],
    "chunked_status": res["chunked_status"], "webhook_status": res.get("webhook_status"),
    "webhook_job_ms": None if res.get("webhook_job_ms") is None else round(res["webhook_job_ms"], 1),
    "rss_start_mb": round(rss0 / 1024, 1), "rss_max_mb": round(max(res["rss_kb"] or [0]) / 1024, 1),
    "threads_start": threads0, "threads_max": max(res["threads"] or [0]), "threads_after": threads1,
    "fds_start": fds0, "fds_max": max(res["fds"] or [0]), "fds_after": fds1,
    "settled_s": None if settled_at is None else round(settled_at, 1),
}
print(json.dumps(out))
