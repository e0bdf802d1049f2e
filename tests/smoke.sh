#!/usr/bin/env bash
# Smoke test: drives the main Users flows, the beats flow (upload, processing, streaming,
# search, playlists) and a purchase with its download, with curl, jq and ffmpeg, the way
# someone scripting the API would.
# Usage: tests/smoke.sh BASE_URL   (e.g. http://127.0.0.1:8080)
# Prints each step; exits 1 with a clear message on the first unexpected answer.
set -uo pipefail

BASE=${1:?usage: smoke.sh BASE_URL}
BASE=${BASE%/}
for tool in curl jq ffmpeg; do
  command -v "$tool" >/dev/null || { echo "smoke: $tool is required" >&2; exit 1; }
done

body=$(mktemp)
work=$(mktemp -d "${TMPDIR:-/tmp}/backbeat-smoke-media.XXXXXX")
trap 'rm -f "$body"; rm -rf "$work"' EXIT
step=0
STATUS=""

# call METHOD PATH [JSON] [TOKEN]: sets STATUS, the answer is in $body
call() {
  local method=$1 path=$2 data=${3:-} token=${4:-}
  local args=(-sS -o "$body" -w '%{http_code}' -X "$method" -H 'Accept: application/json' --max-time 30)
  [ -n "$token" ] && args+=(-H "Authorization: Bearer $token")
  [ -n "$data" ] && args+=(-H 'Content-Type: application/json' --data-binary "$data")
  if ! STATUS=$(curl "${args[@]}" "$BASE$path"); then
    echo "FAIL: $method $path: curl could not reach $BASE" >&2
    exit 1
  fi
}

# expect STATUS DESCRIPTION
expect() {
  local want=$1; shift
  step=$((step + 1))
  if [ "$STATUS" != "$want" ]; then
    echo "FAIL step $step: $*: expected HTTP $want, got $STATUS" >&2
    echo "  body: $(head -c 600 "$body")" >&2
    exit 1
  fi
  printf 'ok %2d  %s (HTTP %s)\n' "$step" "$*" "$STATUS"
}

# check JQ_EXPR DESCRIPTION: the jq expression must be true for the last answer
check() {
  if ! jq -e "$1" "$body" >/dev/null 2>&1; then
    echo "FAIL step $step: $2: '$1' is not true for" >&2
    echo "  body: $(head -c 600 "$body")" >&2
    exit 1
  fi
}

suffix="$(date +%s)$$$RANDOM"
alice="smoke_a_$suffix"
bob="smoke_b_$suffix"
pass='smoke-test-password'

call GET /healthz
expect 200 "GET /healthz"
check '.status == "ok"' "healthz says ok"

call GET /
expect 200 "GET / (the web store)"
if ! grep -q '<script type="module" src="/assets/' "$body"; then
  echo "FAIL step $step: GET / is not the web store's page" >&2
  exit 1
fi

call POST /api/users/signup "{\"username\":\"$alice\",\"email\":\"$alice@example.test\",\"password\":\"$pass\"}"
expect 201 "sign up $alice"
check '.token | type == "string"' "signup returns a token"
check ".user.username == \"$alice\"" "signup returns the user"
alice_id=$(jq -r .user.user_id "$body")

call POST /api/users/signup "{\"username\":\"$bob\",\"email\":\"$bob@example.test\",\"password\":\"$pass\"}"
expect 201 "sign up $bob"
bob_id=$(jq -r .user.user_id "$body")
bob_token=$(jq -r .token "$body")

call POST /api/users/signup "{\"username\":\"$alice\",\"email\":\"other_$alice@example.test\",\"password\":\"$pass\"}"
expect 409 "sign up $alice again"
check '.error.code == "username_taken"' "duplicate signup says username_taken"

call POST /api/users/login "{\"email\":\"$alice@example.test\",\"password\":\"$pass\"}"
expect 200 "log in $alice by email"
check '.token_type == "Bearer"' "login says Bearer"
token=$(jq -r .token "$body")

call POST /api/users/login "{\"username\":\"$alice\",\"password\":\"wrong-password\"}"
expect 401 "log in $alice with a wrong password"
check '.error.code == "invalid_credentials"' "wrong password says invalid_credentials"

