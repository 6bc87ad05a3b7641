#!/usr/bin/env bash
# Issue 13's attacks on the HTTP side, each tried alone on a fresh runner with
# a job running, one line of outcome each: the table of the closing note
# (run it on an older binary for "before"). Bounded: a few seconds an attack.
# usage: bench/http_attacks.sh [BINARY]
set -uo pipefail
src=$(cd "$(dirname "$0")/.." && pwd)
bin=$(realpath "${1:-$src/build/convox-workflows}")
tmp=$(mktemp -d)
pid=
trap '[ -n "$pid" ] && kill "$pid" 2>/dev/null; wait 2>/dev/null; rm -rf "$tmp"' EXIT
# Flags an older binary lacks are left out there.
HTTP_LOAD_RUNNER_ARGS=${HTTP_LOAD_RUNNER_ARGS:-}
. "$src/bench/http_load_setup.sh"
/usr/bin/python3 - "$base" "$job" "$pid" "$src/tests/fixtures/webhooks/github-webhooks/push_with-new-branch.payload.json" <<'PY'
import hashlib, hmac, http.client, json, os, re, socket, sys, threading, time, urllib.parse
base, job, pid, payload = sys.argv[1], int(sys.argv[2]), int(sys.argv[3]), open(sys.argv[4], "rb").read()
u = urllib.parse.urlparse(base)
H, P = u.hostname, u.port

def req(method, path, body=None, headers=None, timeout=3):
    c = http.client.HTTPConnection(H, P, timeout=timeout)
    try:
        c.request(method, path, body, headers or {})
        r = c.getresponse()
        return r.status, dict(r.getheaders()), r.read()
    except Exception as e:
        return None, {}, str(e).encode()
    finally:
        c.close()

def health_ms():
    t0 = time.monotonic()
    s, _, _ = req("GET", "/healthz", timeout=6)
    return f"{(time.monotonic() - t0) * 1000:.0f} ms" if s == 200 else "no answer in 6 s"

def rss():
    return next(int(l.split()[1]) // 1024 for l in open(f"/proc/{pid}/status") if l.startswith("VmRSS:"))

def row(attack, outcome):
    print(f"| {attack} | {outcome} |", flush=True)

# 1. four follow streams (no token needed)
streams = []
for _ in range(4):
    s = socket.create_connection((H, P)); s.sendall(f"GET /api/jobs/{job}/log?follow=1 HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n".encode())
    streams.append(s)
time.sleep(0.5)
row("4 follow streams on a running job, then /healthz", health_ms())
for s in streams: s.close()
time.sleep(1)
# 2. four sockets sending one header byte a second
slow = []
for _ in range(4):
    s = socket.create_connection((H, P)); s.sendall(b"GET / HTTP/1.1\r\nHost: 127.0.0.1\r\nX: "); slow.append(s)
stop = threading.Event()
def drip():
    while not stop.wait(1):
        for s in slow:
            try: s.send(b"a")
            except OSError: pass
t = threading.Thread(target=drip); t.start()
time.sleep(2)
row("4 sockets sending a header byte a second, then /healthz", health_ms())
time.sleep(10)
cut = 0
for s in slow:
    s.setblocking(False)
    try: cut += s.recv(100) != b""  # 408 (or closed)
    except BlockingIOError: pass
    except OSError: cut += 1
row("the same 4 sockets after 12 s", f"{cut} of 4 cut by the runner")
stop.set(); t.join()
for s in slow: s.close()
# 3. 16 keep-alive page readers
conns = [http.client.HTTPConnection(H, P, timeout=10) for _ in range(16)]
for c in conns:
    c.request("GET", f"/jobs/{job}"); c.getresponse().read()
row("16 idle keep-alive page readers, then /healthz", health_ms())
for c in conns: c.close()
time.sleep(1)
# 4. a 400 MiB chunked post, unsigned
before = rss()
s = socket.create_connection((H, P)); s.settimeout(10)
s.sendall(b"POST /hooks/github HTTP/1.1\r\nHost: 127.0.0.1\r\nX-GitHub-Event: push\r\nTransfer-Encoding: chunked\r\n\r\n")
chunk = b"100000\r\n" + b"x" * 0x100000 + b"\r\n"
sent, peak = 0, before
t0 = time.monotonic()
try:
    for i in range(400):
        s.sendall(chunk); sent += 1
        if i % 16 == 0: peak = max(peak, rss())
except OSError:
    pass
try:
    s.settimeout(5); reply = s.recv(200).split(b"\r\n")[0].decode()
except OSError as e:
    reply = "no reply (" + type(e).__name__ + ")"
peak = max(peak, rss())
s.close()
row("a 400 MiB chunked POST /hooks/github, unsigned", f"{reply or 'closed'} after {sent} MiB sent; RSS {before} → {peak} MB")
# 5. 300 replays of one signed delivery
sig = "sha256=" + hmac.new(b"load-secret", payload, hashlib.sha256).hexdigest()
polled = 0
for _ in range(300):
    st, _, body = req("POST", "/hooks/github", payload, {"X-GitHub-Event": "push", "X-GitHub-Delivery": "same-1",
                                                        "X-Hub-Signature-256": sig, "Content-Type": "application/json"})
    polled += st == 202
row("300 replays of one signed push delivery", f"{polled} acted on (listings of the remote)")
# 6. error bodies
def shape(method, path, body=None, headers=None):
    st, h, b = req(method, path, body, headers)
    try: js = "error" in json.loads(b)
    except Exception: js = False
    return f"{st} {'JSON' if js else ('empty' if not b else 'not JSON')}"
long_path = "/api/jobs?" + "a" * 9000
row("GET /api/nope · DELETE /api/jobs · GET 9 KB URI", " · ".join([shape("GET", "/api/nope"), shape("DELETE", "/api/jobs"), shape("GET", long_path)]))
row("POST /hooks/github with Content-Length 30 MB", shape("POST", "/hooks/github", b"x" * (30 << 20), {"X-GitHub-Event": "push"}))
# 7. '=' inside a query value
st, _, b = req("GET", "/api/jobs?workflow=x=ticker")  # the running job's workflow is `ticker`
row("GET /api/jobs?workflow=x=ticker", "filters on " + ("'x=ticker'" if st == 200 and json.loads(b)["jobs"] == [] else "'ticker'"))
# 8. headers
st, h, _ = req("GET", "/")
row("GET / : nosniff, CSP frame-ancestors, Referrer-Policy",
    ", ".join(k for k in ["X-Content-Type-Options", "Content-Security-Policy", "Referrer-Policy"] if k in h) or "none")
st, _, _ = req("GET", "/api/jobs", headers={"Host": "evil.example"})
row("GET /api/jobs with Host: evil.example", f"{st}")
# 9. the UI's form token in the query string
st, _, _ = req("POST", f"/jobs/{job}/cancel?token=load-token", b"", {"Content-Type": "application/x-www-form-urlencoded"})
row("POST /jobs/N/cancel?token=… (token in the URL, no Origin)", f"{st}")
PY
