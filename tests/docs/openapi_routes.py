#!/usr/bin/python3
"""Every route the server registers is in schema/http-api.openapi.yaml, and every path there is served.
usage: openapi_routes.py SOURCE_DIR"""
import re, sys, yaml

src = sys.argv[1]
code = open(f"{src}/src/server/http_server.cc").read()
routes = set()
for m in re.finditer(r'\b(?:s|http_->)\s*\.?\s*(?:Get|Post)\(\s*(?:R"\((.*?)\)"|"(.*?)")', code.replace("http_->", "http_->.")):
    raw = m.group(1) or m.group(2)
    raw = re.sub(r"\(\[\^/\]\+\)", "{name}", raw)
    raw = re.sub(r"\(\\d\+\)", "{id}", raw, count=1)
    routes.add(re.sub(r"\(\\d\+\)", "{n}", raw))
spec = yaml.safe_load(open(f"{src}/schema/http-api.openapi.yaml"))
paths = set(spec["paths"])
missing, extra = routes - paths, paths - routes
for r in sorted(missing): print(f"not in the OpenAPI file: {r}")
for p in sorted(extra): print(f"in the OpenAPI file but not served: {p}")
if not routes: print("no routes found in http_server.cc"); sys.exit(1)
print(f"{len(routes)} routes, {len(paths)} paths")
sys.exit(1 if missing or extra else 0)
