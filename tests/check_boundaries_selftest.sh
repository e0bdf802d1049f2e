#!/usr/bin/env bash
# Proves tests/check_boundaries.sh can fail: builds small fake repos in temporary directories, one
# per rule, and asserts the exit code and the message. Usage: tests/check_boundaries_selftest.sh [CHECKER]
set -uo pipefail

checker="${1:-$(cd "$(dirname "$0")" && pwd)/check_boundaries.sh}"
[ -x "$checker" ] || { echo "selftest: $checker is not executable" >&2; exit 2; }

work="$(mktemp -d "${TMPDIR:-/tmp}/boundaries-selftest.XXXXXX")"
trap 'rm -rf "$work"' EXIT
failures=0
cases=0

# new_tree NAME CMAKE_BODY -> creates $work/NAME with CMakeLists.txt and src/{core,http}
new_tree() {
  local dir="$work/$1"
  mkdir -p "$dir/src/core" "$dir/src/http" "$dir/src/modules" "$dir/tests"
  printf '%s\n' 'cmake_minimum_required(VERSION 3.25)' 'function(bb_module name)' 'endfunction()' "$2" >"$dir/CMakeLists.txt"
  printf '#pragma once\n#include <string>\n' >"$dir/src/core/error.hpp"
  printf '#pragma once\n#include "core/error.hpp"\n' >"$dir/src/http/router.hpp"
  echo "$dir"
}

# add_file TREE PATH LINE... -> writes a source file
add_file() {
  local dir="$1" path="$2"
  shift 2
  mkdir -p "$(dirname "$dir/$path")"
  printf '%s\n' "$@" >"$dir/$path"
}

# expect NAME TREE EXIT_CODE [MESSAGE_FRAGMENT]
expect() {
  local name="$1" tree="$2" want="$3" fragment="${4:-}" out rc
  cases=$((cases + 1))
  out="$("$checker" "$tree" 2>&1)"
  rc=$?
  if [ "$rc" -ne "$want" ]; then
    echo "FAIL $name: exit $rc, expected $want. Output:" >&2
    echo "$out" | sed 's/^/    /' >&2
    failures=$((failures + 1))
  elif [ -n "$fragment" ] && ! grep -qF -- "$fragment" <<<"$out"; then
    echo "FAIL $name: output lacks '$fragment'. Output:" >&2
    echo "$out" | sed 's/^/    /' >&2
    failures=$((failures + 1))
  else
    echo "ok   $name"
  fi
}

# A well-behaved base: users <- beats <- purchases, each including only public headers.
base_tree() {
  local t
  t="$(new_tree "$1" "$(printf '%s\n' 'bb_module(users)' 'bb_module(beats DEPENDS users)' \
    'bb_module(purchases' '  DEPENDS beats   # multi-line call' '  users)')")"
  add_file "$t" src/modules/users/users.hpp '#pragma once' '#include "core/error.hpp"'
  add_file "$t" src/modules/users/service.cpp '#include "modules/users/users.hpp"' '#include "service.hpp"' '#include <vector>'
  add_file "$t" src/modules/users/service.hpp '#pragma once'
  add_file "$t" src/modules/beats/beats.hpp '#pragma once' '#include "modules/users/users.hpp"'
  add_file "$t" src/modules/beats/routes.cpp '#include "modules/beats/beats.hpp"' '#include "http/router.hpp"'
  add_file "$t" src/modules/purchases/purchases.hpp '#pragma once'
  add_file "$t" src/modules/purchases/service.cpp '#include "modules/purchases/purchases.hpp"' \
    '#include "modules/beats/beats.hpp"' '#include <modules/users/users.hpp>' \
    '// #include "modules/users/service.hpp"  (commented out: ignored)' \
    '/*' '#include "modules/users/repository.hpp"' '*/'
  echo "$t"
}

t="$(base_tree clean)"
expect "clean tree passes with a summary" "$t" 0 "boundaries: 3 modules,"

