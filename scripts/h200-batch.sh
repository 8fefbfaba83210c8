#!/usr/bin/env bash
# One GPU batch on the device machine (nvidia-h200): the real-library corpus
# (tests/corpus, PyTorch) and every workload scenario, each alone and under
# holdup. Results tarred into $OUT/results.tgz; turn them into fixtures here
# with tests/corpus/make_corpus_manifest.py and tests/data/h100/make_manifest.py.
#   scripts/h200-batch.sh [BUILD_DIR] [corpus|scenarios|all]
set -u
export PATH=/usr/local/cuda/bin:$PATH
B=$(realpath "${1:-.devcarry/build}"); what=${2:-all}
# holdup (the command) links libprotobuf.so.32; carried beside the build.
export LD_LIBRARY_PATH=$B/lib${LD_LIBRARY_PATH:+:$LD_LIBRARY_PATH}
R=/tmp/results; rm -rf $R; mkdir -p $R
{ date -u; nvidia-smi --query-gpu=name,driver_version,uuid,pci.bus_id --format=csv; nvcc --version | tail -2; uname -r;
  python3 -c 'import torch; print("torch", torch.__version__)'; } > $R/machine.txt 2>&1
cat $R/machine.txt
if [ "$what" = corpus ] || [ "$what" = all ]; then
  echo "== corpus"; timeout 420 tests/corpus/run_corpus.sh "$B/tools/holdup/holdup" $R/corpus > $R/corpus.log 2>&1
  echo "rc=$?"; grep -v '^ *$' $R/corpus.log | tail -25
fi
if [ "$what" = scenarios ] || [ "$what" = all ]; then
  echo "== scenarios"; timeout 300 tools/workload/run_all_scenarios.sh "$B" $R/scen > $R/scen.log 2>&1
  echo "rc=$?"; tail -30 $R/scen.log
fi
tar czf "$OUT/results.tgz" -C /tmp results
ls -la "$OUT"
