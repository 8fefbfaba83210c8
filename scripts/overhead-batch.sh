#!/usr/bin/env bash
# The recording-overhead batch of issue 12 on the device machine (nvidia-h200),
# in parts that each fit one call of the device tool (10 minutes):
#   scripts/overhead-batch.sh [BUILD_DIR] torch   the PyTorch loop: alone, minimal floor, holdup, torch.profiler
#   scripts/overhead-batch.sh [BUILD_DIR] torch2  the same loop: floor sets switched in one process, then more rounds
#   scripts/overhead-batch.sh [BUILD_DIR] torch-kinds  SYNCHRONIZATION and CUDA_EVENT one by one in that loop
#   scripts/overhead-batch.sh [BUILD_DIR] torch-lean    the default without SYNCHRONIZATION (event calls instead), paired
#   scripts/overhead-batch.sh [BUILD_DIR] torch-ratio   the ratio in one process: minimal, none, holdup
#   scripts/overhead-batch.sh [BUILD_DIR] torch-detached the same over the app alone in each process (CUPTI detached),
#                                                 plus whole-process alone runs to check that baseline
#   scripts/overhead-batch.sh [BUILD_DIR] torch-pinned  alone, minimal floor, holdup, every run on CPUS (2-5)
#   scripts/overhead-batch.sh [BUILD_DIR] rest    launch bench, workload, in-process CUPTI-set sweep, stress,
#                                                 and one sm-saturated trace kept for `holdup info`
# Each tars its results into $OUT/<part>.tgz (bench/overhead.py's output folder).
set -u
export PATH=/usr/local/cuda/bin:$PATH
B=$(realpath "${1:-.devcarry/build}"); part=${2:-torch}
export LD_LIBRARY_PATH=$B/lib${LD_LIBRARY_PATH:+:$LD_LIBRARY_PATH}
R=/tmp/$part; rm -rf "$R"; mkdir -p "$R"
{ date -u; nvidia-smi --query-gpu=name,driver_version,clocks.sm,clocks.max.sm --format=csv; nproc; uname -r; } \
  > "$R/machine.txt" 2>&1
