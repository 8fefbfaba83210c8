#!/usr/bin/env bash
# Recording overhead on the GPU (issue 5), one command for the whole table:
#   bench/run_overhead.sh BUILD_DIR OUT_DIR [overhead.py options]
# BUILD_DIR holds src/inject/libholdup.so, tools/holdup/holdup,
# tools/workload/holdup-workload, bench/floor/libholdup_floor.so and
# bench/holdup-bench-launch (a build tree or .devcarry/build). Run from
# anywhere; bench/torch_train.py is taken from this checkout. Without a GPU it
# prints "no GPU: skipped" and exits 0. Knobs (env or options): REPEATS=3,
# LAUNCH_REPEATS=5, LAUNCH_SECONDS=3, LAUNCH_THREADS=4, WL_SHORT=2, WL_LONG=32,
# TORCH_STEPS=300, TORCH_PYTHON, ONLY=seed-lazy,sm-saturated,launch,torch;
# --dry-run prints the plan and the time estimate.
set -euo pipefail
if [ $# -lt 2 ]; then
  echo "usage: $0 BUILD_DIR OUT_DIR [--dry-run] [overhead.py options]" >&2
  exit 2
fi
export PATH=/usr/local/cuda/bin:$PATH
exec python3 "$(dirname "$0")/overhead.py" "$@"