call GET /api/users/profile "" "$token"
expect 200 "GET own profile"
check ".user_id == \"$alice_id\" and .email == \"$alice@example.test\"" "profile is alice's"

call PUT /api/users/profile/update '{"bio":"smoke test bio"}' "$token"
expect 200 "update bio"
check '.bio == "smoke test bio"' "bio updated"

call GET "/api/users/$alice_id"
expect 200 "GET public profile (no token)"
check '.bio == "smoke test bio" and (has("email") | not)' "public profile has the bio and no email"

call POST "/api/users/$alice_id/follow" "" "$bob_token"
expect 200 "$bob follows $alice"
check '.following == true and .followers_count == 1' "follow counted"

call GET "/api/users/$alice_id"
expect 200 "GET public profile again"
check '.followers_count == 1' "followers_count is 1"

call DELETE "/api/users/$alice_id/follow" "" "$bob_token"
expect 200 "$bob unfollows $alice"
check '.following == false and .followers_count == 0' "unfollow counted"

# ---- beats: upload, processing, streaming, search, playlists ----------------------------------

# upload FILE TOKEN FIELD=VALUE...: multipart upload with curl -F; sets STATUS, answer in $body
upload() {
  local file=$1 token=$2; shift 2
  local args=(-sS -o "$body" -w '%{http_code}' -X POST -H 'Accept: application/json' --max-time 60
    -H "Authorization: Bearer $token" -F "file=@$file")
  local f
  for f in "$@"; do args+=(-F "$f"); done
  if ! STATUS=$(curl "${args[@]}" "$BASE/api/beats/upload"); then
    echo "FAIL: POST /api/beats/upload: curl could not reach $BASE" >&2
    exit 1
  fi
}

wav="$work/smoke-tone.wav"
if ! ffmpeg -v error -nostdin -y -f lavfi -i 'sine=frequency=440:duration=3' -ac 2 -ar 44100 "$wav"; then
  echo "FAIL: ffmpeg could not generate the test WAV" >&2
  exit 1
fi
word="smk$suffix"
upload "$wav" "$token" "title=Smoke Tone $word" "price=9.99" "genre=trap" "bpm=120" "tags=smoke,test"
expect 201 "upload a 3 s WAV as $alice"
check '.status == "processing"' "a new upload is processing"
check '.price_cents == 999 and .title == "Smoke Tone '"$word"'"' "upload echoes title and price"
beat_id=$(jq -r .beat_id "$body")

step=$((step + 1))
deadline=$((SECONDS + 60))
beat_status=processing
while [ "$SECONDS" -lt "$deadline" ]; do
  call GET "/api/beats/$beat_id"
  beat_status=$(jq -r '.status // empty' "$body" 2>/dev/null)
  [ "$STATUS" = 200 ] && [ "$beat_status" != processing ] && break
  sleep 0.5
done
if [ "$STATUS" != 200 ] || [ "$beat_status" != ready ]; then
  echo "FAIL step $step: beat $beat_id should be ready within 60 s: HTTP $STATUS, status '$beat_status'" >&2
  echo "  body: $(head -c 600 "$body")" >&2
  exit 1
fi
printf 'ok %2d  %s (HTTP %s)\n' "$step" "poll GET /api/beats/$beat_id until ready" "$STATUS"
check '.duration_ms >= 2900 and .duration_ms <= 3100' "duration_ms is about 3000"

call GET "/api/beats/stream/$beat_id"
expect 200 "GET stream info"
check '.mime == "audio/mpeg" and (.stream_url | type == "string")' "stream info has the MP3 stream_url"
stream_url=$(jq -r .stream_url "$body")

step=$((step + 1))
if ! code=$(curl -sS -o "$work/range.bin" -D "$work/range.headers" -w '%{http_code}' --max-time 30 \
    -H 'Range: bytes=0-99' "$BASE$stream_url"); then
  echo "FAIL step $step: GET $stream_url: curl could not reach $BASE" >&2
  exit 1
