#!/usr/bin/env bash
# One GPU batch on the device machine for issue 21 (integrity): the new
# recorder against the landed one (00bba72, carried as .devcarry/old/
# libholdup.so) on a deep launch queue and a PyTorch GEMM loop, normal ends
# and SIGKILLs (tests/gpu/run_integrity_checks.sh); the crash table
# (tests/gpu/run_crash_checks.sh), the launch-bound overhead bench and the
# recorder smoke checks (tests/gpu/run_recorder_checks.sh) with the new one. Everything tarred
# into $OUT/results.tgz.
#   scripts/integrity-batch.sh [BUILD_DIR]
set -u
export PATH=/usr/local/cuda/bin:$PATH
B=$(realpath "${1:-.devcarry/build}")
export LD_LIBRARY_PATH=$B/lib${LD_LIBRARY_PATH:+:$LD_LIBRARY_PATH}
R=/tmp/results; rm -rf $R; mkdir -p $R
{ date -u; nvidia-smi --query-gpu=name,driver_version,uuid --format=csv; cat /proc/driver/nvidia/version; } > $R/machine.txt 2>&1
cat $R/machine.txt
old=$(realpath -m .devcarry/old/libholdup.so)
echo "== integrity"; DEEP_ITERATIONS=${DEEP_ITERATIONS:-3000} GEMM_STEPS=${GEMM_STEPS:-300} timeout ${INTEGRITY_S:-300} tests/gpu/run_integrity_checks.sh "$B" $R/integrity "$old" 2>&1 | tee $R/integrity.log | tail -30
# What is done so far comes back even if the device time runs out later.
snapshot() { find $R -name '*.trace' -size +3M -delete; tar czf "$OUT/results.tgz" -C /tmp results; }
snapshot
echo "== recorder checks"; timeout 60 tests/gpu/run_recorder_checks.sh "$B" $R/recorder > $R/recorder.log 2>&1; echo "rc=$?"; tail -8 $R/recorder.log
snapshot
echo "== launch overhead"; ONLY=launch LAUNCH_REPEATS=3 timeout 70 bench/run_overhead.sh "$B" $R/overhead > $R/overhead.log 2>&1; echo "rc=$?"; tail -12 $R/overhead.log
snapshot
# The crash table with what time is left (BATCH_BUDGET_S, default 440).
left=$(( ${BATCH_BUDGET_S:-440} - SECONDS ))
if (( left > 60 )); then
  echo "== crash checks (${left} s)"; timeout "$left" tests/gpu/run_crash_checks.sh "$B" $R/crash > $R/crash.log 2>&1; echo "rc=$?"; tail -16 $R/crash.log
fi
snapshot
ls -la "$OUT"
