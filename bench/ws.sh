#!/usr/bin/env bash
# WebSocket cost and fan-out of the release binary, beside a minimal Node `ws` room server
# (bench/peers/ws_peer.mjs) in the same run, both on 127.0.0.1 with the same load client:
# bench/ws/load (C++, plain epoll, one process: BENCH_WS_THREADS receiving threads and a sending
# one; the target ws_load, outside `all`, built here). Its own CPU is reported beside the
# server's, so a reader can tell when the client is the limit.
# Starts a fresh build/backbeat (--access-log false, --ws-rate 0, --max-connections 20000, a
# temporary data dir, a port chosen by the kernel), signs up one user, opens two genre rooms, then
# the client measures (and afterwards the same against the peer):
#   idle     BENCH_WS_CONNS (10,000) connections to GET /api/forums/connect?roomId=&token=, held
#            open; the server's VmRSS before and after gives KiB per idle connection.
#   fan-out  a room of BENCH_WS_ROOM (1,000) members, one of them the sender (its own thread):
#            flooded for BENCH_WS_DURATION s (as fast as the server takes them, at most 200 in
#            flight, counted by the sender's own echoes), then paced at 50 messages/s for as long.
#            Each message is {"message": "@@<send time, us, CLOCK_MONOTONIC>@<seq> bench"}; every
#            member stamps its receipt, so latency is send -> receipt over all members. Delivered/s
#            is deliveries (summed over members) over first send -> last receipt. Server CPU per
#            delivered message is utime+stime from /proc/<pid>/stat over the run and its drain.
#            Paced also gives, per message, send -> its first member and first -> last member
#            (how long the server takes to get a message out, and its fan-out).
# Prints both tables and Backbeat's ratios to the peer. Bounded: the client has a watchdog, every
# process started here is stopped on exit. Backbeat stores each room message in SQLite and checks
# a token per connection; the peer does neither (it is the floor of what a room server costs).
# Usage: bench/ws.sh     env: BACKBEAT_BIN (default build/backbeat), BENCH_WS_CONNS (10000),
#        BENCH_WS_THREADS (2), BENCH_WS_ROOM (1000), BENCH_WS_DURATION (s, 10), BENCH_WS_WINDOW (200),
#        BENCH_WS_RATE (50), BENCH_WS_BUILD (build dir for the client, default build)
# Needs cmake (a configured build dir: make build), node >= 20 with the `ws` package of tests/ (for
# the peer; cd tests && npm ci), curl, jq.
set -euo pipefail

root=$(cd "$(dirname "$0")/.." && pwd)
BIN=${BACKBEAT_BIN:-$root/build/backbeat}
# shellcheck source=bench/lib.sh
source "$root/bench/lib.sh"
CONNS=${BENCH_WS_CONNS:-10000}
THREADS=${BENCH_WS_THREADS:-2}
ROOM=${BENCH_WS_ROOM:-1000}
DURATION=${BENCH_WS_DURATION:-10}
WINDOW=${BENCH_WS_WINDOW:-200}
RATE=${BENCH_WS_RATE:-50}
for tool in node curl jq timeout cmake; do
  command -v "$tool" >/dev/null || { echo "bench: $tool is required" >&2; exit 1; }
done
[ -x "$BIN" ] || { echo "bench: $BIN not found; build it first (make build)" >&2; exit 1; }
node_major=$(node -p 'process.versions.node.split(".")[0]')
[ "$node_major" -ge 20 ] || { echo "bench: node >= 20 is required (found $(node --version))" >&2; exit 1; }
ws_version=$(cd "$root/tests" && node -p 'require("ws/package.json").version' 2>/dev/null) ||
  { echo "bench: the ws package is missing from tests/node_modules (cd tests && npm ci)" >&2; exit 1; }

BUILD=${BENCH_WS_BUILD:-$root/build}
[ -f "$BUILD/build.ninja" ] || [ -f "$BUILD/Makefile" ] || { echo "bench: $BUILD is not configured; run make build first" >&2; exit 1; }
cmake --build "$BUILD" --target ws_load >/dev/null || { echo "bench: building the load client failed" >&2; exit 1; }
CLIENT=$BUILD/ws_load

# Every connection is a file descriptor in the server and in a client.
ulimit -n 65536 2>/dev/null || ulimit -n "$(ulimit -Hn)" 2>/dev/null || true
nofile=$(ulimit -n)
if [ "$nofile" != unlimited ] && [ "$nofile" -lt $((CONNS + 1024)) ]; then
  echo "bench: warning: ulimit -n is $nofile (could not raise it to 65536); $CONNS connections may not fit" >&2
fi