t="$(base_tree private_header)"
add_file "$t" src/modules/beats/service.cpp '#include "modules/beats/beats.hpp"' '#include "modules/users/service.hpp"'
expect "private header of another module fails" "$t" 1 'src/modules/beats/service.cpp:2: includes "modules/users/service.hpp", a private file of module '"'users'"

t="$(base_tree relative_private)"
add_file "$t" src/modules/beats/service.cpp '#include "../users/service.hpp"'
expect "relative include of another module's private file fails" "$t" 1 "a private file of module 'users'"

t="$(base_tree undeclared)"
add_file "$t" src/modules/users/follow.cpp '#include "modules/beats/beats.hpp"'
expect "including an undeclared dependency fails" "$t" 1 "module 'users' includes module 'beats' but bb_module(users ...)"

t="$(base_tree core_includes_module)"
add_file "$t" src/core/app.cpp '#include "core/error.hpp"' '#include "modules/users/users.hpp"'
expect "core including a module fails" "$t" 1 'src/core/app.cpp:2: includes "modules/users/users.hpp"'

t="$(base_tree http_includes_module)"
add_file "$t" src/http/server.cpp '#  include <modules/beats/beats.hpp>'
expect "http including a module fails" "$t" 1 "src/http/server.cpp:1"

t="$(new_tree cycle "$(printf '%s\n' 'bb_module(users DEPENDS chat)' 'bb_module(beats DEPENDS users)' 'bb_module(chat DEPENDS beats)')")"
add_file "$t" src/modules/users/users.hpp '#pragma once'
add_file "$t" src/modules/beats/beats.hpp '#pragma once'
add_file "$t" src/modules/chat/chat.hpp '#pragma once'
expect "dependency cycle fails" "$t" 1 "dependency cycle between modules: beats -> users -> chat -> beats"

t="$(new_tree self_cycle 'bb_module(users DEPENDS users)')"
add_file "$t" src/modules/users/users.hpp '#pragma once'
expect "module depending on itself fails" "$t" 1 "dependency cycle between modules: users -> users"

t="$(new_tree unknown_dep 'bb_module(beats DEPENDS users)')"
add_file "$t" src/modules/beats/beats.hpp '#pragma once'
expect "dependency on an undeclared module fails" "$t" 1 "DEPENDS on 'users', which is not a declared module"

t="$(base_tree undeclared_folder)"
add_file "$t" src/modules/chat/chat.hpp '#pragma once'
expect "module folder without bb_module fails" "$t" 1 "src/modules/chat/ has no bb_module(chat)"

t="$(base_tree allowlisted)"
add_file "$t" src/modules/beats/service.cpp '#include "modules/users/service.hpp"'
add_file "$t" src/core/app.cpp '#include "modules/users/users.hpp"'
add_file "$t" tests/boundaries_todo.txt '# known exceptions' \
  'src/modules/beats/service.cpp -> modules/users/service.hpp   # paid down in a later issue' \
  'src/core/app.cpp -> modules/users/users.hpp'
expect "allowlisted violations pass" "$t" 0 "no violations"

t="$(base_tree allowlist_partial)"
add_file "$t" src/modules/beats/service.cpp '#include "modules/users/service.hpp"' '#include "modules/users/repository.hpp"'
add_file "$t" tests/boundaries_todo.txt 'src/modules/beats/service.cpp -> modules/users/service.hpp'
expect "an allowlist entry covers only its own include" "$t" 1 "modules/users/repository.hpp"

t="$(base_tree several)"
add_file "$t" src/modules/users/a.cpp '#include "modules/beats/routes.hpp"'
out="$("$checker" "$t" 2>&1)"
cases=$((cases + 1))
if [ "$(grep -c '^boundaries: src/modules/users/a.cpp:1' <<<"$out")" -eq 2 ]; then
  echo "ok   private and undeclared include reported as two violations"
else
  echo "FAIL expected two violation lines for src/modules/users/a.cpp. Output:" >&2
  echo "$out" | sed 's/^/    /' >&2
  failures=$((failures + 1))
fi

if [ "$failures" -gt 0 ]; then
  echo "selftest: $failures of $cases cases failed" >&2
  exit 1
fi
echo "selftest: all $cases cases passed"
