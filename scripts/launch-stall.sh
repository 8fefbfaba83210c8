#!/usr/bin/env bash
# Longer runs of the launch-bound bench under holdup and the bare CUPTI floor,
# for the buffer settings that decide whether CUPTI stalls (GPU machine).
#   scripts/launch-stall.sh BUILD_DIR [SECONDS]
B=$(realpath "$1"); S=${2:-10}; LIB=$B/src/inject/libholdup.so; FLOOR=$B/bench/floor/libholdup_floor.so
BENCH=$B/bench/holdup-bench-launch
run() {  # label env...
  local label=$1; shift
  local t0=$(date +%s%N)
  out=$(cd /tmp && env "$@" timeout $((S + 15)) "$BENCH" --threads 4 --seconds "$S" 2>/tmp/stall.err)
  local rc=$? t1=$(date +%s%N)
  printf '%-40s rc=%-3s wall=%6d ms %s\n' "$label" "$rc" $(((t1 - t0) / 1000000)) "$(echo "$out" | grep -o '"ops_per_s":[0-9]*')"
  rm -f /tmp/holdup-*.trace
}
run alone X=1
run "holdup 1MiB x64" CUDA_INJECTION64_PATH=$LIB HOLDUP_BUFFER_KB=1024 HOLDUP_BUFFER_COUNT=64 HOLDUP_BUFFER_COUNT_MAX=256
run "floor 1MiB x64" CUDA_INJECTION64_PATH=$FLOOR HOLDUP_BUFFER_KB=1024 HOLDUP_BUFFER_COUNT=64 HOLDUP_BUFFER_COUNT_MAX=256
run "holdup 4MiB x8 event-ts=0" CUDA_INJECTION64_PATH=$LIB HOLDUP_EVENT_DEVICE_TIMESTAMPS=0
run "holdup 4MiB x64" CUDA_INJECTION64_PATH=$LIB HOLDUP_BUFFER_COUNT=64 HOLDUP_BUFFER_COUNT_MAX=256
run "holdup 2MiB x32" CUDA_INJECTION64_PATH=$LIB HOLDUP_BUFFER_KB=2048 HOLDUP_BUFFER_COUNT=32 HOLDUP_BUFFER_COUNT_MAX=256
run "holdup 1MiB x64 per-thread" CUDA_INJECTION64_PATH=$LIB HOLDUP_BUFFER_KB=1024 HOLDUP_BUFFER_COUNT=64 HOLDUP_BUFFER_COUNT_MAX=256 HOLDUP_PER_THREAD_BUFFERS=1
