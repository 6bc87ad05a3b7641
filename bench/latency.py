#!/usr/bin/python3
"""Latency of GETs, one after another on one keep-alive connection: p50 and
p99 of each path, and its p99 against the first path's (the baseline, e.g.
/healthz: the HTTP round trip alone), measured in the same run.

usage: latency.py HOST:PORT REQUESTS PATH [PATH...]"""
import http.client, sys, time

host, port = sys.argv[1].rsplit(":", 1)
n, paths = int(sys.argv[2]), sys.argv[3:]
c = http.client.HTTPConnection(host, int(port), timeout=10)


def run(path, count):
    ts = []
    for _ in range(count):
        t = time.perf_counter()
        c.request("GET", path)
        r = c.getresponse()
        body = r.read()
        assert r.status == 200, (path, r.status, body[:200])
        ts.append((time.perf_counter() - t) * 1000)
    ts.sort()
    return ts[len(ts) // 2], ts[int(len(ts) * 0.99)], len(body)


for path in paths:
    run(path, max(1, n // 10))  # warm: the page cache, SQLite's, the connection
results = [(path, run(path, n)) for path in paths]
base = results[0][1][1]
for path, (p50, p99, size) in results:
    print(f"  GET {path:44s} p50 {p50:6.2f} ms  p99 {p99:6.2f} ms  ({size} bytes; p99 {p99 / base:5.1f}x {paths[0]})")
