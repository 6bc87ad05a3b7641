#!/usr/bin/python3
"""Every key the JSON Schema defines appears in docs/workflows-file.md and is
set in .convox-workflows.yml.example, and every key has a description
(directly or through the definition it refers to)."""
import json
import pathlib
import re
import sys

root = pathlib.Path(sys.argv[1])
schema = json.loads((root / "schema/convox-workflows.schema.json").read_text())
doc = (root / "docs/workflows-file.md").read_text()
documented = set(re.findall(r"`([a-z_]+)`", doc))
problems = []


def resolve(node):
    while "$ref" in node and "description" not in node:
        node = schema["definitions"][node["$ref"].split("/")[-1]]
    return node


def walk(node):
    """Checks every "properties" map anywhere in the schema."""
    if isinstance(node, list):
        for item in node:
            walk(item)
    if not isinstance(node, dict):
        return
    for key, sub in node.get("properties", {}).items():
        if key not in documented:
            problems.append(f"{key}: not in docs/workflows-file.md")
        if "description" not in resolve(sub):
            problems.append(f"{key}: no description in the schema")
    for name, value in node.items():
        # Conditions and their consequences refine keys defined elsewhere.
        if name not in ("if", "then"):
            walk(value)


walk(schema)
keys = set()


def collect(node):
    if isinstance(node, dict):
        keys.update(node.get("properties", {}).keys())
        for v in node.values():
            collect(v)
    elif isinstance(node, list):
        for v in node:
            collect(v)


collect(schema)
example = (root / ".convox-workflows.yml.example").read_text()
for key in sorted(keys):
    if not re.search(rf"(^|[\s{{,-]){re.escape(key)}:", example, re.M):
        problems.append(f"{key}: not set in .convox-workflows.yml.example")
for p in sorted(set(problems)):
    print("FAIL", p)
print(f"{len(keys)} schema keys checked; {len(set(problems))} problems")
sys.exit(1 if problems else 0)
