#!/usr/bin/env bash
# Media worker speed: `backbeat media-worker preview` (decode, resample to 44.1 kHz stereo, peaks,
# loudness, MP3 128k via libmp3lame) of a 3-minute stereo 44.1 kHz WAV, against the ffmpeg tool
# doing the same decode + encode:  ffmpeg -i in.wav -ar 44100 -ac 2 -b:a 128k out.mp3
# Prints both medians and the ratio; the target is ratio <= 1.2 (exit 1 when it is missed).
# Uses hyperfine when installed, else BENCH_RUNS alternating runs of each timed with date +%s.%N.
# Usage: bench/media.sh            env: BACKBEAT_BIN (default build/backbeat), BENCH_RUNS (default 5)
set -euo pipefail

root=$(cd "$(dirname "$0")/.." && pwd)
BIN=${BACKBEAT_BIN:-$root/build/backbeat}
RUNS=${BENCH_RUNS:-5}
TARGET=1.2
command -v ffmpeg >/dev/null || { echo "bench: ffmpeg is required (scripts/setup.sh test installs it)" >&2; exit 1; }
[ -x "$BIN" ] || { echo "bench: $BIN not found; build it first (make build)" >&2; exit 1; }

tmp=$(mktemp -d "${TMPDIR:-/tmp}/backbeat-media-bench.XXXXXX")
trap 'rm -rf "$tmp"' EXIT

# A 220 Hz tone under pink noise: real work for the encoder, unlike digital silence.
ffmpeg -nostdin -y -loglevel error \
  -f lavfi -i "sine=frequency=220:sample_rate=44100:duration=180" \
  -f lavfi -i "anoisesrc=sample_rate=44100:duration=180:amplitude=0.2:color=pink" \
  -filter_complex "[0][1]amix=inputs=2,aformat=sample_fmts=s16:channel_layouts=stereo" \
  -ar 44100 -ac 2 -c:a pcm_s16le "$tmp/in.wav"

ours=("$BIN" media-worker preview --input "$tmp/in.wav" --output "$tmp/ours.mp3")
theirs=(ffmpeg -nostdin -y -loglevel error -i "$tmp/in.wav" -ar 44100 -ac 2 -b:a 128k "$tmp/ffmpeg.mp3")

# One checked run of each, which also warms the page cache.
answer=$("${ours[@]}")
case "$answer" in
  '{"ok":true'*) ;;
  *) echo "bench: the media worker failed: $answer" >&2; exit 1 ;;
esac
"${theirs[@]}"

median() { sort -g | awk '{ v[NR] = $1 } END { if (NR % 2) print v[(NR + 1) / 2]; else print (v[NR / 2] + v[NR / 2 + 1]) / 2 }'; }

if command -v hyperfine >/dev/null && command -v jq >/dev/null; then
  hyperfine --style none --runs "$RUNS" --export-json "$tmp/runs.json" \
    -n backbeat "$(printf '%q ' "${ours[@]}")" -n ffmpeg "$(printf '%q ' "${theirs[@]}")" >/dev/null
  ours_s=$(jq -r '.results[] | select(.command == "backbeat") | .median' "$tmp/runs.json")
  theirs_s=$(jq -r '.results[] | select(.command == "ffmpeg") | .median' "$tmp/runs.json")
  how="hyperfine, median of $RUNS"
else
  : >"$tmp/ours.times"
  : >"$tmp/theirs.times"
  for _ in $(seq 1 "$RUNS"); do  # alternating, so drift in machine load hits both alike
    start=$(date +%s.%N); "${ours[@]}" >/dev/null; end=$(date +%s.%N)
    awk -v a="$start" -v b="$end" 'BEGIN { printf "%.4f\n", b - a }' >>"$tmp/ours.times"
    start=$(date +%s.%N); "${theirs[@]}"; end=$(date +%s.%N)
    awk -v a="$start" -v b="$end" 'BEGIN { printf "%.4f\n", b - a }' >>"$tmp/theirs.times"
  done
  ours_s=$(median <"$tmp/ours.times")
  theirs_s=$(median <"$tmp/theirs.times")
  how="date loop, median of $RUNS"
fi

ratio=$(awk -v a="$ours_s" -v b="$theirs_s" 'BEGIN { printf "%.3f", a / b }')
printf 'media preview of a 3-minute stereo 44.1 kHz WAV (%s)\n' "$how"
printf '  %-44s %8.3f s\n' "backbeat media-worker preview" "$ours_s"
printf '  %-44s %8.3f s\n' "ffmpeg -ar 44100 -ac 2 -b:a 128k" "$theirs_s"
printf '  %-44s %8s   (target <= %s)\n' "ratio" "$ratio" "$TARGET"
awk -v r="$ratio" -v t="$TARGET" 'BEGIN { exit !(r <= t) }' || { echo "bench: preview is slower than the target" >&2; exit 1; }