tmp=$(mktemp -d "${TMPDIR:-/tmp}/backbeat-ws-bench.XXXXXX")
pid=""
peer_pid=""
cleanup() {
  if [ -n "$pid" ] && kill -0 "$pid" 2>/dev/null; then kill -TERM "$pid" 2>/dev/null; wait "$pid" 2>/dev/null || true; fi
  if [ -n "$peer_pid" ] && kill -0 "$peer_pid" 2>/dev/null; then kill -TERM "$peer_pid" 2>/dev/null; wait "$peer_pid" 2>/dev/null || true; fi
  rm -rf "$tmp"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

load_before=$(cut -d' ' -f1-3 /proc/loadavg)

drive() {  # name pid idle-url room-url -> $tmp/<name>.json
  local name=$1
  # The client stops itself after 150 s; timeout is the backstop.
  if ! timeout -k 5 170 "$CLIENT" --name "$name" --pid "$2" --idle-url "$3" --room-url "$4" \
      --conns "$CONNS" --threads "$THREADS" --room "$ROOM" --duration "$DURATION" --window "$WINDOW" --rate "$RATE" \
      --timeout 150 >"$tmp/$name.json"; then
    echo "bench: the $name run failed" >&2
    rm -f "$tmp/$name.json"
  fi
}

# --- Backbeat ---
start_backbeat "$tmp" --ws-rate 0 --max-connections 20000
token=$(curl -fsS -X POST "$base/api/users/signup" -H 'Content-Type: application/json' \
  -d '{"username":"bench_ws","email":"bench-ws@example.test","password":"bench-password"}' | jq -r .token)
[ -n "$token" ] && [ "$token" != null ] || { echo "bench: signup failed" >&2; exit 1; }
new_room() {
  curl -fsS -X POST "$base/api/forums/rooms" -H "Authorization: Bearer $token" -H 'Content-Type: application/json' \
    -d "{\"room_type\":\"genre\",\"genre\":\"trap\",\"name\":\"$1\"}" | jq -r .room_id
}
idle_room=$(new_room "bench idle")
fan_room=$(new_room "bench fan-out")
[ -n "$idle_room" ] && [ "$idle_room" != null ] && [ -n "$fan_room" ] && [ "$fan_room" != null ] ||
  { echo "bench: creating the rooms failed" >&2; exit 1; }
ws_base="ws://${base#http://}/api/forums/connect"  # base is set by start_backbeat
drive backbeat "$pid" "$ws_base?roomId=$idle_room&token=$token" "$ws_base?roomId=$fan_room&token=$token"

kill -TERM "$pid"
wait "$pid" && code=0 || code=$?
pid=""

# --- the peer: Node ws ---
PORT=0 node "$root/bench/peers/ws_peer.mjs" >"$tmp/peer.out" 2>"$tmp/peer.log" &
peer_pid=$!
pport=""
for _ in $(seq 1 100); do
  pport=$(jq -r '.listening // empty' "$tmp/peer.out" 2>/dev/null | head -n 1 || true)
  [ -n "$pport" ] && break
  kill -0 "$peer_pid" 2>/dev/null || break
  sleep 0.1
done
if [ -n "$pport" ]; then
  peer_base="ws://127.0.0.1:$pport/api/forums/connect"
  drive node "$peer_pid" "$peer_base?roomId=idle" "$peer_base?roomId=fanout"
else
  echo "bench: the ws peer did not start; its log:" >&2
  cat "$tmp/peer.log" >&2
fi
kill -TERM "$peer_pid" 2>/dev/null || true
wait "$peer_pid" 2>/dev/null || true
peer_pid=""

# --- report ---
label() { [ "$1" = backbeat ] && echo backbeat || echo "node ws (peer)"; }
echo
echo "backbeat $("$BIN" --version | awk '{print $2}'), node $(node --version), ws $ws_version, $(nproc) cores," \
  "load average before $load_before, after $(cut -d' ' -f1-3 /proc/loadavg)"
echo
echo "idle connections: $CONNS from one client process ($THREADS threads), held open"
printf '%-22s %8s %8s %12s %12s %10s %10s %12s %12s\n' server opened failed "RSS0 MiB" "RSS1 MiB" KiB/conn \
  "connect s" "server CPU s" "client CPU s"
for name in backbeat node; do
  [ -f "$tmp/$name.json" ] || continue
  jq -r --arg l "$(label $name)" '.idle | [$l, .opened, .failed, (.rss_before_kib / 1024), (.rss_after_kib / 1024),
      .kib_per_conn, .connect_s, .server_cpu_s, .client_cpu_s] | @tsv' "$tmp/$name.json" |
    awk -F'\t' '{ printf "%-22s %8d %8d %12.1f %12.1f %10.2f %10.2f %12.2f %12.2f\n", $1, $2, $3, $4, $5, $6, $7, $8, $9 }'
done
echo
echo "fan-out: a room of $ROOM members (the sender is one), flood = ${DURATION}s with <= $WINDOW in flight," \
  "paced = $RATE msg/s for ${DURATION}s"
