#!/usr/bin/env bash
# GPU smoke test of `holdup run | info | dump` on the real recorder and the
# reference workload. Exits 77 (skipped) without a GPU.
#
#   tests/tools/gpu_smoke.sh BUILD_DIR [OUT_DIR]
#
# Checks: run returns the workload's status and writes a readable trace;
# info shows no unreadable file; dump lists kernels and copies; SIGTERM
# sent to holdup reaches the workload and the trace is still readable (a
# torn tail allowed); decoding speed of the traces is printed (not asserted).
set -uo pipefail

build=${1:?usage: gpu_smoke.sh BUILD_DIR [OUT_DIR]}
out=${2:-$(mktemp -d /tmp/holdup-gpu-smoke.XXXXXX)}
mkdir -p "$out"
holdup=$build/tools/holdup/holdup
workload=$build/tools/workload/holdup-workload

if ! command -v nvidia-smi >/dev/null 2>&1 || ! nvidia-smi -L 2>/dev/null | grep -q '^GPU '; then
  echo "gpu_smoke: no GPU, skipped"
  exit 77
fi
for f in "$holdup" "$workload" "$build/src/inject/libholdup.so"; do
  [ -e "$f" ] || { echo "gpu_smoke: missing $f (build holdup, holdup-workload and holdup_inject)"; exit 1; }
done

failures=0
fail() { echo "gpu_smoke: FAIL: $*"; failures=$((failures + 1)); }

echo "== holdup run (seed-lazy) into $out/seed-lazy"
"$holdup" run --output "$out/seed-lazy" -- "$workload" --scenario seed-lazy 2> "$out/seed-lazy.stderr"
status=$?
cat "$out/seed-lazy.stderr"
[ $status -eq 0 ] || fail "holdup run exited $status"
grep -q 'holdup-.*\.trace: [0-9]* records' "$out/seed-lazy.stderr" || fail "no trace summary line"
shopt -s nullglob
traces=("$out"/seed-lazy/holdup-*.trace)
[ ${#traces[@]} -ge 1 ] || fail "no holdup-*.trace in $out/seed-lazy"

echo "== holdup info"
"$holdup" info "${traces[@]}" || fail "holdup info exited $?"
"$holdup" info --json "${traces[@]}" > "$out/info.json" || fail "holdup info --json exited $?"

echo "== holdup dump (kernels, copies, overheads; first 40 lines, sorted)"
"$holdup" dump --sorted --kind kernel,memcpy,overhead,launch --limit 40 "${traces[0]}" || fail "holdup dump exited $?"
[ "$("$holdup" dump --kind kernel "${traces[0]}" | grep -c ' kernel ')" -gt 0 ] || fail "no kernel records"
[ "$("$holdup" dump --kind memcpy "${traces[0]}" | grep -c ' memcpy ')" -gt 0 ] || fail "no memcpy records"

echo "== SIGTERM to holdup reaches the workload"
"$holdup" run --output "$out/term" -- "$workload" --scenario sm-saturated --iterations 100000 2> "$out/term.stderr" &
pid=$!
sleep 3
kill -TERM $pid
wait $pid
status=$?
cat "$out/term.stderr"
echo "holdup run exited $status after SIGTERM (the workload's own status, or 143 if the signal killed it)"
[ $status -ne 0 ] || fail "workload ended normally despite SIGTERM"
term_traces=("$out"/term/holdup-*.trace)
if [ ${#term_traces[@]} -ge 1 ]; then
  "$holdup" info "${term_traces[@]}" || fail "info on the interrupted run's trace exited $?"
else
  echo "gpu_smoke: note: the interrupted run left no trace"
fi

echo "== decoding speed (for the bench; not asserted)"
for t in "${traces[@]}" "${term_traces[@]}"; do
  start=$(date +%s.%N)
  "$holdup" dump --kind kernel --limit 1 "$t" > /dev/null   # summary pass + first chunk
  "$holdup" info "$t" > /dev/null
  end=$(date +%s.%N)
  echo "$t: $(stat -c %s "$t") bytes, info+dump $(awk "BEGIN{print $end - $start}") s"
done

echo "gpu_smoke: $failures failure(s); outputs in $out"
[ $failures -eq 0 ]
