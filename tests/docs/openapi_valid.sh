#!/usr/bin/env bash
# schema/http-api.openapi.yaml passes a real OpenAPI validator (npm's
# @apidevtools/swagger-cli, installed under the build directory from the
# machine's npm registry), and the validator does refuse a broken copy.
# usage: openapi_valid.sh SOURCE_DIR BUILD_DIR
set -u
src=$1 tools=$2/npm
cli=$tools/node_modules/.bin/swagger-cli
if [ ! -x "$cli" ]; then
  command -v npm >/dev/null || { echo "FAIL: npm is missing (scripts/install-deps.sh test installs it)"; exit 1; }
  npm install --prefix "$tools" --no-save --no-package-lock --no-audit --no-fund --silent \
    @apidevtools/swagger-cli@4.0.4 || { echo "FAIL: cannot install swagger-cli"; exit 1; }
fi
"$cli" validate "$src/schema/http-api.openapi.yaml" || { echo "FAIL: the OpenAPI file is invalid"; exit 1; }
# The bug this test was written for: an unquoted comma makes a flow map of two keys.
broken=$(mktemp --suffix=.yaml)
trap 'rm -f "$broken"' EXIT
sed 's/"202": {description: "accepted: polled, rechecked or ignored"}/"202": {description: accepted (polled, rechecked or ignored)}/' \
  "$src/schema/http-api.openapi.yaml" >"$broken"
cmp -s "$broken" "$src/schema/http-api.openapi.yaml" && { echo "FAIL: the negative control did not change the file"; exit 1; }
if "$cli" validate "$broken" >/dev/null 2>&1; then
  echo "FAIL: the validator accepted a broken file"
  exit 1
fi
echo "openapi_valid: 2 passed, 0 failed"
