#!/usr/bin/env bash
# GPU machine: torch.profiler started inside an app that holdup records.
#   tests/gpu/run_takeover_check.sh BUILD_DIR OUT_DIR
set -u
BUILD=$(realpath "$1"); OUT=$(realpath -m "$2"); mkdir -p "$OUT"
here=$(dirname "$0")
"$BUILD/tools/holdup/holdup" run --output "$OUT" -- python3 "$here/torch_profiler_takeover.py" > "$OUT/stdout.txt" 2> "$OUT/stderr.txt"
echo "exit code: $?"
cat "$OUT/stdout.txt"; grep -E "holdup" "$OUT/stderr.txt" | head -5
"$BUILD/tools/holdup/holdup" info "$OUT"/holdup-*.trace 2>&1 | grep -iE "warning|lost|records|callbacks" | head -10
