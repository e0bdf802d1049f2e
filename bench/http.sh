#!/usr/bin/env bash
# HTTP throughput and latency of the release binary, measured with wrk on this machine.
# Starts a fresh build/backbeat (access log off, temporary data dir, port chosen by the kernel),
# creates one user, then runs `wrk -t2 -c64 -d${BENCH_DURATION}s --latency` against
#   GET /healthz              (the HTTP stack alone)
#   GET /api/users/{user_id}  (routing + a database read)
# and, in the same run, the peers the seeds' stacks would be (bench/peers/): nginx answering a
# fixed /healthz, and a FastAPI + uvicorn app (2 workers, uvloop) serving GET-beat-by-id from
# SQLite. Prints: endpoint, req/s, p50, p99, then Backbeat's ratios to the peers.
# Usage: bench/http.sh            env: BACKBEAT_BIN (default build/backbeat), BENCH_DURATION (s, default 10)
# Peers need: scripts/setup.sh bench (nginx, python3-fastapi, python3-uvicorn, python3-uvloop, python3-httptools).
set -euo pipefail

root=$(cd "$(dirname "$0")/.." && pwd)
BIN=${BACKBEAT_BIN:-$root/build/backbeat}
# shellcheck source=bench/lib.sh
source "$root/bench/lib.sh"
DURATION=${BENCH_DURATION:-10}
for tool in wrk curl jq; do
  command -v "$tool" >/dev/null || { echo "bench: $tool is required (scripts/setup.sh test installs it)" >&2; exit 1; }
done
[ -x "$BIN" ] || { echo "bench: $BIN not found; build it first (make build)" >&2; exit 1; }

tmp=$(mktemp -d "${TMPDIR:-/tmp}/backbeat-bench.XXXXXX")
pid=""
peer_pids=()
cleanup() {
  if [ -n "$pid" ] && kill -0 "$pid" 2>/dev/null; then kill -TERM "$pid" 2>/dev/null; wait "$pid" 2>/dev/null || true; fi
  for p in "${peer_pids[@]}"; do kill -TERM "$p" 2>/dev/null || true; done
  [ -f "$tmp/nginx.pid" ] && kill -TERM "$(cat "$tmp/nginx.pid")" 2>/dev/null || true
  rm -rf "$tmp"
}
trap cleanup EXIT

start_backbeat "$tmp"

user_id=$(curl -fsS -X POST "$base/api/users/signup" -H 'Content-Type: application/json' \
  -d '{"username":"bench_user","email":"bench@example.test","password":"bench-password"}' | jq -r .user.user_id)
[ -n "$user_id" ] && [ "$user_id" != null ] || { echo "bench: signup failed" >&2; exit 1; }

declare -a rows
declare -A rps_of
run() {
  local name=$1 path=$2 out
  local url=$path
  [[ $url == http* ]] || url=$base$path
  echo "bench: wrk -t2 -c64 -d${DURATION}s --latency $path" >&2
  out=$(wrk -t2 -c64 -d"${DURATION}s" --latency "$url")
  local rps p50 p99 non2xx errors
  rps=$(awk '/^Requests\/sec:/ {printf "%.0f", $2}' <<<"$out")
  p50=$(awk '$1 == "50%" {print $2}' <<<"$out")
  p99=$(awk '$1 == "99%" {print $2}' <<<"$out")
  non2xx=$(awk '/Non-2xx or 3xx responses:/ {print $NF}' <<<"$out")
  errors=$(awk '/Socket errors:/ {print}' <<<"$out")
  [ -n "$non2xx" ] && echo "bench: warning: $name had $non2xx non-2xx answers" >&2
  [ -n "$errors" ] && echo "bench: warning: $name: $errors" >&2
  rows+=("$(printf '%-36s %10s %10s %10s' "$name" "$rps" "$(to_ms "$p50")" "$(to_ms "$p99")")")
  rps_of[$name]=$rps
}

run "GET /healthz" /healthz
run "GET /api/users/{user_id}" "/api/users/$user_id"

kill -TERM "$pid"
wait "$pid" && code=0 || code=$?
pid=""

# Peers, one after another on the same machine in the same run.
if command -v nginx >/dev/null; then
  nport=$(free_port)
  sed -e "s|@PORT@|$nport|" -e "s|@TMP@|$tmp|" "$root/bench/peers/nginx.conf" > "$tmp/nginx.conf"
  nginx -c "$tmp/nginx.conf" -p "$tmp" 2>/dev/null
  if wait_http "http://127.0.0.1:$nport/healthz"; then
    run "nginx: GET /healthz (peer)" "http://127.0.0.1:$nport/healthz"
  fi
  kill -TERM "$(cat "$tmp/nginx.pid")" 2>/dev/null || true
  rm -f "$tmp/nginx.pid"
else
  echo "bench: nginx not installed; skipping that peer (scripts/setup.sh bench)" >&2
fi
if /usr/bin/python3 -c 'import fastapi, uvicorn' 2>/dev/null; then
  fport=$(free_port)
  PEER_DB="$tmp/peer.db" /usr/bin/python3 "$root/bench/peers/fastapi_peer.py"
  (cd "$root/bench/peers" && PEER_DB="$tmp/peer.db" exec /usr/bin/python3 -m uvicorn fastapi_peer:app --host 127.0.0.1 \
    --port "$fport" --workers 2 --log-level warning --no-access-log) &
  peer_pids+=($!)
  if wait_http "http://127.0.0.1:$fport/api/beats/beat-42"; then
    run "fastapi: GET-beat-by-id (peer)" "http://127.0.0.1:$fport/api/beats/beat-42"
  fi
  kill -TERM "${peer_pids[@]}" 2>/dev/null || true
  wait "${peer_pids[@]}" 2>/dev/null || true
  peer_pids=()
else
  echo "bench: python3-fastapi/uvicorn not installed; skipping that peer (scripts/setup.sh bench)" >&2
fi

echo
echo "backbeat $("$BIN" --version | awk '{print $2}'), wrk -t2 -c64 -d${DURATION}s, $(nproc) cores"
printf '%-36s %10s %10s %10s\n' endpoint req/s "p50 ms" "p99 ms"
printf '%s\n' "${rows[@]}"
ratio() {
  local a=${rps_of[$1]:-} b=${rps_of[$2]:-}
  [ -n "$a" ] && [ -n "$b" ] && awk -v a="$a" -v b="$b" -v t="$3" 'BEGIN { printf "%-60s %.2fx\n", t, a / b }'
  return 0
}
echo
ratio "GET /healthz" "nginx: GET /healthz (peer)" "backbeat /healthz vs nginx /healthz"
ratio "GET /healthz" "fastapi: GET-beat-by-id (peer)" "backbeat /healthz vs fastapi GET-beat-by-id"
ratio "GET /api/users/{user_id}" "fastapi: GET-beat-by-id (peer)" "backbeat GET /api/users/{id} vs fastapi GET-beat-by-id"
[ "$code" -eq 0 ] || { echo "bench: the server exited $code on SIGTERM" >&2; exit 1; }
