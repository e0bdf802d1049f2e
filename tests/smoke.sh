#!/usr/bin/env bash
# Smoke test: drives the main Users flows with curl and jq, the way someone scripting the API
# would. Usage: tests/smoke.sh BASE_URL   (e.g. http://127.0.0.1:8080)
# Prints each step; exits 1 with a clear message on the first unexpected answer.
set -uo pipefail

BASE=${1:?usage: smoke.sh BASE_URL}
BASE=${BASE%/}
for tool in curl jq; do
  command -v "$tool" >/dev/null || { echo "smoke: $tool is required" >&2; exit 1; }
done

body=$(mktemp)
trap 'rm -f "$body"' EXIT
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
