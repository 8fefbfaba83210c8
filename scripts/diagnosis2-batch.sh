#!/usr/bin/env bash
# One GPU batch for issue 22 (and issue 21's follow-ups): the stream-order
# probe's cases recorded for fixtures (tests/gpu/run_diagnosis2.sh), the
# recorder smoke checks (new EventCall kind) and new-thread-per-iteration
# check again, and the PyTorch overhead bench. Results tarred into
# $OUT/results.tgz after each part.
#   scripts/diagnosis2-batch.sh [BUILD_DIR]
set -u
export PATH=/usr/local/cuda/bin:$PATH
B=$(realpath "${1:-.devcarry/build}")
export LD_LIBRARY_PATH=$B/lib${LD_LIBRARY_PATH:+:$LD_LIBRARY_PATH}
R=/tmp/results; rm -rf $R; mkdir -p $R
{ date -u; nvidia-smi --query-gpu=name,driver_version,uuid --format=csv; } > $R/machine.txt 2>&1
cat $R/machine.txt
snapshot() { find $R -name '*.trace' -size +3M -delete; tar czf "$OUT/results.tgz" -C /tmp results; }
echo "== diagnosis-2 probe"; timeout 120 tests/gpu/run_diagnosis2.sh "$B" $R/diagnosis2 2>&1 | tee $R/diagnosis2.log
snapshot
echo "== recorder checks"; timeout 90 tests/gpu/run_recorder_checks.sh "$B" $R/recorder > $R/recorder.log 2>&1; echo "rc=$?"; tail -8 $R/recorder.log
snapshot
left=$(( ${BATCH_BUDGET_S:-420} - SECONDS ))
if (( left > 60 )); then
  echo "== torch overhead (${left} s)"; ONLY=torch REPEATS=3 timeout "$left" bench/run_overhead.sh "$B" $R/overhead > $R/overhead.log 2>&1; echo "rc=$?"; tail -12 $R/overhead.log
fi
snapshot
ls -la "$OUT"
