#!/usr/bin/python3
"""Writes a valid workflows file of N workflows (default 1000), mixing every
integration and task type, to standard output."""
import sys

n = int(sys.argv[1]) if len(sys.argv) > 1 else 1000
print("version: 1")
print("defaults:\n  rack: acme/production\n  timeout: 30m")
print("workflows:")
for i in range(n):
    kind = i % 3
    print(f"  - name: workflow-{i}")
    if kind == 0:
        print(f"    trigger:\n      integration: github\n      repository: acme/app-{i}\n      branch: main")
    elif kind == 1:
        print(f"    trigger:\n      integration: gitlab\n      repository: acme/group/app-{i}\n"
              f"      branch: release/*\n      paths: [\"services/app-{i}/**\", docker-compose.yml]")
    else:
        print(f"    trigger:\n      integration: git\n      repository: https://git.acme.example/app-{i}.git\n"
              f"      branch: main")
    print("    concurrency: cancel-previous" if i % 2 else "    concurrency: queue")
    print("    tasks:")
    if kind == 2:
        print(f"      - type: script\n        name: test\n        command: make test\n"
              f"        env:\n          TARGET: app-{i}\n      - type: script\n        argv: [make, deploy]")
        continue
    print(f"      - type: build\n        app: app-{i}-staging\n        promote: true\n"
          f"        build_args:\n          VERSION: \"{i}\"\n"
          f"        health_check:\n          url: https://app-{i}.staging.acme.example/health\n          timeout: 5m")
    print(f"      - type: run\n        app: app-{i}-staging\n        service: web\n        command: bin/migrate")
    print(f"      - type: build\n        app: app-{i}\n        manifest: docker-compose.production.yml")
