#!/usr/bin/env bash
# Module boundary check (STYLE.md points 2 and 3). Usage: tests/check_boundaries.sh [REPO_ROOT]
#
# Fails (exit 1, one line per violation) when
#   - a file under src/modules/<a>/ includes modules/<b>/<anything> other than modules/<b>/<b>.hpp (b != a);
#   - a file under src/core/ or src/http/ includes anything from modules/;
#   - module a includes module b but CMakeLists.txt's bb_module(a DEPENDS ...) does not list b;
#   - the declared module dependencies form a cycle, name an undeclared module, or a src/modules/<m>/
#     folder has no bb_module(m) at all.
# Relative includes ("../beats/service.hpp") are resolved against the including file first.
# Known exceptions live in tests/boundaries_todo.txt, one per line:
#   src/modules/x/file.cpp -> modules/y/z.hpp      # comment
# Exit 0 prints a one-line summary; exit 2 means the check itself could not run.
set -euo pipefail

root="${1:-$(cd "$(dirname "$0")/.." && pwd)}"
root="$(cd "$root" 2>/dev/null && pwd)" || { echo "boundaries: no such directory: ${1:-}" >&2; exit 2; }
cmake_file="$root/CMakeLists.txt"
todo_file="$root/tests/boundaries_todo.txt"
[ -f "$cmake_file" ] || { echo "boundaries: $cmake_file not found" >&2; exit 2; }

violations=0
violation() {
  echo "boundaries: $*" >&2
  violations=$((violations + 1))
}

# --- declared modules: every bb_module(...) call in CMakeLists.txt files (top level and src/modules/*/) ---
declare -A deps=()      # module -> space-separated declared dependencies
declare -A declared_in=()
cmake_files=("$cmake_file")
for f in "$root"/src/modules/*/CMakeLists.txt; do [ -f "$f" ] && cmake_files+=("$f"); done
for f in "${cmake_files[@]}"; do
  # Drop comments, join lines, then pull out each call's arguments. A CMake command starts its own
  # line, so "function(bb_module name)" is not mistaken for a call.
  while IFS= read -r args; do
    read -r -a words <<<"$args"
    [ ${#words[@]} -gt 0 ] || continue
    name="${words[0]}"
    if [ -n "${declared_in[$name]:-}" ]; then
      violation "module '$name' is declared twice (${declared_in[$name]#"$root"/} and ${f#"$root"/})"
    fi
    declared_in[$name]="$f"
    list="" in_depends=0
    for w in "${words[@]:1}"; do
      if [ "$w" = DEPENDS ]; then in_depends=1; continue; fi
      [[ "$w" =~ ^[A-Z_]+$ ]] && { in_depends=0; continue; }  # another keyword argument
      [ $in_depends -eq 1 ] && list+=" $w"
    done
    deps[$name]="${list# }"
  done < <(sed -e 's/#.*$//' "$f" | awk '
      { text = text $0 "\n" }
      END {
        while (match(text, /(^|\n)[ \t]*bb_module[ \t]*\([^)]*\)/)) {
          call = substr(text, RSTART, RLENGTH)
          sub(/^[\n \t]*bb_module[ \t]*\(/, "", call); sub(/\)$/, "", call); gsub(/[\n\t]/, " ", call)
          print call
          text = substr(text, RSTART + RLENGTH)
        }
      }')
done

modules=("${!deps[@]}")
for m in "${modules[@]}"; do
  for d in ${deps[$m]}; do
    [ -n "${deps[$d]+x}" ] || violation "bb_module($m) DEPENDS on '$d', which is not a declared module"
  done
done
for dir in "$root"/src/modules/*/; do
  [ -d "$dir" ] || continue
  m="$(basename "$dir")"
  [ -n "${deps[$m]+x}" ] || violation "src/modules/$m/ has no bb_module($m) in CMakeLists.txt, so it is never built"
done

