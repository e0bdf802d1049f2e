#!/usr/bin/env bash
# Catalogue benchmarks, each beside its peer in the same run (bench/peers/):
#   GET /api/beats/{id}                 vs FastAPI GET-beat-by-id          (64 connections)
#   GET /api/beats?q= over N beats      vs FastAPI GET-search-q (10,000)   (16 connections): its one
#                                       query (q=dreams), and the same query mixes as backbeat's
#   64 KiB Range requests of a 5 MiB MP3 preview vs nginx serving the same file (64 connections)
#   the catalogue's p99 while uploads are processed
# Usage: bench/beats.sh   env: BACKBEAT_BIN, BENCH_DURATION (s, default 10), BENCH_BEATS (default 100000)
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
BIN=${BACKBEAT_BIN:-$root/build/backbeat}
# shellcheck source=bench/lib.sh
source "$root/bench/lib.sh"
DURATION=${BENCH_DURATION:-10}
BEATS=${BENCH_BEATS:-100000}
for tool in wrk curl jq sqlite3 ffmpeg; do
  command -v "$tool" >/dev/null || { echo "bench: $tool is required (scripts/setup.sh bench)" >&2; exit 1; }
done
tmp=$(mktemp -d "${TMPDIR:-/tmp}/backbeat-bench.XXXXXX")
chmod 755 "$tmp"  # nginx workers (www-data) read the preview from here
pids=()
cleanup() {
  for p in "${pids[@]}"; do kill -TERM "$p" 2>/dev/null || true; done
  [ -f "$tmp/nginx.pid" ] && kill -TERM "$(cat "$tmp/nginx.pid")" 2>/dev/null || true
  wait 2>/dev/null || true
  rm -rf "$tmp"
}
trap cleanup EXIT

data="$tmp/data"
seed_catalogue "$data" "$BEATS"
mkdir -p "$data/media/previews"
ffmpeg -loglevel error -f lavfi -i "sine=f=220:d=330" -f lavfi -i "anoisesrc=d=330:a=0.05" -filter_complex amix=inputs=2 \
  -ac 2 -ar 44100 -b:a 128k "$data/media/previews/bench-stream.mp3"
size=$(stat -c %s "$data/media/previews/bench-stream.mp3")

port=$(free_port)
"$BIN" serve --listen "127.0.0.1:$port" --data-dir "$data" --access-log false --log-level warn &
pids+=($!)
wait_http "http://127.0.0.1:$port/healthz" || { echo "bench: server did not start" >&2; exit 1; }
base="http://127.0.0.1:$port"

declare -a rows
declare -A rps_of
run() {  # name connections url [lua]
  local name=$1 conns=$2 url=$3 script=${4:-} out
  echo "bench: $name" >&2
  if [ -n "$script" ]; then
    out=$(wrk -t2 -c"$conns" -d"${DURATION}s" --latency -s "$script" "$url")
  else
    out=$(wrk -t2 -c"$conns" -d"${DURATION}s" --latency "$url")
  fi
  local rps p50 p99 mbs non2xx
  rps=$(awk '/^Requests\/sec:/ {printf "%.0f", $2}' <<<"$out")
  p50=$(awk '$1 == "50%" {print $2}' <<<"$out")
  p99=$(awk '$1 == "99%" {print $2}' <<<"$out")
  mbs=$(awk '/^Transfer\/sec:/ {v = $2; if (v ~ /GB/) v *= 1024; else if (v ~ /KB/) v /= 1024; printf "%.1f", v}' <<<"$out")
  non2xx=$(awk '/Non-2xx or 3xx responses:/ {print $NF}' <<<"$out")
  [ -n "$non2xx" ] && echo "bench: warning: $name had $non2xx non-2xx answers" >&2
  rows+=("$(printf '%-44s %5s %10s %9s %9s %9s' "$name" "$conns" "$rps" "$(to_ms "$p50")" "$(to_ms "$p99")" "$mbs")")
  rps_of[$name]=$rps
}

run "backbeat GET /api/beats/{id}" 64 "$base" "$root/bench/lua/beat_ids.lua"
# Steady state: the first answer to each query is computed once (30-70 ms for broad words) and then
# served from the cache; a short warm-up keeps those first computations out of the measured run.
wrk -t2 -c16 -d2s -s "$root/bench/lua/search.lua" "$base" > /dev/null
run "backbeat GET /api/beats?q= ($BEATS beats)" 16 "$base" "$root/bench/lua/search.lua"
run "backbeat GET /api/beats?q= every query new" 16 "$base" "$root/bench/lua/search_unique.lua"
RANGE_FILE_SIZE=$size run "backbeat 64 KiB ranges of a 5 MiB preview" 64 \
  "$base/api/beats/bench-00000001/preview.mp3" "$root/bench/lua/ranges.lua"

