#!/usr/bin/env bash
# A beat released to 100,000 followers: how long the notifications fan-out takes to write them
# all (pages of 2,000 followers, each page its own transaction on a job worker) and what it does to
# catalogue reads meanwhile (wrk on GET /api/beats/{id}, 16 connections, from the upload of the
# released beat through its processing to the last notification row).
#   BENCH_FOLLOWERS (100000)  BACKBEAT_BIN (build/backbeat)
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
BIN=${BACKBEAT_BIN:-$root/build/backbeat}
FOLLOWERS=${BENCH_FOLLOWERS:-100000}
# shellcheck source=bench/lib.sh
source "$root/bench/lib.sh"

tmp=$(mktemp -d)
pid=""
wrk_pid=""
cleanup() {
  [ -n "$wrk_pid" ] && kill "$wrk_pid" 2>/dev/null || true
  [ -n "$pid" ] && kill "$pid" 2>/dev/null && wait "$pid" 2>/dev/null || true
  rm -rf "$tmp"
}
trap cleanup EXIT
now_ms() { date +%s%3N; }
db() { sqlite3 -cmd '.timeout 10000' "$tmp/data/backbeat.db" "$@"; }

echo "bench: seeding $FOLLOWERS accounts" >&2
"$BIN" migrate --data-dir "$tmp/data" --log-level warn
db "WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < $FOLLOWERS)
    INSERT INTO users_accounts (id, username, username_key, email, email_key, password_hash, created_ms, updated_ms)
    SELECT printf('f%07d', i), printf('fan%07d', i), printf('fan%07d', i), printf('fan%07d@bench.test', i),
           printf('fan%07d@bench.test', i), 'x', 0, 0 FROM n;"

start_backbeat "$tmp" --auth-rate 0
signup=$(curl -fsS -X POST "$base/api/users/signup" \
  -d '{"username":"fanout_producer","email":"fanout@bench.test","password":"bench-password-1"}')
token=$(jq -r .token <<<"$signup")
producer=$(jq -r .user.user_id <<<"$signup")
db "INSERT INTO users_follows (follower_id, followee_id, created_ms) SELECT id, '$producer', 0 FROM users_accounts WHERE id LIKE 'f%';"

# A beat to read during the fan-out, and the one whose release fans out.
ffmpeg -loglevel error -f lavfi -i "sine=frequency=330:duration=5" -ar 44100 "$tmp/beat.wav"
upload() { curl -fsS -X POST "$base/api/beats/upload" -H "Authorization: Bearer $token" -F "file=@$tmp/beat.wav" -F "title=$1" -F price=10; }
wait_ready() {
  for _ in $(seq 1 600); do
    [ "$(curl -fsS "$base/api/beats/$1" | jq -r .status)" = ready ] && return 0
    sleep 0.05
  done
  echo "bench: beat $1 never became ready" >&2
  exit 1
}

# Release the warm-up beat first and wait for its fan-out to finish, so the measured one starts clean.
warm=$(upload "Warm up" | jq -r .beat_id)
wait_ready "$warm"
until [ "$(db "SELECT COUNT(*) FROM notifications_items WHERE source = 'upload:$warm'")" -ge "$FOLLOWERS" ]; do sleep 0.2; done

wrk -t2 -c16 -d120s --latency "$base/api/beats/$warm" >"$tmp/wrk.txt" 2>&1 &
wrk_pid=$!
sleep 1
beat=$(upload "Release day" | jq -r .beat_id)
wait_ready "$beat"
t_ready=$(now_ms)
done_count=0
until [ "$done_count" -ge "$FOLLOWERS" ]; do
  sleep 0.1
  done_count=$(db "SELECT COUNT(*) FROM notifications_items WHERE source = 'upload:$beat'")
done
t_done=$(now_ms)
kill -INT "$wrk_pid" 2>/dev/null || true
wait "$wrk_pid" 2>/dev/null || true
wrk_pid=""

elapsed=$((t_done - t_ready))
p50=$(to_ms "$(awk '$1 == "50%" {print $2}' "$tmp/wrk.txt")")
p99=$(to_ms "$(awk '$1 == "99%" {print $2}' "$tmp/wrk.txt")")
rps=$(awk '/Requests\/sec/ {print $2}' "$tmp/wrk.txt")
unread=$(curl -fsS "$base/metrics" | awk '/^backbeat_outbox_pending / {print $2}')
printf '%-44s %10s\n' "followers notified" "$done_count"
printf '%-44s %10s\n' "fan-out time (ready -> last row), ms" "$elapsed"
printf '%-44s %10s\n' "notifications written per second" "$(awk -v n="$done_count" -v t="$elapsed" 'BEGIN { printf "%.0f", n * 1000 / t }')"
printf '%-44s %10s\n' "GET /api/beats/{id} during it, req/s" "$rps"
printf '%-44s %10s\n' "  p50 ms" "$p50"
printf '%-44s %10s\n' "  p99 ms" "$p99"
printf '%-44s %10s\n' "outbox pending afterwards" "${unread:-?}"
