#!/usr/bin/env bash
# Starts BINARY on a free port with a temporary data dir, waits for /healthz, runs smoke.sh
# against it, stops it with SIGTERM and checks that it exits 0.
# Usage: tests/run_smoke.sh path/to/backbeat
set -uo pipefail

BIN=${1:?usage: run_smoke.sh BINARY}
here=$(cd "$(dirname "$0")" && pwd)
[ -x "$BIN" ] || { echo "run_smoke: $BIN is not an executable" >&2; exit 1; }

tmp=$(mktemp -d "${TMPDIR:-/tmp}/backbeat-smoke.XXXXXX")
pid=""
cleanup() {
  if [ -n "$pid" ] && kill -0 "$pid" 2>/dev/null; then kill -KILL "$pid" 2>/dev/null; fi
  rm -rf "$tmp"
}
trap cleanup EXIT

# Port 0: the kernel picks a free port and the server logs it ({"msg":"listening",...}).
"$BIN" serve --listen 127.0.0.1:0 --data-dir "$tmp/data" \
  --log-format json --access-log false --auth-rate 0 2>"$tmp/server.log" &
pid=$!

port=""
for _ in $(seq 1 150); do
  port=$(grep -F '"listening"' "$tmp/server.log" 2>/dev/null | head -n 1 | jq -r '.fields.port // empty' 2>/dev/null)
  [ -n "$port" ] && break
  [ -d "/proc/$pid" ] && ! grep -q '^State:.*Z' "/proc/$pid/status" 2>/dev/null || break
  sleep 0.1
done
if [ -z "$port" ]; then
  echo "run_smoke: the server did not log \"listening\" within 15 s; its log:" >&2
  cat "$tmp/server.log" >&2
  exit 1
fi
base="http://127.0.0.1:$port"
if ! curl -fsS -o /dev/null --max-time 5 "$base/healthz"; then
  echo "run_smoke: $base/healthz does not answer 200; server log:" >&2
  cat "$tmp/server.log" >&2
  exit 1
fi

"$here/smoke.sh" "$base"
rc=$?

kill -TERM "$pid"
# A watchdog: if the server has not exited 15 s after SIGTERM, kill it and say so.
( sleep 15; kill -KILL "$pid" 2>/dev/null && touch "$tmp/timed-out" ) >/dev/null 2>&1 &
watchdog=$!
wait "$pid"
code=$?
kill "$watchdog" 2>/dev/null
wait "$watchdog" 2>/dev/null
if [ -e "$tmp/timed-out" ]; then
  echo "run_smoke: the server did not exit within 15 s of SIGTERM" >&2
  pid=""
  exit 1
fi
pid=""
if [ "$code" -ne 0 ]; then
  echo "run_smoke: the server exited $code after SIGTERM (want 0); its log:" >&2
  tail -n 20 "$tmp/server.log" >&2
  exit 1
fi
if [ "$rc" -ne 0 ]; then
  echo "run_smoke: smoke.sh failed; server log tail:" >&2
  tail -n 20 "$tmp/server.log" >&2
  exit "$rc"
fi
echo "run_smoke: passed; server exited 0 on SIGTERM"