fi
content_range=$(grep -i '^content-range:' "$work/range.headers" | tr -d '\r' | cut -d' ' -f2-)
got_bytes=$(wc -c < "$work/range.bin" | tr -d ' ')
if [ "$code" != 206 ] || ! [[ "$content_range" =~ ^bytes\ 0-99/[0-9]+$ ]] || [ "$got_bytes" != 100 ]; then
  echo "FAIL step $step: Range bytes=0-99 of the preview: expected 206, Content-Range 'bytes 0-99/SIZE' and 100 bytes;" \
    "got HTTP $code, Content-Range '$content_range', $got_bytes bytes" >&2
  exit 1
fi
printf 'ok %2d  %s (HTTP %s, %s)\n' "$step" "GET the first 100 bytes of the preview" "$code" "$content_range"

call GET "/api/beats?q=$word"
expect 200 "search q=$word"
check "[.beats[].beat_id] == [\"$beat_id\"]" "search finds the new beat"

call POST /api/playlists '{"name":"Smoke playlist","public":true}' "$token"
expect 201 "create a playlist"
check '.public == true and .tracks == []' "a new public playlist is empty"
playlist_id=$(jq -r .playlist_id "$body")

call POST "/api/playlists/$playlist_id/tracks" "{\"beat_id\":\"$beat_id\"}" "$token"
expect 201 "add the beat to the playlist"
check ".tracks[0].beat_id == \"$beat_id\"" "the playlist holds the beat"

call POST "/api/playlists/$playlist_id/tracks" "{\"beat_id\":\"$beat_id\"}" "$token"
expect 409 "add the same beat again"
check '.error.code == "already_in_playlist"' "a second add says already_in_playlist"

call GET "/api/playlists/$playlist_id"
expect 200 "GET the public playlist without a token"
check "[.tracks[].beat_id] == [\"$beat_id\"]" "the public playlist shows its track"

# ---- purchases: buy the beat, download it -----------------------------------------------------

call POST /api/purchases "{\"beat_id\":\"$beat_id\",\"license\":\"basic\",\"payment\":{\"provider\":\"test\",\"token\":\"tok_visa\"}}" "$bob_token"
expect 201 "$bob buys the beat (basic license, tok_visa)"
check ".status == \"completed\" and .total_cents == 999 and .items[0].beat_id == \"$beat_id\" and .items[0].license == \"basic\"" \
  "the purchase is completed at the server's price"
purchase_id=$(jq -r .purchase_id "$body")

call GET /api/users/profile "" "$bob_token"
expect 200 "GET $bob's profile"
check ".purchased_beats | index(\"$beat_id\") != null" "purchased_beats lists the beat"

call GET "/api/sales" "" "$token"
expect 200 "GET $alice's sales"
check ".count == 1 and .total_cents == 999 and .sales[0].purchase_id == \"$purchase_id\"" "the sale is counted"

step=$((step + 1))
if ! code=$(curl -sS -o "$work/download.mp3" -D "$work/download.headers" -w '%{http_code}' --max-time 60 \
    -H "Authorization: Bearer $bob_token" "$BASE/api/beats/$beat_id/download?format=mp3"); then
  echo "FAIL step $step: GET /api/beats/$beat_id/download?format=mp3: curl could not reach $BASE" >&2
  exit 1
fi
content_type=$(grep -i '^content-type:' "$work/download.headers" | tr -d '\r' | cut -d' ' -f2-)
got_bytes=$(wc -c < "$work/download.mp3" | tr -d ' ')
if [ "$code" != 200 ] || ! [[ "$content_type" =~ ^audio/mpeg ]] || [ "$got_bytes" -lt 1000 ]; then
  echo "FAIL step $step: $bob downloads the bought beat as MP3: expected HTTP 200, Content-Type audio/mpeg and the audio;" \
    "got HTTP $code, Content-Type '$content_type', $got_bytes bytes" >&2
  head -c 600 "$work/download.mp3" >&2
  exit 1
fi
printf 'ok %2d  %s (HTTP %s, %s, %s bytes)\n' "$step" "$bob downloads the bought beat as MP3" "$code" "$content_type" "$got_bytes"