cat "$R/machine.txt"
HOLDUP_COMMIT=${HOLDUP_COMMIT:-$(git rev-parse --short HEAD 2>/dev/null || echo unknown)}
export HOLDUP_COMMIT
case $part in
  torch)
    bench/run_overhead.sh "$B" "$R/ovh" --only torch --repeats 12 --torch-steps 1000 \
      --torch-modes 'alone,minimal-floor,holdup,torch.profiler' --deadline-s "${DEADLINE_S:-490}" \
      > "$R/ovh.log" 2>&1
    echo "rc=$?"; tail -12 "$R/ovh.log" ;;
  torch2)
    # In one process: the floor's minimal set against holdup's set, short blocks, many rounds (paired);
    # then more whole-process rounds of the modes that decide the target.
    bench/run_overhead.sh "$B" "$R/sweep" --only torch-kinds --sweep 'minimal;holdup;holdup-cb_launch' \
      --sweep-steps 20 --sweep-rounds 30 --sweep-repeats 4 > "$R/sweep.log" 2>&1
    echo "rc=$?"; tail -6 "$R/sweep.log"
    bench/run_overhead.sh "$B" "$R/ovh" --only torch --repeats 20 --torch-steps 1000 \
      --torch-modes 'alone,minimal-floor,holdup' --deadline-s "${DEADLINE_S:-380}" > "$R/ovh.log" 2>&1
    echo "rc=$?"; tail -8 "$R/ovh.log" ;;
  torch-kinds)
    # What in holdup's CUPTI set-up costs the PyTorch loop: SYNCHRONIZATION and CUDA_EVENT one by one
    # (together they were half of it on 2026-12-02), and whether the other half is shared by several
    # kinds (removing any one of them alone changed nothing), paired in one process (~3 min).
    bench/run_overhead.sh "$B" "$R/ovh" --only torch-kinds --sweep-steps 20 --sweep-rounds 24 --sweep-repeats 6 \
      --sweep 'minimal;holdup;holdup-SYNCHRONIZATION;holdup-CUDA_EVENT;holdup-SYNCHRONIZATION-CUDA_EVENT;minimal+SYNCHRONIZATION;minimal+CUDA_EVENT;minimal+DRIVER+STREAM+DEVICE+CONTEXT+OVERHEAD+MEMCPY2+MARKER+NAME;holdup-SYNCHRONIZATION-CUDA_EVENT-DRIVER' \
      > "$R/ovh.log" 2>&1
    echo "rc=$?"; tail -10 "$R/ovh.log" ;;
  torch-lean)
    # Since 2026-12-02 (second session) SYNCHRONIZATION is off and the event-call callbacks take its stream
    # waits: holdup's set against the minimal one, with SYNCHRONIZATION back on, and the callbacks alone.
    bench/run_overhead.sh "$B" "$R/ovh" --only torch-kinds --sweep-steps 20 --sweep-rounds 24 --sweep-repeats 5 \
      --sweep 'minimal;holdup;holdup+SYNCHRONIZATION;holdup-cb_event;minimal+cb_event' > "$R/ovh.log" 2>&1
    echo "rc=$?"; tail -8 "$R/ovh.log" ;;
  torch-ratio)
    # The `none` set (CUPTI attached, nothing enabled) stands in for alone inside each process, so holdup's
    # added cost over the minimal set's is paired round by round (overhead.py over_minimal_in_process).
    bench/run_overhead.sh "$B" "$R/ovh" --only torch-kinds --sweep-steps 20 --sweep-rounds 30 \
      --sweep-repeats "${SWEEP_REPEATS:-4}" --sweep 'minimal;none;holdup' > "$R/ovh.log" 2>&1
    echo "rc=$?"; tail -6 "$R/ovh.log" ;;
  torch-detached)
    # `detached` (cuptiFinalize between blocks, CUPTI attached again for the next set) is the app alone inside
    # each process; `none` beside it shows what attaching CUPTI costs by itself; the whole-process alone runs
    # (same command, interleaved) check the detached baseline against the real thing. SETS overrides the sets
    # (the first is the reference, the minimal one).
    bench/run_overhead.sh "$B" "$R/ovh" --only torch,torch-kinds --torch-modes "${TORCH_MODES:-alone}" --repeats "${ALONE_REPEATS:-4}" \
      --torch-steps 1000 --sweep-steps 20 --sweep-rounds "${SWEEP_ROUNDS:-30}" --sweep-repeats "${SWEEP_REPEATS:-8}" \
      --sweep "${SETS:-minimal;detached;none;holdup}" --deadline-s "${DEADLINE_S:-470}" > "$R/ovh.log" 2>&1
    echo "rc=$?"; tail -14 "$R/ovh.log" ;;
  torch-pinned)
    # The between-process spread of the loop (sd 13 % on 2026-12-02) against pinning every run to a few cores.
    bench/run_overhead.sh "$B" "$R/ovh" --only torch --repeats 20 --torch-steps 1000 --cpus "${CPUS:-2-5}" \
      --torch-modes 'alone,minimal-floor,holdup' --deadline-s "${DEADLINE_S:-300}" > "$R/ovh.log" 2>&1
    echo "rc=$?"; tail -8 "$R/ovh.log" ;;
  rest)
    sets='minimal;minimal+DRIVER;minimal+SYNCHRONIZATION;minimal+CUDA_EVENT;minimal+OVERHEAD'
    sets+=';minimal+STREAM+DEVICE+CONTEXT;minimal+cb_resource;minimal+cb_launch;minimal+cb_runtime;minimal+quiet_api'
    sets+=';holdup;holdup-cb_launch;holdup-DRIVER;holdup-cb_resource'
    bench/run_overhead.sh "$B" "$R/ovh" --only launch,seed-lazy,sm-saturated,launch-kinds,stress \
      --launch-repeats 15 --launch-modes 'alone,minimal-floor,floor,holdup' \
      --workload-repeats 5 --workload-modes 'alone,minimal-floor,floor,holdup' \
      --sweep "$sets" --sweep-repeats 2 --sweep-rounds 8 --stress-repeats 2 --deadline-s "${DEADLINE_S:-400}" \
      > "$R/ovh.log" 2>&1
    echo "rc=$?"; tail -12 "$R/ovh.log"
    # One sm-saturated trace for the record that read as ending at 2^64-1 ns (bench/RESULTS.md).
    mkdir -p "$R/smsat"
    CUDA_INJECTION64_PATH=$B/src/inject/libholdup.so HOLDUP_OUTPUT=$R/smsat \
      "$B/tools/workload/holdup-workload" --scenario sm-saturated --no-events --iterations 150 \
      --json "$R/smsat/workload.json" > "$R/smsat/stdout.txt" 2>&1
    "$B/tools/holdup/holdup" info "$R"/smsat/*.trace > "$R/smsat/info.txt" 2>&1
    tail -20 "$R/smsat/info.txt" ;;
  *) echo "usage: $0 [BUILD_DIR] torch|torch2|torch-kinds|torch-lean|torch-ratio|torch-detached|torch-pinned|rest" >&2; exit 2 ;;
esac
tar czf "$OUT/$part.tgz" -C /tmp "$part"
ls -la "$OUT"
