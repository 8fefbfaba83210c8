#!/usr/bin/env bash
# Which CUPTI setting slows the launch-bound bench? (GPU machine)
#   scripts/launch-bisect.sh BUILD_DIR
B=$(realpath "$1"); LIB=$B/src/inject/libholdup.so; BENCH=$B/bench/holdup-bench-launch
run() {  # label threads env...
  local label=$1 threads=$2; shift 2
  local t0=$(date +%s.%N)
  out=$(cd /tmp && env "$@" timeout 25 "$BENCH" --threads "$threads" --seconds 0.5 2>/dev/null)
  local rc=$? t1=$(date +%s.%N)
  printf '%-40s thr=%s rc=%-3s wall=%6.2fs %s\n' "$label" "$threads" "$rc" "$(echo "$t1 - $t0" | bc)" \
    "$(echo "$out" | grep -o '"ops_per_s":[0-9.]*')"
  rm -f /tmp/holdup-*.trace
}
for thr in 1 4; do
  run alone $thr X=1
  run holdup $thr CUDA_INJECTION64_PATH=$LIB
  run "holdup -CUDA_EVENT" $thr CUDA_INJECTION64_PATH=$LIB HOLDUP_KINDS=-CUDA_EVENT
  run "holdup event-ts=0" $thr CUDA_INJECTION64_PATH=$LIB HOLDUP_EVENT_DEVICE_TIMESTAMPS=0
  run "holdup latency-ts=0" $thr CUDA_INJECTION64_PATH=$LIB HOLDUP_LATENCY_TIMESTAMPS=0
  run "holdup -SYNCHRONIZATION" $thr CUDA_INJECTION64_PATH=$LIB HOLDUP_KINDS=-SYNCHRONIZATION
  run "holdup per-thread" $thr CUDA_INJECTION64_PATH=$LIB HOLDUP_PER_THREAD_BUFFERS=1
  run "holdup -MEMCPY" $thr CUDA_INJECTION64_PATH=$LIB HOLDUP_KINDS=-MEMCPY
  run "holdup -DRIVER,-RUNTIME" $thr CUDA_INJECTION64_PATH=$LIB HOLDUP_KINDS=-DRIVER,-RUNTIME
  run "holdup -OVERHEAD" $thr CUDA_INJECTION64_PATH=$LIB HOLDUP_KINDS=-OVERHEAD
done
