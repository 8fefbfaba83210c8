#!/usr/bin/env bash
# Runs the recorder's GPU proofs on a machine with a GPU (the lead's H100 run):
#
#   tests/gpu/run_recorder_checks.sh BUILD_DIR OUT_DIR
#
# 1. recorder_smoke under libholdup.so (HOLDUP_DUMP_RAW_DIR set too, so the
#    run leaves raw CUPTI dumps for tests/data/raw/ fixtures),
# 2. the trace checker (ctest holdup_recorder_gpu_check),
# 3. thread_per_iteration without and with holdup (copy finish delay).
# Everything lands in OUT_DIR; a short table is printed at the end.
set -u
BUILD=$(realpath "${1:?usage: $0 BUILD_DIR OUT_DIR}")
OUT=$(realpath -m "${2:?usage: $0 BUILD_DIR OUT_DIR}")
LIB=$BUILD/src/inject/libholdup.so
GPU=$BUILD/tests/inject/gpu
mkdir -p "$OUT/smoke" "$OUT/raw" "$OUT/tpi"
# NVTX reaches CUPTI only through NVTX_INJECTION64_PATH (holdup run sets it).
export NVTX_INJECTION64_PATH=${NVTX_INJECTION64_PATH:-$(ldd "$LIB" | awk '/libcupti/ {print $3; exit}')}
for f in "$LIB" "$GPU/holdup_recorder_smoke" "$GPU/holdup_thread_per_iteration" "$GPU/holdup_recorder_gpu_check"; do
  [[ -e $f ]] || { echo "missing $f: build with ninja -C $BUILD holdup_inject holdup_recorder_smoke holdup_thread_per_iteration holdup_recorder_gpu_check" >&2; exit 2; }
done

echo "== recorder_smoke under holdup"
CUDA_INJECTION64_PATH=$LIB HOLDUP_OUTPUT=$OUT/smoke HOLDUP_DUMP_RAW_DIR=$OUT/raw HOLDUP_LOG=info \
  "$GPU/holdup_recorder_smoke" "$OUT/smoke/smoke.json" 2>&1 | tee "$OUT/smoke/stderr.txt"
smoke_rc=${PIPESTATUS[0]}
ls -l "$OUT/smoke" "$OUT/raw"

echo "== trace checker"
HOLDUP_GPU_TRACE_DIR=$OUT/smoke "$GPU/holdup_recorder_gpu_check" 2>&1 | tee "$OUT/smoke/check.txt"
check_rc=${PIPESTATUS[0]}
if command -v protoc >/dev/null; then
  for t in "$OUT"/smoke/*.trace; do
    protoc --proto_path="$(dirname "$0")/../../proto" --decode=holdup.proto.TraceFile holdup/trace.proto < "$t" > "$t.txt" 2>&1
  done
fi

echo "== thread_per_iteration"
"$GPU/holdup_thread_per_iteration" 300 > "$OUT/tpi/none.json"
CUDA_INJECTION64_PATH=$LIB HOLDUP_OUTPUT=$OUT/tpi "$GPU/holdup_thread_per_iteration" 300 > "$OUT/tpi/holdup.json"
CUDA_INJECTION64_PATH=$LIB HOLDUP_OUTPUT=$OUT/tpi HOLDUP_PER_THREAD_BUFFERS=1 \
  "$GPU/holdup_thread_per_iteration" 300 > "$OUT/tpi/holdup_per_thread.json"

echo
echo "== summary"
printf '%-34s %s\n' "recorder_smoke exit code" "$smoke_rc"
printf '%-34s %s\n' "trace checker exit code" "$check_rc"
printf '%-34s %s\n' "raw dumps" "$(ls "$OUT"/raw/*.cupti-raw 2>/dev/null | wc -l)"
printf '%-34s %s\n' "tpi: no profiler" "$(cat "$OUT/tpi/none.json")"
printf '%-34s %s\n' "tpi: holdup" "$(cat "$OUT/tpi/holdup.json")"
printf '%-34s %s\n' "tpi: holdup, per-thread buffers" "$(cat "$OUT/tpi/holdup_per_thread.json")"
echo "(holdup passes the overhead check when its median and p99 are within 0.1 ms of 'no profiler')"
[[ $smoke_rc == 0 && $check_rc == 0 ]]
