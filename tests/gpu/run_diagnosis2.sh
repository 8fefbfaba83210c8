#!/usr/bin/env bash
# GPU machine (issue 22): records tests/gpu/stream_order_probe's cases (host-func,
# graph-copy, time-slice, context-hold: written 2026-12-07) under
# `holdup run` and keeps, per case, the trace, the program's own truth
# (its JSON line) and holdup's report, for fixtures in tests/data.
#
#   tests/gpu/run_diagnosis2.sh BUILD_DIR OUT_DIR
#
# CASES (default: all four) picks cases. Skips (exit 0) where nvidia-smi finds no GPU.
set -u
if ! command -v nvidia-smi >/dev/null 2>&1 || ! nvidia-smi -L 2>/dev/null | grep -q '^GPU '; then
  echo "run_diagnosis2: no GPU found by nvidia-smi -L: skipped"
  exit 0
fi
B=$(realpath "${1:?usage: $0 BUILD_DIR OUT_DIR}")
OUT=$(realpath -m "${2:?usage: $0 BUILD_DIR OUT_DIR}")
holdup=$B/tools/holdup/holdup
probe=$B/tests/inject/gpu/holdup_stream_order_probe
mkdir -p "$OUT"
{
  echo "date: $(date -u '+%Y-%m-%d %H:%M UTC')"
  nvidia-smi --query-gpu=name,driver_version,uuid --format=csv,noheader | head -1 | sed 's/^/gpu: /'
} | tee "$OUT/machine.txt"
for case in ${CASES:-host-func graph-copy time-slice context-hold}; do
  dir=$OUT/$case
  rm -rf "$dir" && mkdir -p "$dir/trace"
  "$holdup" run --output "$dir/trace" -- "$probe" "$case" --iterations "${ITERATIONS:-12}" > "$dir/truth.json" 2> "$dir/run.err"
  echo "$case: exit $? ($(wc -c < "$dir/truth.json") bytes of truth)"
  "$holdup" report --json "$dir/trace" > "$dir/report.json" 2> "$dir/report.err"
  "$holdup" report --no-histograms --top 3 "$dir/trace" > "$dir/report.txt" 2>&1
  head -12 "$dir/report.txt"
  # The recorder's HOST_FUNC EventCalls (one per cudaLaunchHostFunc) and the
  # records that contradict their stream, as the analysis counts them.
  echo "  HOST_FUNC event calls: $(for t in "$dir"/trace/*.trace; do "$holdup" dump --kind event-call "$t"; done 2>/dev/null | grep -c HOST_FUNC)"
  python3 -c 'import json,sys; r=json.load(open(sys.argv[1])); s=r["summary"]; print("  copies", s["copies"], "flagged", s["flagged"], "behind host function", s.get("behind_host_function"), "contradicting", s.get("contradicting"))' "$dir/report.json" 2>/dev/null
  # Alone: the program's own truth without a recorder.
  "$probe" "$case" --iterations "${ITERATIONS:-12}" > "$dir/truth-alone.json" 2>&1
done
