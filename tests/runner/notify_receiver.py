#!/usr/bin/python3
"""Stand-in receivers of the runner's notifications, on 127.0.0.1.

- POST /hooks/<name>: a signed-webhook receiver as its docs would have one
  written: the body must be JSON with Content-Type application/json, and
  X-Convox-Workflows-Signature must be t=<unix>,v1=<hex HMAC-SHA256 of
  '<t>.<body>'> with SECRET, t within 5 minutes (replays refused: 401). A
  delivery id it accepted before is answered 200 and not recorded again, as a
  receiver deduplicating would; the log shows it as a repeat.
- POST /services/<token>: Slack's incoming webhook, as hooks.slack.com answers:
  200 text/html "ok"; 400 invalid_payload (not JSON), no_text (neither text nor
  blocks), invalid_blocks (a section's text over 3,000 characters or over 50
  blocks); 404 no_service for a token it doesn't know; 429 with Retry-After
  when told to.
- POST /_plan {"path": P, "codes": [500, 500]} queues replies for P (before
  the normal handling); {"path": P, "hang": SECONDS} holds P's requests.
- GET /_log: every request as JSON lines: path, status, event, delivery, body,
  repeat (a delivery id accepted before), signature_ok.

usage: notify_receiver.py PORT_FILE SECRET SLACK_TOKEN
"""
import hashlib
import hmac
import json
import sys
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

port_file, secret, slack_token = sys.argv[1], sys.argv[2].encode(), sys.argv[3]
lock = threading.Lock()
log, plans, hangs, accepted = [], {}, {}, set()


def verify(header, body):
    parts = dict(p.split("=", 1) for p in header.split(",") if "=" in p)
    try:
        t = int(parts.get("t", ""))
    except ValueError:
        return False
    if abs(time.time() - t) > 300:
        return False
    want = hmac.new(secret, f"{t}.".encode() + body, hashlib.sha256).hexdigest()
    return hmac.compare_digest(want, parts.get("v1", ""))


class Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"

    def log_message(self, *args):
        pass

    def reply(self, status, text, ctype="text/plain", headers=()):
        data = text.encode()
        self.send_response(status)
        self.send_header("Content-Type", ctype)
        self.send_header("Content-Length", str(len(data)))
        for k, v in headers:
            self.send_header(k, v)
        self.end_headers()
        self.wfile.write(data)

    def do_GET(self):
        if self.path == "/_log":
            with lock:
                text = "".join(json.dumps(e) + "\n" for e in log)
            return self.reply(200, text)
        self.reply(404, "not found")

    def do_POST(self):
        body = self.rfile.read(int(self.headers.get("Content-Length", "0")))
        if self.path == "/_plan":
            p = json.loads(body)
            with lock:
                if "codes" in p:
                    plans[p["path"]] = list(p["codes"])
                if "hang" in p:
                    hangs[p["path"]] = p["hang"]
            return self.reply(200, "planned")
        entry = {"path": self.path, "event": self.headers.get("X-Convox-Workflows-Event"),
                 "delivery": self.headers.get("X-Convox-Workflows-Delivery"),
                 "user_agent": self.headers.get("User-Agent"), "body": body.decode(errors="replace")}
        with lock:
            hang = hangs.get(self.path, 0)
            code = plans[self.path].pop(0) if plans.get(self.path) else None
        if hang:
            time.sleep(hang)
        if code is not None:
            entry["status"] = code
            with lock:
                log.append(entry)
            extra = [("Retry-After", "1")] if code == 429 else []
            return self.reply(code, "planned failure" if code != 429 else "rate_limited", headers=extra)
        if self.path.startswith("/hooks/"):
            status, text = self.webhook(entry, body)
        elif self.path.startswith("/services/"):
            status, text = self.slack(body)
        else:
            status, text = 404, "not found"
        entry["status"] = status
        with lock:
            log.append(entry)
        self.reply(status, text, "text/html" if self.path.startswith("/services/") else "text/plain")

    def webhook(self, entry, body):
        if self.headers.get("Content-Type") != "application/json":
            return 415, "expected application/json"
        entry["signature_ok"] = verify(self.headers.get("X-Convox-Workflows-Signature", ""), body)
        if not entry["signature_ok"]:
            return 401, "bad signature"
        try:
            json.loads(body)
        except ValueError:
            return 400, "not JSON"
        with lock:
            entry["repeat"] = entry["delivery"] in accepted
            accepted.add(entry["delivery"])
        return 200, "accepted"

    def slack(self, body):
        if self.path != "/services/" + slack_token:
            return 404, "no_service"
        try:
            msg = json.loads(body)
        except ValueError:
            return 400, "invalid_payload"
        if not isinstance(msg, dict) or not (msg.get("text") or msg.get("blocks")):
            return 400, "no_text"
        blocks = msg.get("blocks", [])
        if len(blocks) > 50 or any(len(b.get("text", {}).get("text", "")) > 3000 for b in blocks):
            return 400, "invalid_blocks"
        return 200, "ok"


server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
server.daemon_threads = True
with open(port_file + ".tmp", "w") as f:
    f.write(str(server.server_address[1]))
import os  # noqa: E402
os.rename(port_file + ".tmp", port_file)
server.serve_forever()
