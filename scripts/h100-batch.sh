#!/usr/bin/env bash
# One GPU batch on the device machine: recorder proofs, every workload
# scenario under holdup, verdict table. Results tarred into $OUT.
#   scripts/h100-batch.sh BUILD_DIR [SCENARIO...]
set -u
export PATH=/usr/local/cuda/bin:$PATH
B=$(realpath "${1:-.devcarry/build}"); shift || true
R=/tmp/results; rm -rf $R; mkdir -p $R
{ date -u; nvidia-smi --query-gpu=name,driver_version,uuid,pci.bus_id --format=csv; nvcc --version | tail -2; uname -r; } > $R/machine.txt 2>&1
cat $R/machine.txt
echo "== recorder checks"; timeout 120 tests/gpu/run_recorder_checks.sh "$B" $R/recorder > $R/recorder.log 2>&1; echo "rc=$?"
tail -12 $R/recorder.log
echo "== cli smoke"; timeout 90 tests/tools/gpu_smoke.sh "$B" $R/cli > $R/cli.log 2>&1; echo "rc=$?"; tail -5 $R/cli.log
echo "== scenarios"; timeout 300 tools/workload/run_all_scenarios.sh "$B" $R/scen "$@" > $R/scen.log 2>&1; echo "rc=$?"
tail -45 $R/scen.log
# Back here: copy each $R/scen/<scenario>/trace into <root>/h100/<scenario>/, with holdup.json as
# workload.json and alone.json as workload-alone.json, and
# write <root>/MANIFEST.json with tests/data/h100/make_manifest.py --holdup BIN <root> (truth from the workload's events);
# HOLDUP_TEST_DATA_DIR=<that root> runs the fixture test against it.
tar czf "$OUT/results.tgz" -C /tmp results
ls -la "$OUT"
