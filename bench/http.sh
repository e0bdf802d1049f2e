#!/usr/bin/env bash
# HTTP throughput and latency of the release binary, measured with wrk on this machine.
# Starts a fresh build/backbeat (access log off, temporary data dir, port chosen by the kernel),
# creates one user, then runs `wrk -t2 -c64 -d${BENCH_DURATION}s --latency` against
#   GET /healthz              (the HTTP stack alone)
#   GET /api/users/{user_id}  (routing + a database read)
# and prints: endpoint, req/s, p50, p99.
# Usage: bench/http.sh            env: BACKBEAT_BIN (default build/backbeat), BENCH_DURATION (s, default 10)
set -euo pipefail

root=$(cd "$(dirname "$0")/.." && pwd)
BIN=${BACKBEAT_BIN:-$root/build/backbeat}
DURATION=${BENCH_DURATION:-10}
for tool in wrk curl jq; do
  command -v "$tool" >/dev/null || { echo "bench: $tool is required (scripts/setup.sh test installs it)" >&2; exit 1; }
done
[ -x "$BIN" ] || { echo "bench: $BIN not found; build it first (make build)" >&2; exit 1; }

tmp=$(mktemp -d "${TMPDIR:-/tmp}/backbeat-bench.XXXXXX")
pid=""
cleanup() {
  if [ -n "$pid" ] && kill -0 "$pid" 2>/dev/null; then kill -TERM "$pid" 2>/dev/null; wait "$pid" 2>/dev/null || true; fi
  rm -rf "$tmp"
}
trap cleanup EXIT

"$BIN" serve --listen 127.0.0.1:0 --data-dir "$tmp/data" --log-format json --access-log false 2>"$tmp/server.log" &
pid=$!
port=""
for _ in $(seq 1 150); do
  port=$(grep -F '"listening"' "$tmp/server.log" 2>/dev/null | head -n 1 | jq -r '.fields.port // empty' 2>/dev/null || true)
  [ -n "$port" ] && break
  kill -0 "$pid" 2>/dev/null || break
  sleep 0.1
done
if [ -z "$port" ]; then
  echo "bench: the server did not start; its log:" >&2
  cat "$tmp/server.log" >&2
  exit 1
fi
base="http://127.0.0.1:$port"

user_id=$(curl -fsS -X POST "$base/api/users/signup" -H 'Content-Type: application/json' \
  -d '{"username":"bench_user","email":"bench@example.test","password":"bench-password"}' | jq -r .user.user_id)
[ -n "$user_id" ] && [ "$user_id" != null ] || { echo "bench: signup failed" >&2; exit 1; }

# wrk prints latency with units (us, ms, s); convert to milliseconds.
to_ms() {
  awk -v v="$1" 'BEGIN {
    n = v + 0; u = v; sub(/^[0-9.]+/, "", u)
    if (u == "us") n /= 1000; else if (u == "s") n *= 1000; else if (u == "m") n *= 60000
    printf "%.2f", n }'
}

declare -a rows
run() {
  local name=$1 path=$2 out
  echo "bench: wrk -t2 -c64 -d${DURATION}s --latency $path" >&2
  out=$(wrk -t2 -c64 -d"${DURATION}s" --latency "$base$path")
  local rps p50 p99 non2xx errors
  rps=$(awk '/^Requests\/sec:/ {printf "%.0f", $2}' <<<"$out")
  p50=$(awk '$1 == "50%" {print $2}' <<<"$out")
  p99=$(awk '$1 == "99%" {print $2}' <<<"$out")
  non2xx=$(awk '/Non-2xx or 3xx responses:/ {print $NF}' <<<"$out")
  errors=$(awk '/Socket errors:/ {print}' <<<"$out")
  [ -n "$non2xx" ] && echo "bench: warning: $name had $non2xx non-2xx answers" >&2
  [ -n "$errors" ] && echo "bench: warning: $name: $errors" >&2
  rows+=("$(printf '%-28s %10s %10s %10s' "$name" "$rps" "$(to_ms "$p50")" "$(to_ms "$p99")")")
}

run "GET /healthz" /healthz
run "GET /api/users/{user_id}" "/api/users/$user_id"

kill -TERM "$pid"
wait "$pid" && code=0 || code=$?
pid=""

echo
echo "backbeat $("$BIN" --version | awk '{print $2}'), wrk -t2 -c64 -d${DURATION}s, $(nproc) cores"
printf '%-28s %10s %10s %10s\n' endpoint req/s "p50 ms" "p99 ms"
printf '%s\n' "${rows[@]}"
[ "$code" -eq 0 ] || { echo "bench: the server exited $code on SIGTERM" >&2; exit 1; }
