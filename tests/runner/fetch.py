#!/usr/bin/python3
"""A tiny HTTP client for the shell tests (no curl on a fresh machine; not named http.py,
which would shadow the standard library's http package).

usage: fetch.py METHOD URL [-H 'Name: value']... [--body-file F] [--github-secret S]
                [--no-follow] [--show-header NAME]...
Prints the status code on the first line, then each --show-header as
"Name: value" lines, then the body. --github-secret signs the body as GitHub
does (X-Hub-Signature-256); --no-follow reports a redirect instead of following it."""
import argparse, hashlib, hmac, sys, urllib.error, urllib.request

p = argparse.ArgumentParser()
p.add_argument("method")
p.add_argument("url")
p.add_argument("-H", dest="headers", action="append", default=[])
p.add_argument("--body-file")
p.add_argument("--github-secret")
p.add_argument("--no-follow", action="store_true")
p.add_argument("--show-header", action="append", default=[])
a = p.parse_args()


class NoFollow(urllib.request.HTTPRedirectHandler):
    def redirect_request(self, *args, **kwargs):
        return None


opener = urllib.request.build_opener(*([NoFollow] if a.no_follow else []))
body = open(a.body_file, "rb").read() if a.body_file else None
req = urllib.request.Request(a.url, data=body, method=a.method)
for h in a.headers:
    k, v = h.split(":", 1)
    req.add_header(k.strip(), v.strip())
if a.github_secret is not None:
    mac = hmac.new(a.github_secret.encode(), body or b"", hashlib.sha256).hexdigest()
    req.add_header("X-Hub-Signature-256", "sha256=" + mac)
try:
    with opener.open(req, timeout=30) as r:
        status, data, headers = r.status, r.read(), r.headers
except urllib.error.HTTPError as e:
    status, data, headers = e.code, e.read(), e.headers
sys.stdout.write(f"{status}\n")
for name in a.show_header:
    for value in headers.get_all(name) or []:
        sys.stdout.write(f"{name}: {value}\n")
sys.stdout.write(data.decode("utf-8", "replace"))
