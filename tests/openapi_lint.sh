#!/usr/bin/env bash
# Lints the OpenAPI description the server generates: starts BINARY on a free port with a
# temporary data dir, saves /api/openapi.json, runs Redocly's linter on it (rules in
# tests/redocly.yaml), stops the server, and exits with the linter's code.
# Usage: tests/openapi_lint.sh path/to/backbeat   (needs tests/node_modules: tests/npm_install.sh)
set -uo pipefail

BIN=${1:?usage: openapi_lint.sh BINARY}
here=$(cd "$(dirname "$0")" && pwd)
[ -x "$BIN" ] || { echo "openapi_lint: $BIN is not an executable" >&2; exit 1; }
[ -x "$here/node_modules/.bin/redocly" ] || { echo "openapi_lint: run tests/npm_install.sh first" >&2; exit 1; }

tmp=$(mktemp -d "${TMPDIR:-/tmp}/backbeat-openapi.XXXXXX")
pid=""
cleanup() {
  if [ -n "$pid" ] && kill -0 "$pid" 2>/dev/null; then kill -KILL "$pid" 2>/dev/null; wait "$pid" 2>/dev/null; fi
  rm -rf "$tmp"
}
trap cleanup EXIT

"$BIN" serve --listen 127.0.0.1:0 --data-dir "$tmp/data" --log-format json --access-log false 2>"$tmp/server.log" &
pid=$!
port=""
for _ in $(seq 1 150); do
  port=$(grep -F '"listening"' "$tmp/server.log" 2>/dev/null | head -n 1 | jq -r '.fields.port // empty' 2>/dev/null)
  [ -n "$port" ] && break
  [ -d "/proc/$pid" ] && ! grep -q '^State:.*Z' "/proc/$pid/status" 2>/dev/null || break
  sleep 0.1
done
if [ -z "$port" ]; then
  echo "openapi_lint: the server did not start; its log:" >&2
  cat "$tmp/server.log" >&2
  exit 1
fi

spec="$tmp/openapi.json"
if ! curl -fsS --max-time 10 -o "$spec" "http://127.0.0.1:$port/api/openapi.json"; then
  echo "openapi_lint: GET /api/openapi.json failed" >&2
  exit 1
fi
kill -TERM "$pid"
wait "$pid"
pid=""

if ! jq -e '.openapi | startswith("3.1")' "$spec" >/dev/null; then
  echo "openapi_lint: /api/openapi.json is not OpenAPI 3.1 (openapi: $(jq -c .openapi "$spec" 2>/dev/null))" >&2
  exit 1
fi

# Pretty-printed, so that the linter's line:column points somewhere readable.
jq . "$spec" >"$tmp/openapi.pretty.json" && mv "$tmp/openapi.pretty.json" "$spec"

cd "$tmp"
# Redocly prints a boxed notice about Node 20 support; drop it, keep what is about the spec.
REDOCLY_TELEMETRY=off REDOCLY_SUPPRESS_UPDATE_NOTICE=true \
  npx --prefix "$here" --no-install redocly lint --config "$here/redocly.yaml" --format=stylish openapi.json 2>&1 \
  | grep -v -e '[║╔╚]' -e 'Unknown user config' | cat -s
rc=${PIPESTATUS[0]}
if [ "$rc" -eq 0 ]; then
  echo "openapi_lint: $(jq '.paths | length' "$spec") paths, no errors"
else
  mkdir -p "$here/out" && cp "$spec" "$here/out/openapi.json"
  echo "openapi_lint: the linter found errors (exit $rc); the spec it read (line numbers above) is in tests/out/openapi.json" >&2
fi
exit "$rc"