# The catalogue while uploads are being processed: a producer uploads 30 s WAVs in a loop.
token=$(curl -fsS -X POST "$base/api/users/signup" -d '{"username":"bench_up","email":"up@example.test","password":"bench-password"}' | jq -r .token)
ffmpeg -loglevel error -f lavfi -i "sine=f=330:d=30" -ac 2 "$tmp/upload.wav"
( for i in $(seq 1 1000); do
    curl -fsS -o /dev/null -X POST "$base/api/beats/upload" -H "Authorization: Bearer $token" \
      -F "file=@$tmp/upload.wav" -F "title=Load $i" -F price=10 || true
  done ) &
uploader=$!
pids+=($uploader)
sleep 1
run "backbeat GET /api/beats/{id} during uploads" 16 "$base" "$root/bench/lua/beat_ids.lua"
run "backbeat GET /api/beats?q= during uploads" 16 "$base" "$root/bench/lua/search.lua"
kill "$uploader" 2>/dev/null || true

# Peers.
if command -v nginx >/dev/null; then
  nport=$(free_port)
  cat > "$tmp/nginx.conf" <<NGINX
worker_processes 2;
pid $tmp/nginx.pid;
error_log $tmp/nginx-error.log;
events { worker_connections 4096; }
http { access_log off; sendfile on; types { audio/mpeg mp3; }
  client_body_temp_path $tmp/nb; proxy_temp_path $tmp/np; fastcgi_temp_path $tmp/nf; uwsgi_temp_path $tmp/nu; scgi_temp_path $tmp/ns;
  server { listen 127.0.0.1:$nport; root $data/media/previews; } }
NGINX
  nginx -c "$tmp/nginx.conf" -p "$tmp" 2>/dev/null
  if wait_http "http://127.0.0.1:$nport/bench-stream.mp3"; then
    RANGE_FILE_SIZE=$size run "nginx 64 KiB ranges of the same file (peer)" 64 \
      "http://127.0.0.1:$nport/bench-stream.mp3" "$root/bench/lua/ranges.lua"
  fi
  kill -TERM "$(cat "$tmp/nginx.pid")" 2>/dev/null || true
fi
if /usr/bin/python3 -c 'import fastapi, uvicorn' 2>/dev/null; then
  fport=$(free_port)
  PEER_DB="$tmp/peer.db" /usr/bin/python3 "$root/bench/peers/fastapi_peer.py"
  (cd "$root/bench/peers" && PEER_DB="$tmp/peer.db" exec /usr/bin/python3 -m uvicorn fastapi_peer:app --host 127.0.0.1 \
    --port "$fport" --workers 2 --log-level warning --no-access-log) &
  pids+=($!)
  if wait_http "http://127.0.0.1:$fport/api/beats/beat-42"; then
    run "fastapi GET-beat-by-id (peer)" 64 "http://127.0.0.1:$fport/api/beats/beat-42"
    run "fastapi GET-search-q over 10,000 (peer)" 16 "http://127.0.0.1:$fport/api/beats?q=dreams"
    # The same query mixes as backbeat's rows above. "dreams" is in 28% of the peer's rows, so its
    # LIMIT 20 stops after ~70 of them; most of these queries make it scan all 10,000.
    run "fastapi same queries (peer)" 16 "http://127.0.0.1:$fport" "$root/bench/lua/search.lua"
    run "fastapi same queries, every one new (peer)" 16 "http://127.0.0.1:$fport" "$root/bench/lua/search_unique.lua"
  fi
fi

echo
echo "backbeat $("$BIN" --version | awk '{print $2}'), wrk -t2 -d${DURATION}s, $(nproc) cores, $BEATS beats"
printf '%-44s %5s %10s %9s %9s %9s\n' endpoint conns req/s "p50 ms" "p99 ms" "MB/s"
printf '%s\n' "${rows[@]}"
ratio() {
  local a=${rps_of[$1]:-} b=${rps_of[$2]:-}
  [ -n "$a" ] && [ -n "$b" ] && awk -v a="$a" -v b="$b" -v t="$3" 'BEGIN { printf "%-64s %.2fx\n", t, a / b }'
  return 0
}
echo
ratio "backbeat GET /api/beats/{id}" "fastapi GET-beat-by-id (peer)" "GET beat by id: backbeat / fastapi"
ratio "backbeat GET /api/beats?q= ($BEATS beats)" "fastapi GET-search-q over 10,000 (peer)" "search: backbeat ($BEATS) / fastapi (10,000) q=dreams"
ratio "backbeat GET /api/beats?q= every query new" "fastapi GET-search-q over 10,000 (peer)" "search, no cache hits: backbeat / fastapi q=dreams"
ratio "backbeat GET /api/beats?q= ($BEATS beats)" "fastapi same queries (peer)" "search, same query mix: backbeat / fastapi"
ratio "backbeat GET /api/beats?q= every query new" "fastapi same queries, every one new (peer)" "search, same queries, every one new: backbeat / fastapi"
ratio "backbeat 64 KiB ranges of a 5 MiB preview" "nginx 64 KiB ranges of the same file (peer)" "range streaming: backbeat / nginx (req/s; MB/s in the table)"
