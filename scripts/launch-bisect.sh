#!/usr/bin/env bash
# Which CUPTI setting slows or stalls the launch-bound bench? (GPU machine)
#   scripts/launch-bisect.sh BUILD_DIR
B=$(realpath "$1"); LIB=$B/src/inject/libholdup.so; FLOOR=$B/bench/floor/libholdup_floor.so
BENCH=$B/bench/holdup-bench-launch
run() {  # label threads seconds env...
  local label=$1 threads=$2 secs=$3; shift 3
  local t0=$(date +%s%N)
  out=$(cd /tmp && env "$@" timeout 20 "$BENCH" --threads "$threads" --seconds "$secs" 2>/tmp/bisect.err)
  local rc=$? t1=$(date +%s%N)
  printf '%-34s thr=%s s=%-4s rc=%-3s wall=%6d ms %s %s\n' "$label" "$threads" "$secs" "$rc" $(((t1 - t0) / 1000000)) \
    "$(echo "$out" | grep -o '"ops_per_s":[0-9]*')" "$(grep -m1 -o 'holdup.*' /tmp/bisect.err | head -c 120)"
  rm -f /tmp/holdup-*.trace
}
for s in 1 2 3; do
  run alone 4 $s X=1
  run holdup 4 $s CUDA_INJECTION64_PATH=$LIB
  run floor 4 $s CUDA_INJECTION64_PATH=$FLOOR
done
run "holdup flush 60s" 4 3 CUDA_INJECTION64_PATH=$LIB HOLDUP_FLUSH_MS=60000
run "floor flush 60s" 4 3 CUDA_INJECTION64_PATH=$FLOOR HOLDUP_FLUSH_MS=60000
run "holdup 1 thread" 1 3 CUDA_INJECTION64_PATH=$LIB
run "holdup -CUDA_EVENT" 4 3 CUDA_INJECTION64_PATH=$LIB HOLDUP_KINDS=-CUDA_EVENT
run "holdup -RUNTIME,-DRIVER" 4 3 CUDA_INJECTION64_PATH=$LIB HOLDUP_KINDS=-RUNTIME,-DRIVER
run "holdup buffers 64x1MiB" 4 3 CUDA_INJECTION64_PATH=$LIB HOLDUP_BUFFER_KB=1024 HOLDUP_BUFFER_COUNT=64
