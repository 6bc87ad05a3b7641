#!/usr/bin/python3
"""Every route the server registers is in schema/http-api.openapi.yaml with its method, every path there is
served, and every 4xx/5xx reply documented under /api and /hooks is the JSON error object.
usage: openapi_routes.py SOURCE_DIR"""
import glob, re, sys, yaml

src = sys.argv[1]
routes = set()
for f in glob.glob(f"{src}/src/server/*.cc"):
    code = open(f).read()
    for m in re.finditer(r'\broute(?:_with_reader)?\(\s*(?:"(GET|POST)",\s*)?(?:R"\((.*?)\)"|"(.*?)")', code, re.S):
        raw = m.group(2) or m.group(3)
        raw = re.sub(r"\(\[\^/\]\+\)", "{name}", raw)
        raw = re.sub(r"\(\\d\+\)", "{id}", raw, count=1)
        routes.add((m.group(1) or "POST", re.sub(r"\(\\d\+\)", "{n}", raw)))
spec = yaml.safe_load(open(f"{src}/schema/http-api.openapi.yaml"))
ops = {(method.upper(), path) for path, item in spec["paths"].items() for method in item}
bad = [f"not in the OpenAPI file: {m} {p}" for m, p in sorted(routes - ops)]
bad += [f"in the OpenAPI file but not served: {m} {p}" for m, p in sorted(ops - routes)]
error = spec["components"]["schemas"]["Error"]
if error.get("required") != ["error"]:
    bad.append("the Error schema must require `error`")
json_errors = {"#/components/responses/Error", "#/components/responses/Busy"}
for path, item in spec["paths"].items():
    if not (path.startswith("/api") or path.startswith("/hooks")):
        continue
    for method, op in item.items():
        replies = op["responses"]
        for code in ("4XX", "5XX"):
            if code not in replies:
                bad.append(f"{method.upper()} {path}: no {code} reply (every error there is JSON)")
        for code, reply in replies.items():
            if str(code)[0] in "45" and reply.get("$ref") not in json_errors:
                bad.append(f"{method.upper()} {path}: its {code} reply is not the JSON error object")
if not routes:
    bad.append("no routes found in src/server/*.cc")
for line in bad:
    print(line)
print(f"{len(routes)} routes, {len(ops)} operations")
sys.exit(1 if bad else 0)
