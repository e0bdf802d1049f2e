#!/usr/bin/env bash
# Completed purchases per second with the test provider at 64 connections, durable (each answer
# follows an fsync that covers its group commit), beside the FastAPI peer's POST-purchase in the
# same run, each alone on the machine; then the same purchases with catalogue reads at a steady
# ~2,000/s beside them, for the catalogue's read p99 while the store sells.
# Usage: bench/purchases.sh   env: BACKBEAT_BIN, BENCH_DURATION (s, default 10), BENCH_BEATS (default 100000)
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
BIN=${BACKBEAT_BIN:-$root/build/backbeat}
# shellcheck source=bench/lib.sh
source "$root/bench/lib.sh"
DURATION=${BENCH_DURATION:-10}
export BENCH_BEATS=${BENCH_BEATS:-100000}
for tool in wrk curl jq sqlite3; do
  command -v "$tool" >/dev/null || { echo "bench: $tool is required (scripts/setup.sh bench)" >&2; exit 1; }
done
tmp=$(mktemp -d "${TMPDIR:-/tmp}/backbeat-bench.XXXXXX")
pids=()
cleanup() {
  for p in "${pids[@]}"; do kill -TERM "$p" 2>/dev/null || true; done
  wait 2>/dev/null || true
  rm -rf "$tmp"
}
trap cleanup EXIT

data="$tmp/data"
seed_catalogue "$data" "$BENCH_BEATS"
port=$(free_port)
"$BIN" serve --listen "127.0.0.1:$port" --data-dir "$data" --access-log false --log-level warn --auth-rate 0 &
pids+=($!)
wait_http "http://127.0.0.1:$port/healthz" || { echo "bench: server did not start" >&2; exit 1; }
base="http://127.0.0.1:$port"
tokens=""
for i in 1 2 3 4; do
  t=$(curl -fsS -X POST "$base/api/users/signup" -d "{\"username\":\"buyer$i\",\"email\":\"b$i@example.test\",\"password\":\"bench-password\"}" | jq -r .token)
  tokens="${tokens:+$tokens,}$t"
done
export BUYER_TOKENS=$tokens

declare -a rows
declare -A rps_of
record() {  # name conns wrk-output
  local rps p50 p99 non2xx
  rps=$(awk '/^Requests\/sec:/ {printf "%.0f", $2}' <<<"$3")
  p50=$(awk '$1 == "50%" {print $2}' <<<"$3")
  p99=$(awk '$1 == "99%" {print $2}' <<<"$3")
  non2xx=$(awk '/Non-2xx or 3xx responses:/ {print $NF}' <<<"$3")
  [ -n "$non2xx" ] && echo "bench: warning: $1 had $non2xx non-2xx answers" >&2
  rows+=("$(printf '%-46s %5s %9s %9s %9s' "$1" "$2" "$rps" "$(to_ms "$p50")" "$(to_ms "$p99")")")
  rps_of[$1]=$rps
}

before=$(sqlite3 "$data/backbeat.db" "SELECT COUNT(*) FROM purchases_purchases WHERE status = 'completed'")
# The rate, under the same conditions as the peer's: purchases alone.
echo "bench: POST /api/purchases (64 connections)" >&2
record "backbeat POST /api/purchases (test provider)" 64 \
  "$(wrk -t2 -c64 -d"${DURATION}s" --latency -s "$root/bench/lua/purchase.lua" "$base")"
# Then the store while it sells: catalogue reads at a steady ~2,000/s beside the same purchases.
READ_DELAY_MS=4 wrk -t1 -c8 -d"${DURATION}s" --latency -s "$root/bench/lua/beat_ids.lua" "$base" > "$tmp/reads.out" &
reads=$!
echo "bench: POST /api/purchases (64 connections) with catalogue reads beside it" >&2
out=$(PURCHASE_OFFSET=$((BENCH_BEATS / 4)) wrk -t2 -c64 -d"${DURATION}s" --latency -s "$root/bench/lua/purchase.lua" "$base")
wait "$reads"
record "backbeat POST /api/purchases, reads beside" 64 "$out"
record "backbeat GET /api/beats/{id} during purchases" 8 "$(cat "$tmp/reads.out")"
after=$(sqlite3 "$data/backbeat.db" "SELECT COUNT(*) FROM purchases_purchases WHERE status = 'completed'")
metrics=$(curl -fsS "$base/metrics")
commits=$(awk '/^backbeat_purchases_total\{status="completed"\}/ {print $2}' <<<"$metrics")
db_commits=$(awk '/^backbeat_db_commits / {print $2}' <<<"$metrics")
db_syncs=$(awk '/^backbeat_db_syncs / {print $2}' <<<"$metrics")

if /usr/bin/python3 -c 'import fastapi, uvicorn' 2>/dev/null; then
  fport=$(free_port)
  PEER_DB="$tmp/peer.db" /usr/bin/python3 "$root/bench/peers/fastapi_peer.py"
  (cd "$root/bench/peers" && PEER_DB="$tmp/peer.db" exec /usr/bin/python3 -m uvicorn fastapi_peer:app --host 127.0.0.1 \
    --port "$fport" --workers 2 --log-level warning --no-access-log) &
  pids+=($!)
  if wait_http "http://127.0.0.1:$fport/healthz"; then
    echo "bench: fastapi POST-purchase" >&2
    record "fastapi POST-purchase (peer)" 64 "$(wrk -t2 -c64 -d"${DURATION}s" --latency -s "$root/bench/lua/peer_purchase.lua" "http://127.0.0.1:$fport")"
  fi
fi

echo
echo "backbeat $("$BIN" --version | awk '{print $2}'), wrk -d${DURATION}s, $(nproc) cores, every answer after an fsync of its commit"
printf '%-46s %5s %9s %9s %9s\n' endpoint conns req/s "p50 ms" "p99 ms"
printf '%s\n' "${rows[@]}"
echo "completed purchases in the database: $((after - before)) (counter: ${commits:-?}; group commits since start: ${db_commits:-?}; WAL fsyncs: ${db_syncs:-?})"
a=${rps_of["backbeat POST /api/purchases (test provider)"]:-}
b=${rps_of["fastapi POST-purchase (peer)"]:-}
[ -n "$a" ] && [ -n "$b" ] && awk -v a="$a" -v b="$b" 'BEGIN { printf "purchases/s: backbeat / fastapi = %.2fx\n", a / b }'
exit 0
