# Shared by the bench/*.sh scripts (sourced, not run).

free_port() { python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'; }

# Waits up to 15 s for a URL to answer 2xx.
wait_http() { for _ in $(seq 1 150); do curl -fsS -o /dev/null "$1" 2>/dev/null && return 0; sleep 0.1; done; return 1; }

# wrk prints latency with units (us, ms, s); convert to milliseconds.
to_ms() {
  awk -v v="$1" 'BEGIN {
    n = v + 0; u = v; sub(/^[0-9.]+/, "", u)
    if (u == "us") n /= 1000; else if (u == "s") n *= 1000; else if (u == "m") n *= 60000
    printf "%.2f", n }'
}

# start_backbeat TMP [serve flags...]: serves on a port the kernel picks (read from the
# "listening" log line, so there is no race for it) with data in TMP/data; sets pid and base.
start_backbeat() {
  local dir=$1 port=""
  shift
  "$BIN" serve --listen 127.0.0.1:0 --data-dir "$dir/data" --log-format json --access-log false "$@" 2>"$dir/server.log" &
  pid=$!
  for _ in $(seq 1 150); do
    port=$(grep -F '"listening"' "$dir/server.log" 2>/dev/null | head -n 1 | jq -r '.fields.port // empty' 2>/dev/null || true)
    [ -n "$port" ] && break
    kill -0 "$pid" 2>/dev/null || break
    sleep 0.1
  done
  if [ -z "$port" ]; then
    echo "bench: the server did not start; its log:" >&2
    cat "$dir/server.log" >&2
    exit 1
  fi
  base="http://127.0.0.1:$port"
}

# seed_catalogue DATA_DIR N: N ready beats straight into the beats module's tables (bench data only).
seed_catalogue() {
  local data=$1 n=$2
  echo "bench: seeding $n beats" >&2
  "$BIN" migrate --data-dir "$data" --log-level warn
  sqlite3 "$data/backbeat.db" "CREATE TABLE bench_params (key TEXT, value INTEGER); INSERT INTO bench_params VALUES ('n', $n);"
  sqlite3 "$data/backbeat.db" < "$root/bench/seed_catalogue.sql"
  sqlite3 "$data/backbeat.db" "DROP TABLE bench_params;"
  # Where each beat sits in the index (migration 0010); a binary from before it has no such column.
  sqlite3 "$data/backbeat.db" "UPDATE beats_beats SET search_rowid = s.rowid FROM beats_search s
    WHERE s.beat_id = beats_beats.id" 2>/dev/null || true
}
