#!/usr/bin/env bash
# GPU machine: CUDA graphs, the cudaProfilerStart/Stop range and a forked
# child that initializes CUDA, each recorded by `holdup run` and checked
# through `holdup dump` and protoc's decoding of the trace.
#   tests/gpu/run_recorder_extras.sh BUILD_DIR OUT_DIR
set -u
B=$(realpath "$1"); OUT=$(realpath -m "$2"); mkdir -p "$OUT"
holdup=$B/tools/holdup/holdup; prog=$B/tests/inject/gpu/holdup_recorder_extras
proto=$(cd "$(dirname "$0")/../../proto" && pwd)
failures=0
check() { if eval "$2"; then echo "ok    $1"; else echo "FAIL  $1"; failures=$((failures + 1)); fi; }
decode() { protoc --proto_path="$proto" --decode=holdup.proto.TraceFile holdup/trace.proto < "$1"; }

"$holdup" run --output "$OUT/graph" -- "$prog" graph > "$OUT/graph.log" 2>&1
g=$(ls "$OUT"/graph/holdup-*.trace | head -1); decode "$g" > "$OUT/graph.txt"
check "graph: 3 graph-launched kernels" '[ "$("$holdup" dump --kind kernel "$g" | grep -c graph_kernel)" -eq 3 ]'
check "graph: kernel and copy records carry a graph id" '[ "$(grep -c "graph_id: [1-9]" "$OUT/graph.txt")" -ge 6 ]'
check "graph: cudaGraphLaunch API records present" '"$holdup" dump --kind api "$g" | grep -q cudaGraphLaunch'
"$holdup" report "$g" > "$OUT/graph.report" 2>&1; report_rc=$?
check "graph: report runs" '[ $report_rc -eq 0 ]'
grep -E "copies|issued by" "$OUT/graph.report" | head -3

HOLDUP_PROFILER_API=1 "$holdup" run --output "$OUT/range" -- "$prog" profiler-range > "$OUT/range.log" 2>&1
r=$(ls "$OUT"/range/holdup-*.trace | head -1); "$holdup" dump --kind kernel "$r" > "$OUT/range.kernels"
check "profiler range: 3 kernels inside" '[ "$(grep -c inside_range_kernel "$OUT/range.kernels")" -eq 3 ]'
check "profiler range: none before or after" '! grep -qE "before_range_kernel|after_range_kernel" "$OUT/range.kernels"'

"$holdup" run --output "$OUT/fork" -- "$prog" fork > "$OUT/fork.log" 2>&1
check "fork: two traces (child and parent)" '[ "$(ls "$OUT"/fork/holdup-*.trace | wc -l)" -eq 2 ]'
check "fork: child kernel in one, parent kernel in the other" \
  '[ "$(for t in "$OUT"/fork/holdup-*.trace; do "$holdup" dump --kind kernel "$t" | grep -oE "child_kernel|parent_kernel" | sort -u; done | sort | tr "\n" " ")" = "child_kernel parent_kernel " ]'
"$holdup" info "$OUT"/fork/holdup-*.trace 2>&1 | grep -E "pid|WARNING|complete" | head -6
echo "extras: $failures failed"
[ $failures -eq 0 ]
