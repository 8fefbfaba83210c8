#!/usr/bin/env bash
# Runs every holdup-workload scenario, and its remedy (A/B partner), alone and
# under `holdup run` when BIN_DIR/holdup exists, on one GPU. Writes the
# workload's JSON (its own event-based truth) beside the traces and prints a
# table at the end. Meant for one H100; a few minutes in all.
#
# usage: run_all_scenarios.sh BIN_DIR OUT_DIR [SCENARIO...]
#   BIN_DIR  an install's bin/ (holdup-workload and holdup side by side) or a
#            build folder (tools/workload/holdup-workload, tools/holdup/holdup);
#            HOLDUP=/path/to/holdup overrides where holdup is looked for
#   OUT_DIR  created; per scenario and variant:
#            OUT_DIR/<scenario>[+remedy]/alone.json, alone.log,
#            holdup.json, holdup.log, trace/ (holdup run --output)
# Environment: ITERATIONS (4), KERNEL_US (3000), TIMEOUT_S (10), RUN_LIMIT_S (120).
set -u

if [ $# -lt 2 ]; then
  echo "usage: $0 BIN_DIR OUT_DIR [SCENARIO...]" >&2
  exit 2
fi
bin_dir=$(cd "$1" && pwd) || { echo "$0: no such folder: $1" >&2; exit 2; }
out_dir=$2
shift 2
first_executable() {
  for candidate in "$@"; do
    if [ -x "$candidate" ] && [ -f "$candidate" ]; then
      echo "$candidate"
      return
    fi
  done
  echo "$1"
}
workload=$(first_executable "$bin_dir/holdup-workload" "$bin_dir/tools/workload/holdup-workload")
holdup=${HOLDUP:-$(first_executable "$bin_dir/holdup" "$bin_dir/tools/holdup/holdup" "$bin_dir/../holdup/holdup")}
if [ ! -x "$workload" ]; then
  echo "$0: $workload not found or not executable (build the holdup-workload target)" >&2
  exit 2
fi
mkdir -p "$out_dir" && out_dir=$(cd "$out_dir" && pwd)

iterations=${ITERATIONS:-4}
kernel_us=${KERNEL_US:-3000}
timeout_s=${TIMEOUT_S:-10}
run_limit_s=${RUN_LIMIT_S:-120}
common=(--iterations "$iterations" --kernel-us "$kernel_us" --timeout-s "$timeout_s")

if [ $# -gt 0 ]; then
  scenarios=("$@")
else
  mapfile -t scenarios < <("$workload" --list-scenarios | awk 'NR > 1 { print $1 }')
fi

have_holdup=0
if [ -x "$holdup" ]; then
  have_holdup=1
else
  echo "note: $holdup not found: running the workload alone only" >&2
fi

failures=0
ran=()  # variant names, in order, for the table
# run_variant NAME MODE ARGS...: one run, its log and JSON in OUT_DIR/NAME/.
run_variant() {
  local name=$1 mode=$2
  shift 2
  local dir="$out_dir/$name"
  mkdir -p "$dir"
  local json="$dir/$mode.json" log="$dir/$mode.log"
  rm -f "$json"
  local command=("$workload" "$@" "${common[@]}" --json "$json")
  if [ "$mode" = holdup ]; then
    rm -rf "$dir/trace"
    command=("$holdup" run --output "$dir/trace" -- "${command[@]}")
  fi
  printf '%s\n' "${command[*]}" >"$log"
  local start=$SECONDS
  timeout --kill-after=10 "$run_limit_s" "${command[@]}" >>"$log" 2>&1
  local rc=$?
  echo "exit $rc after $((SECONDS - start)) s" >>"$log"
  printf '%-34s %-6s exit %d (%d s)\n' "$name" "$mode" "$rc" $((SECONDS - start))
  if [ $rc -ne 0 ]; then
    failures=$((failures + 1))
    tail -n 5 "$log" | sed 's/^/    /'
  fi
}

for scenario in "${scenarios[@]}"; do
  remedy=$("$workload" --scenario "$scenario" --print-remedy) || { failures=$((failures + 1)); continue; }
  variants=("$scenario")
  [ -n "$remedy" ] && variants+=("$scenario+remedy")
  for name in "${variants[@]}"; do
    ran+=("$name")
    args=(--scenario "$scenario")
    # shellcheck disable=SC2206 # the remedy is a list of plain option words
    [ "$name" != "$scenario" ] && args+=($remedy)
    run_variant "$name" alone "${args[@]}"
    [ $have_holdup -eq 1 ] && run_variant "$name" holdup "${args[@]}"
  done
done

echo
python3 - "$out_dir" "${ran[@]}" <<'PYTHON'
import json, os, sys

out_dir = sys.argv[1]
rows = []
for name in sys.argv[2:]:
    for mode in ("alone", "holdup"):
        path = os.path.join(out_dir, name, mode + ".json")
        if not os.path.isdir(os.path.join(out_dir, name)):
            continue
        if not os.path.exists(path):
            if os.path.exists(os.path.join(out_dir, name, mode + ".log")):
                rows.append((name, mode, "FAILED", "", "", "", ""))
            continue
        with open(path) as f:
            doc = json.load(f)
        held = judged = 0
        finish, hold, api = [], [], []
        for proc in doc.get("processes", []):
            s = proc["summary"]
            held += s["held_iterations"]
            judged += s["judged_iterations"]
            if s["finish_after_issue_median_us"] is not None:
                finish.append(s["finish_after_issue_median_us"])
            if s["hold_median_us"] is not None:
                hold.append(s["hold_median_us"])
            api += [it["copy_api_us"] for it in proc["iterations"]]
        fmt = lambda v: "%.0f" % max(v) if v else "?"
        rows.append((name, mode, "yes" if held else "no", "%d/%d" % (held, judged), fmt(finish), fmt(hold), fmt(api)))

header = ("scenario", "mode", "held", "iters", "finish-after-issue us", "hold us", "max api us")
widths = [max(len(str(r[i])) for r in rows + [header]) for i in range(len(header))]
print("  ".join(h.ljust(w) for h, w in zip(header, widths)))
for row in rows:
    print("  ".join(str(c).ljust(w) for c, w in zip(row, widths)))
print("\n(medians per process, worst process shown; held = the workload's own events: copy finished"
      " > max(100 us, half its length) later than alone)")
PYTHON

echo "failed runs: $failures"
[ $failures -eq 0 ]
