#!/usr/bin/python3
"""A tiny HTTP client for the shell tests (no curl on a fresh machine; not named http.py,
which would shadow the standard library's http package).

usage: fetch.py METHOD URL [-H 'Name: value']... [--body-file F] [--github-secret S]
Prints the status code on the first line, then the body. --github-secret signs
the body as GitHub does (X-Hub-Signature-256)."""
import argparse, hashlib, hmac, sys, urllib.error, urllib.request

p = argparse.ArgumentParser()
p.add_argument("method")
p.add_argument("url")
p.add_argument("-H", dest="headers", action="append", default=[])
p.add_argument("--body-file")
p.add_argument("--github-secret")
a = p.parse_args()
body = open(a.body_file, "rb").read() if a.body_file else None
req = urllib.request.Request(a.url, data=body, method=a.method)
for h in a.headers:
    k, v = h.split(":", 1)
    req.add_header(k.strip(), v.strip())
if a.github_secret is not None:
    mac = hmac.new(a.github_secret.encode(), body or b"", hashlib.sha256).hexdigest()
    req.add_header("X-Hub-Signature-256", "sha256=" + mac)
try:
    with urllib.request.urlopen(req, timeout=30) as r:
        status, data = r.status, r.read()
except urllib.error.HTTPError as e:
    status, data = e.code, e.read()
sys.stdout.write(f"{status}\n")
sys.stdout.write(data.decode("utf-8", "replace"))
