#!/usr/bin/env bash
# Runs the fuzz targets of a HOLDUP_FUZZ=ON build, one at a time: first the
# inputs that once crashed each (NAME/regressions/), then SECONDS of fuzzing
# on a copy of its corpus (the committed one stays as it is). Fails when a
# target crashes, leaks, runs out of memory or hangs; the input that did it
# and the log are under BUILD/fuzz-runs/NAME/.
#
#   tests/fuzz/run_fuzzers.sh BUILD SECONDS [NAME...]    (NAME: reader model report export)
set -euo pipefail

here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
build=${1:?usage: run_fuzzers.sh BUILD SECONDS [NAME...]}
seconds=${2:?usage: run_fuzzers.sh BUILD SECONDS [NAME...]}
shift 2
targets=("$@")
[ ${#targets[@]} -gt 0 ] || targets=(reader model report export)

# Bounds for every input: memory (a length prefix must not allocate what it
# promises), time (no hang), and a cap on runs for very fast machines.
limits=(-rss_limit_mb=2048 -malloc_limit_mb=2048 -timeout=10)
export UBSAN_OPTIONS=print_stacktrace=1:halt_on_error=1

say() { printf 'fuzz: %s\n' "$*" >&2; }

for name in "${targets[@]}"; do
  exe=$build/tests/fuzz/holdup_fuzz_$name
  work=$build/fuzz-runs/$name
  rm -rf "$work"
  mkdir -p "$work/corpus" "$work/crashes"
  find "$here/$name" -maxdepth 1 -type f -exec cp {} "$work/corpus/" \;

  regressions=()
  if [ -d "$here/$name/regressions" ]; then
    while IFS= read -r -d '' f; do regressions+=("$f"); done \
      < <(find "$here/$name/regressions" -type f -print0 | sort -z)
  fi
  if [ ${#regressions[@]} -gt 0 ]; then
    if ! "$exe" "${limits[@]}" "${regressions[@]}" >"$work/regressions.log" 2>&1; then
      tail -n 40 "$work/regressions.log" >&2
      say "$name: a regression input fails again (log: $work/regressions.log)"
      exit 1
    fi
    say "$name: regression inputs pass (${#regressions[@]})"
  fi

  if ! "$exe" "${limits[@]}" -max_total_time="$seconds" -runs=$((seconds * 5000)) \
       -dict="$build/tests/fuzz/trace.dict" -artifact_prefix="$work/crashes/" -print_final_stats=1 \
       "$work/corpus" >"$work/fuzz.log" 2>&1; then
    tail -n 60 "$work/fuzz.log" >&2
    say "$name: crashed; the input is in $work/crashes/ (log: $work/fuzz.log)"
    exit 1
  fi
  runs=$(sed -n 's/^stat::number_of_executed_units: *//p' "$work/fuzz.log")
  speed=$(sed -n 's/^stat::average_exec_per_sec: *//p' "$work/fuzz.log")
  say "$name: ${seconds}s, ${runs:-?} inputs (${speed:-?}/s), no crash; corpus $(ls "$work/corpus" | wc -l) inputs"
done
