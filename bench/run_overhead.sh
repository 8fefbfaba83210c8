#!/usr/bin/env bash
# Recording overhead on the GPU (issues 5 and 12), one command for the whole
# table:
#   bench/run_overhead.sh BUILD_DIR OUT_DIR [overhead.py options]
# BUILD_DIR holds src/inject/libholdup.so, tools/holdup/holdup,
# tools/workload/holdup-workload, bench/floor/libholdup_floor.so and
# bench/holdup-bench-launch (a build tree or .devcarry/build). Run from
# anywhere; bench/torch_train.py is taken from this checkout. Without a GPU it
# prints "no GPU: skipped" and exits 0. Knobs (env or options, see
# overhead.py --help): REPEATS=3 (torch), WL_REPEATS=5, LAUNCH_REPEATS=5,
# LAUNCH_SECONDS=2, LAUNCH_THREADS=4, WL_ITERATIONS=150, TORCH_STEPS=1500 (timed steps, in blocks of 50),
# LAUNCH_MODES, TORCH_MODES, WL_MODES, SWEEP (floor sets), SWEEP_ROUNDS=5,
# STRESS_THREADS=8, DEADLINE_S, TORCH_PYTHON, CPUS (taskset -c for every run),
# ONLY=seed-lazy,sm-saturated,launch,torch,launch-kinds,torch-kinds,stress;
# --dry-run prints the plan and the time estimate.
set -euo pipefail
if [ $# -lt 2 ]; then
  echo "usage: $0 BUILD_DIR OUT_DIR [--dry-run] [overhead.py options]" >&2
  exit 2
fi
export PATH=/usr/local/cuda/bin:$PATH
exec python3 "$(dirname "$0")/overhead.py" "$@"
