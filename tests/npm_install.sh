#!/usr/bin/env bash
# Installs the Node test tooling (ws, @redocly/cli) into tests/node_modules from the lock file,
# only when node_modules is missing or older than package-lock.json. Quiet unless it fails.
set -euo pipefail
cd "$(dirname "$0")"

if [ -d node_modules ] && [ node_modules -nt package-lock.json ]; then
  exit 0
fi

log=$(mktemp)
trap 'rm -f "$log"' EXIT
if ! npm ci --no-audit --no-fund --loglevel=error >"$log" 2>&1; then
  echo "npm_install: 'npm ci' failed in $(pwd):" >&2
  cat "$log" >&2
  exit 1
fi
# npm ci leaves node_modules with the time it was created; mark it as fresh.
touch node_modules