# --- cycles among declared dependencies (depth-first search, white/grey/black) ---
declare -A state=()
declare -a stack=()
declare -A cycle_seen=()
visit() {
  local m="$1" d i cyc
  state[$m]=grey
  stack+=("$m")
  for d in ${deps[$m]:-}; do
    [ -n "${deps[$d]+x}" ] || continue
    if [ "${state[$d]:-white}" = grey ]; then
      cyc=""
      for ((i = 0; i < ${#stack[@]}; i++)); do
        if [ -n "$cyc" ] || [ "${stack[$i]}" = "$d" ]; then cyc+="${stack[$i]} -> "; fi
      done
      cyc+="$d"
      if [ -z "${cycle_seen[$cyc]:-}" ]; then
        cycle_seen[$cyc]=1
        violation "dependency cycle between modules: $cyc (declared with bb_module(... DEPENDS ...) in CMakeLists.txt)"
      fi
    elif [ "${state[$d]:-white}" = white ]; then
      visit "$d"
    fi
  done
  unset 'stack[${#stack[@]}-1]'
  state[$m]=black
}
while IFS= read -r m; do
  [ -n "$m" ] || continue
  [ "${state[$m]:-white}" = white ] && visit "$m"
done < <(printf '%s\n' "${modules[@]}" | sort)

# --- allowlist ---
declare -A allowed=()
declare -A allowed_used=()
if [ -f "$todo_file" ]; then
  while IFS= read -r line || [ -n "$line" ]; do
    line="${line%%#*}"
    line="$(echo "$line" | sed -e 's/^[[:space:]]*//' -e 's/[[:space:]]*$//')"
    [ -n "$line" ] || continue
    if [[ "$line" =~ ^([^[:space:]]+)[[:space:]]*-\>[[:space:]]*([^[:space:]]+)$ ]]; then
      allowed["${BASH_REMATCH[1]} -> ${BASH_REMATCH[2]}"]=1
    else
      violation "tests/boundaries_todo.txt: cannot read line '$line' (expected 'src/modules/x/file.cpp -> modules/y/z.hpp')"
    fi
  done <"$todo_file"
fi
is_allowed() {  # file(relative) include(normalised) include(as written)
  local key
  for key in "$1 -> $2" "$1 -> $3"; do
    if [ -n "${allowed[$key]:-}" ]; then allowed_used[$key]=1; return 0; fi
  done
  return 1
}

# --- includes ---
includes_checked=0
normalise() {  # file include -> prints modules/<b>/<rest> if the include names a module file, else nothing
  local file="$1" inc="$2" resolved
  if [[ "$inc" == modules/* ]]; then
    echo "$inc"
    return
  fi
  [[ "$inc" == /* ]] && resolved="$(realpath -m "$inc")" || resolved="$(realpath -m "$(dirname "$file")/$inc")"
  if [[ "$resolved" == "$root/src/modules/"*/* ]]; then
    echo "${resolved#"$root/src/"}"
  fi
}

check_file() {  # file owner  (owner = module name, or "" for core/http)
  local file="$1" owner="$2" rel lineno inc target b rest
  rel="${file#"$root"/}"
  while IFS=$'\t' read -r lineno inc; do
    includes_checked=$((includes_checked + 1))
    target="$(normalise "$file" "$inc")"
    [ -n "$target" ] || continue
    b="${target#modules/}"
    b="${b%%/*}"
    rest="${target#modules/"$b"/}"
    if [ -z "$owner" ]; then
      is_allowed "$rel" "$target" "$inc" ||
        violation "$rel:$lineno: includes \"$inc\", but $(dirname "$rel" | cut -d/ -f1-2)/ may not include modules (core and http sit below them: publish an event or take a callback instead)"
      continue
    fi
    [ "$b" = "$owner" ] && continue
    if [ "$rest" != "$b.hpp" ]; then
      is_allowed "$rel" "$target" "$inc" ||
        violation "$rel:$lineno: includes \"$inc\", a private file of module '$b'; include only \"modules/$b/$b.hpp\""
    fi
    if ! [[ " ${deps[$owner]:-} " == *" $b "* ]]; then
      if ! is_allowed "$rel" "$target" "$inc"; then
        if [ -n "${deps[$b]+x}" ]; then
          violation "$rel:$lineno: module '$owner' includes module '$b' but bb_module($owner ...) in CMakeLists.txt does not list it: add 'DEPENDS $b'"
        else
          violation "$rel:$lineno: module '$owner' includes \"$inc\" but there is no declared module '$b'"
        fi
      fi
    fi
  done < <(awk '
      # Skip /* ... */ blocks and // lines; print "line<TAB>path" for each #include "x" or <x>.
      {
        line = $0
        if (in_comment) { if (index(line, "*/") == 0) next; line = substr(line, index(line, "*/") + 2); in_comment = 0 }
        if (line ~ /^[ \t]*\/\*/ && index(line, "*/") == 0) { in_comment = 1; next }
        if (match(line, /^[ \t]*#[ \t]*include[ \t]*[<"][^>"]+[>"]/)) {
          s = substr(line, RSTART, RLENGTH); sub(/^[^<"]*[<"]/, "", s); sub(/[>"]$/, "", s)
          print NR "\t" s
        }
      }' "$file")
}

source_files() {  # dir
  [ -d "$1" ] || return 0
  find "$1" -type f \( -name '*.cpp' -o -name '*.hpp' -o -name '*.h' -o -name '*.cc' -o -name '*.hh' \
    -o -name '*.cxx' -o -name '*.ipp' -o -name '*.inl' -o -name '*.tpp' \) | sort
}

for dir in "$root"/src/modules/*/; do
  [ -d "$dir" ] || continue
  m="$(basename "$dir")"
  while IFS= read -r f; do check_file "$f" "$m"; done < <(source_files "$dir")
done
for dir in "$root/src/core" "$root/src/http"; do
  while IFS= read -r f; do check_file "$f" ""; done < <(source_files "$dir")
done

for key in "${!allowed[@]}"; do
  [ -n "${allowed_used[$key]:-}" ] ||
    echo "boundaries: note: tests/boundaries_todo.txt entry '$key' no longer matches anything; remove it" >&2
done

if [ "$violations" -gt 0 ]; then
  echo "boundaries: $violations violation(s) found (modules: ${#modules[@]}, includes checked: $includes_checked)" >&2
  exit 1
fi
echo "boundaries: ${#modules[@]} modules, $includes_checked includes checked, no violations"