printf '%-28s %7s %10s %8s %12s %9s %9s %14s %12s\n' "server, mode" sent delivered "span s" delivered/s "p50 ms" \
  "p99 ms" "srv CPU us/msg" "client CPU s"
for name in backbeat node; do
  [ -f "$tmp/$name.json" ] || continue
  for mode in flood paced; do
    jq -r --arg l "$(label $name) $mode" --arg m "$mode" '.[$m] | [$l, .sent, .delivered, .span_s, .delivered_per_s,
        (.p50_ms // 0), (.p99_ms // 0), (.server_cpu_us_per_msg // 0), .client_cpu_s] | @tsv' "$tmp/$name.json" |
      awk -F'\t' '{ printf "%-28s %7d %10d %8.2f %12.0f %9.2f %9.2f %14.2f %12.2f\n", $1, $2, $3, $4, $5, $6, $7, $8, $9 }'
  done
done
echo "(span: first send to last receipt, drain included; delivered/s = delivered / span, summed over members)"
echo
echo "paced, per message: send -> its first member, send -> its last member, first -> last member (ms)"
printf '%-22s %9s %9s %9s %9s %9s %9s\n' server "first p50" "first p99" "last p50" "last p99" "fan p50" "fan p99"
for name in backbeat node; do
  [ -f "$tmp/$name.json" ] || continue
  jq -r --arg l "$(label $name)" '.paced | [$l, .first_p50_ms, .first_p99_ms, .last_p50_ms, .last_p99_ms,
      .spread_p50_ms, .spread_p99_ms] | @tsv' "$tmp/$name.json" |
    awk -F'\t' '{ printf "%-22s %9.2f %9.2f %9.2f %9.2f %9.2f %9.2f\n", $1, $2, $3, $4, $5, $6, $7 }'
done
# What one message costs the machine: server and client CPU per delivery, times the members, over
# the cores. The fan-out (first -> last member) cannot be shorter while both share these cores.
echo
echo "paced, the CPU floor of one message's fan-out: (server + client CPU per delivery) x members / $(nproc) cores"
for name in backbeat node; do
  [ -f "$tmp/$name.json" ] || continue
  jq -r --arg l "$(label $name)" --argjson members "$((ROOM - 1))" --argjson cores "$(nproc)" '.paced |
      (.server_cpu_us_per_msg // 0) as $s | (.client_cpu_s * 1e6 / .delivered) as $c |
      "\($l): (\($s * 100 | round / 100) + \($c * 100 | round / 100)) us x \($members) / \($cores) = \(($s + $c) * $members / $cores / 1000 * 100 | round / 100) ms; measured fan p50 \(.spread_p50_ms) ms"' \
    "$tmp/$name.json"
done
ratio() {  # jq-path title: backbeat's value over the peer's
  [ -f "$tmp/backbeat.json" ] && [ -f "$tmp/node.json" ] || return 0
  local a b
  a=$(jq -r "$1 // empty" "$tmp/backbeat.json")
  b=$(jq -r "$1 // empty" "$tmp/node.json")
  [ -n "$a" ] && [ -n "$b" ] && awk -v a="$a" -v b="$b" -v t="$2" 'BEGIN { if (b != 0) printf "%-60s %.2fx\n", t, a / b }'
  return 0
}
echo
ratio .flood.delivered_per_s "backbeat / node delivered msgs/s, flood"
ratio .paced.delivered_per_s "backbeat / node delivered msgs/s, paced"
ratio .idle.kib_per_conn "backbeat / node memory per idle connection"
ratio .flood.server_cpu_us_per_msg "backbeat / node server CPU per delivered message, flood"
for name in backbeat node; do
  [ -f "$tmp/$name.json" ] || continue
  jq -r --arg n "$name" '
    (if .idle.failed > 0 then "bench: warning: \($n): \(.idle.failed) idle connections failed: \(.idle.errors)" else empty end),
    (if .idle.still_open < .idle.opened then "bench: warning: \($n): only \(.idle.still_open) of \(.idle.opened) idle connections were still open" else empty end),
    (.paced | select(.delivered_per_s < 0.9 * .offered_per_s) | "bench: note: \($n) paced: \(.offered_per_s) deliveries/s were offered, \(.delivered_per_s | floor) made it: this machine (server and clients together) could not keep up, so its latencies are queueing"),
    (.flood, .paced | select(.delivered < .expected) | "bench: warning: \($n) \(.mode): \(.expected - .delivered) of \(.expected) deliveries missing (closed by the server: \(.closed_by_server))")' \
    "$tmp/$name.json" >&2
done
[ "$code" -eq 0 ] || { echo "bench: the server exited $code on SIGTERM" >&2; exit 1; }
