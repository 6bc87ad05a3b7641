#!/usr/bin/python3
"""The C++ loader and the JSON Schema must agree.

Every valid file (examples/, .convox-workflows.yml.example, tests/fixtures/valid)
must pass both. Every invalid fixture must fail the loader, and fail the
schema too unless its header says `# schema: accept` (a rule JSON Schema
cannot express, such as duplicate names); those must then pass the schema, so
the list of gaps stays exact.

usage: schema_agreement.py SOURCE_DIR CONVOX_WORKFLOWS_BINARY
"""
import json
import pathlib
import subprocess
import sys

import jsonschema
import yaml

root = pathlib.Path(sys.argv[1])
binary = sys.argv[2]
schema = json.loads((root / "schema/convox-workflows.schema.json").read_text())
jsonschema.Draft7Validator.check_schema(schema)
validator = jsonschema.Draft7Validator(schema)
failures = []


class Yaml12Loader(yaml.SafeLoader):
    """Booleans as YAML 1.2 (and the runner) read them: true and false only, so
    `on:` is a key and `yes` a string, as in the runner and editors' YAML 1.2."""


Yaml12Loader.yaml_implicit_resolvers = {
    first: [(tag, regexp) for tag, regexp in resolvers if tag != "tag:yaml.org,2002:bool"]
    for first, resolvers in yaml.SafeLoader.yaml_implicit_resolvers.items()
}
Yaml12Loader.add_implicit_resolver(
    "tag:yaml.org,2002:bool", __import__("re").compile(r"^(?:true|True|TRUE|false|False|FALSE)$"), list("tTfF"))


def schema_errors(path):
    try:
        data = yaml.load(path.read_bytes(), Loader=Yaml12Loader)
    except Exception as e:  # a file PyYAML cannot read is rejected too
        return [f"yaml: {type(e).__name__}"]
    return [e.message for e in validator.iter_errors(data)]


def loader_valid(path):
    out = subprocess.run([binary, "validate", "--format", "json", str(path)],
                         capture_output=True, timeout=60)
    if out.returncode not in (0, 1):
        failures.append(f"{path}: validate exited {out.returncode}: {out.stderr[:300]!r}")
        return None
    report = json.loads(out.stdout)
    return report["valid"]


valid_files = sorted(root.glob("examples/*.yml")) + [root / ".convox-workflows.yml.example"] + \
    sorted(root.glob("tests/fixtures/valid/*.yml"))
invalid_files = sorted(root.glob("tests/fixtures/invalid/*.yml"))
assert len(valid_files) >= 5 and len(invalid_files) >= 20, "fixtures missing"

for path in valid_files:
    errs = schema_errors(path)
    if errs:
        failures.append(f"{path}: valid file rejected by the schema: {errs[:3]}")
    if loader_valid(path) is not True:
        failures.append(f"{path}: valid file rejected by the loader")

gaps = 0
for path in invalid_files:
    header = path.read_text(errors="replace").splitlines()[:10]
    schema_accepts = any(line.startswith("# schema: accept") for line in header)
    gaps += schema_accepts
    errs = schema_errors(path)
    if schema_accepts and errs:
        failures.append(f"{path}: marked '# schema: accept' but the schema rejects it: {errs[:3]}")
    if not schema_accepts and not errs:
        failures.append(f"{path}: invalid file accepted by the schema")
    if loader_valid(path) is not False:
        failures.append(f"{path}: invalid file accepted by the loader")

for f in failures:
    print("FAIL", f)
print(f"{len(valid_files)} valid and {len(invalid_files)} invalid files checked "
      f"({gaps} rules beyond JSON Schema)")
print(f"{len(valid_files) + len(invalid_files) - len(failures)} passed, {len(failures)} failed")
sys.exit(1 if failures else 0)