# ---- a cart with a coupon, one payment, and the license agreement as a PDF ----------------------
call POST /api/coupons "{\"code\":\"SMOKE$suffix\",\"kind\":\"percent\",\"percent\":10}" "$token"
expect 201 "$alice makes a 10 % coupon"
call POST /api/users/signup "{\"username\":\"smoke_c_$suffix\",\"email\":\"smoke_c_$suffix@example.test\",\"password\":\"$pass\"}"
expect 201 "a third user signs up"
carol_token=$(jq -r .token "$body")
call POST /api/cart/items "{\"beat_id\":\"$beat_id\",\"license\":\"basic\"}" "$carol_token"
expect 201 "the beat goes into the cart"
call PUT /api/cart/coupon "{\"code\":\"smoke$suffix\"}" "$carol_token"
expect 200 "the coupon applies"
check '.total_cents == 899 and .coupon_discount_cents == 100' "9.99 less 10 % (0.999 rounded half up) is 8.99"
call POST /api/cart/checkout '{"payment":{"provider":"test","token":"tok_visa"}}' "$carol_token"
expect 201 "the cart is paid in one payment"
check '.status == "completed" and .total_cents == 899' "completed at the cart's price"
cart_purchase=$(jq -r .purchase_id "$body")
for _ in $(seq 1 50); do
  call GET "/api/agreements/$cart_purchase" "" "$carol_token"
  [ "$STATUS" = 200 ] && break
  sleep 0.2
done
expect 200 "the agreement of the purchase"
check '.agreements | length == 1' "one agreement for one beat"
step=$((step + 1))
code=$(curl -sS -o "$work/agreement.pdf" -w '%{http_code}' --max-time 30 -H "Authorization: Bearer $carol_token" \
  "$BASE$(jq -r '.agreements[0].pdf_url' "$body")")
if [ "$code" != 200 ] || [ "$(head -c 5 "$work/agreement.pdf")" != "%PDF-" ]; then
  echo "FAIL step $step: the agreement PDF: HTTP $code, $(head -c 20 "$work/agreement.pdf" | od -c | head -1)" >&2
  exit 1
fi
printf 'ok %2d  %s (HTTP %s, %s bytes)\n' "$step" "the agreement downloads as a PDF" "$code" "$(wc -c < "$work/agreement.pdf" | tr -d ' ')"

# ---- Subsonic: an app password, then a player's calls; a share link ---------------------------
call POST /api/users/profile/app-passwords '{"name":"smoke player"}' "$bob_token"
expect 201 "$bob makes a Subsonic app password"
app_password=$(jq -r .password "$body")
salt=smoke$RANDOM
subsonic_token=$(printf '%s%s' "$app_password" "$salt" | md5sum | cut -d' ' -f1)
call GET "/rest/ping.view?u=$bob&t=$subsonic_token&s=$salt&v=1.16.1&c=smoke&f=json"
expect 200 "Subsonic ping with token and salt"
check '."subsonic-response".status == "ok"' "the app password signs the player in"
call GET "/rest/search3?u=$bob&p=$app_password&v=1.16.1&c=smoke&f=json&query=$word"
expect 200 "Subsonic search3"
check "[.\"subsonic-response\".searchResult3.song[].id] == [\"$beat_id\"] and .\"subsonic-response\".searchResult3.song[0].bitRate == 320" \
  "search3 finds the beat, bought: the full track"
call GET "/rest/ping?u=$bob&p=$pass&v=1.16.1&c=smoke&f=json"
check '."subsonic-response".error.code == 40' "the account password does not work on /rest/"

call POST /api/shares "{\"beat_id\":\"$beat_id\",\"max_plays\":1}" "$token"
expect 201 "$alice shares the beat by link"
share_id=$(jq -r .share_id "$body")
call POST "/api/s/$share_id/tracks/$beat_id/plays"
expect 201 "anyone plays it through the link"
call GET "/api/s/$share_id"
expect 410 "its one play is used: the link is gone"

call POST /api/users/logout '{}' "$token"
expect 200 "log out"

call GET /api/users/profile "" "$token"
expect 401 "GET profile with the logged-out token"
check '.error.code == "session_ended"' "logged-out token says session_ended"

call GET /api/users/profile "" "$bob_token"
expect 200 "$bob's session is unaffected"

call DELETE "/api/users/$bob_id" "" "$bob_token"
expect 200 "$bob deletes himself"
call GET "/api/users/$bob_id"
expect 404 "deleted user's profile is gone"

echo "smoke: all $step steps passed against $BASE"
