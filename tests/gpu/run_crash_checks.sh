#!/usr/bin/env bash
# GPU machine: what a trace keeps when the process is killed or crashes
# (docs/crash-safety.md).
#
#   tests/gpu/run_crash_checks.sh BUILD_DIR OUT_DIR [SEED]
#
# For a low-rate program (two 2 ms kernels and a copy every ~5 ms) and a
# high-rate one (empty kernels back to back, >100k records/s), both
# tests/gpu/crash_probe.cu, each under `holdup run`: ended after a random
# time T (2-5 s after its loop started) by SIGKILL (to the app), SIGTERM and
# SIGINT (to `holdup run`, which forwards them), SIGSEGV and SIGABRT (the
# app raises them itself at T); and an uninterrupted run of T seconds for
# comparison. Prints a table (also OUT_DIR/crash-table.md): records kept
# against the uninterrupted run, the GPU time lost (from the last recovered
# GPU end to the signal, on CUPTI's realtime clock), the exit status, and
# the recorder's forced flushes, incomplete records and final flush.
# Skips (exit 0) where `nvidia-smi -L` finds no GPU; exit 1 if an ending
# missed its expectation (exit status 128+N; SIGKILL: at most
# HOLDUP_MAX_LOSS_MS + 250 ms lost; others: a final flush at that signal).
set -u
if ! command -v nvidia-smi >/dev/null 2>&1 || ! nvidia-smi -L 2>/dev/null | grep -q '^GPU '; then
  echo "run_crash_checks: no GPU found by nvidia-smi -L: skipped"
  exit 0
fi
B=$(realpath "${1:?usage: $0 BUILD_DIR OUT_DIR [SEED]}")
OUT=$(realpath -m "${2:?usage: $0 BUILD_DIR OUT_DIR [SEED]}")
RANDOM=${3:-$$}
holdup=$B/tools/holdup/holdup
probe=$B/tests/inject/gpu/holdup_crash_probe
export HOLDUP_LIB=$B/src/inject/libholdup.so
for f in "$holdup" "$probe" "$HOLDUP_LIB"; do
  [[ -x $f || -f $f ]] || { echo "missing $f: build with: cmake --build $B --target holdup holdup_inject crash_probe" >&2; exit 2; }
done
command -v python3 >/dev/null || { echo "run_crash_checks: python3 is needed for the table" >&2; exit 2; }
mkdir -p "$OUT"
ulimit -c 0  # SIGSEGV/SIGABRT endings: no core files
# Job control: background jobs keep SIGINT at its default (a non-interactive
# shell would start them with SIGINT ignored, and holdup keeps it ignored).
set -m
max_loss_ms=${HOLDUP_MAX_LOSS_MS:-1000}

{
  echo "date: $(date -u '+%Y-%m-%d %H:%M UTC')"
  nvidia-smi --query-gpu=name,driver_version --format=csv,noheader | head -1 | sed 's/^/gpu: /'
  echo "max_loss_ms: $max_loss_ms"
} | tee "$OUT/machine.txt"

now_ns() { date +%s%N; }

# The pid of the child of process $1 (`holdup run`'s child: the app).
child_of() {
  local parent=$1 p stat fields
  for p in /proc/[0-9]*; do
    stat=$(cat "$p/stat" 2>/dev/null) || continue
    stat=${stat##*) }  # after "pid (comm) ": state, ppid, ...
    read -r -a fields <<< "$stat"
    if [[ ${fields[1]:-} == "$parent" ]]; then
      echo "${p#/proc/}"
      return 0
    fi
  done
  return 1
}

# Waits up to 90 s for the app's loop to start; echoes loop_start_ns.
wait_loop_start() {
  local marker=$1 pid=$2 i
  for ((i = 0; i < 4500; ++i)); do
    if grep -q '^loop_start_ns' "$marker" 2>/dev/null; then
      awk '/^loop_start_ns/ {print $2}' "$marker"
      return 0
    fi
    kill -0 "$pid" 2>/dev/null || return 1
    sleep 0.02
  done
  return 1
}

# run_one MODE ENDING T_MS: one run, its facts appended to runs.jsonl.
run_one() {
  local mode=$1 ending=$2 t_ms=$3
  local dir=$OUT/$mode-$ending
  rm -rf "$dir" && mkdir -p "$dir/trace"
  local marker=$dir/marker.txt seconds
  seconds=$(printf '%d.%03d' $((t_ms / 1000)) $((t_ms % 1000)))
  local args=("$mode" --seconds 600 --marker "$marker")
  case $ending in
    baseline-*) args=("$mode" --seconds "$seconds" --marker "$marker") ;;
    sigsegv) args=("$mode" --seconds "$seconds" --marker "$marker" --raise segv) ;;
    sigabrt) args=("$mode" --seconds "$seconds" --marker "$marker" --raise abort) ;;
  esac
  "$holdup" run --output "$dir/trace" -- "$probe" "${args[@]}" > "$dir/stdout.txt" 2> "$dir/stderr.txt" &
  local hpid=$! loop_start kill_ns=0 app=""
  loop_start=$(wait_loop_start "$marker" "$hpid") || loop_start=0
  if [[ $loop_start != 0 ]]; then
    case $ending in
      sigkill | sigterm | sigint)
        sleep "$seconds"
        app=$(child_of "$hpid") || app=""
        kill_ns=$(now_ns)
        case $ending in
          sigkill) [[ -n $app ]] && kill -KILL "$app" ;;
          sigterm) kill -TERM "$hpid" ;;
          sigint) kill -INT "$hpid" ;;
        esac
        ;;
    esac
  fi
  # A hung ending (the wait is bounded in the recorder) is ended after 60 s.
  local waited
  for ((waited = 0; waited < 3000; ++waited)); do
    kill -0 "$hpid" 2>/dev/null || break
    sleep 0.02
  done
  if kill -0 "$hpid" 2>/dev/null; then
    echo "  $mode $ending: still running 60 s after the ending; killed" >&2
    app=$(child_of "$hpid") && kill -KILL "$app"
    kill -KILL "$hpid"
  fi
  wait "$hpid"
  local status=$? end_ns
  end_ns=$(now_ns)
  if [[ $ending == sigsegv || $ending == sigabrt ]]; then
    kill_ns=$(awk '/^raise_ns/ {print $2}' "$marker" 2>/dev/null)
    kill_ns=${kill_ns:-0}
  fi
  local trace
  trace=$(ls "$dir"/trace/holdup-*.trace 2>/dev/null | head -1)
  if [[ -n $trace ]]; then
    "$holdup" info --json "$trace" > "$dir/info.json" 2> "$dir/info.err"
    "$holdup" info "$trace" > "$dir/info.txt" 2>&1
  else
    echo '[]' > "$dir/info.json"
  fi
  printf '{"mode":"%s","ending":"%s","t_ms":%d,"status":%d,"loop_start_ns":%s,"kill_ns":%s,"end_ns":%s,"info":"%s"}\n' \
    "$mode" "$ending" "$t_ms" "$status" "${loop_start:-0}" "$kill_ns" "$end_ns" "$dir/info.json" >> "$OUT/runs.jsonl"
  echo "  $mode $ending: T=${seconds}s exit $status"
}

rm -f "$OUT/runs.jsonl"
for mode in low high; do
  for ending in sigkill sigterm sigint sigsegv sigabrt; do
    t_ms=$((2000 + RANDOM % 3001))
    run_one "$mode" "$ending" "$t_ms"
    run_one "$mode" "baseline-$ending" "$t_ms"
  done
done

python3 - "$OUT" "$max_loss_ms" <<'EOF'
import json, sys
out, max_loss = sys.argv[1], int(sys.argv[2])
runs = [json.loads(l) for l in open(f"{out}/runs.jsonl")]
def info(r):
    try:
        j = json.load(open(r["info"]))
        return j[0] if j else {}
    except Exception:
        return {}
expected = {"sigkill": 137, "sigterm": 143, "sigint": 130, "sigsegv": 139, "sigabrt": 134}
signals = {"sigkill": 9, "sigterm": 15, "sigint": 2, "sigsegv": 11, "sigabrt": 6}
rows, failures = [], 0
by_key = {(r["mode"], r["ending"]): r for r in runs}
for r in runs:
    if r["ending"].startswith("baseline"):
        continue
    base = by_key.get((r["mode"], "baseline-" + r["ending"]), {})
    i, b = info(r), info(base) if base else {}
    h = i.get("health", {})
    c, bc = i.get("counts", {}), b.get("counts", {})
    kept_k, base_k = int(c.get("kernel", 0)), int(bc.get("kernel", 0))
    incomplete = {k["kind"]: int(k["count"]) for k in h.get("incomplete", [])}
    complete_k = kept_k - incomplete.get("CONCURRENT_KERNEL", 0)
    def activity(cnt):
        return sum(int(cnt.get(k, 0)) for k in ("kernel", "memcpy", "memset", "api", "sync", "event", "overhead", "marker"))
    kept_a, base_a = activity(c), activity(bc)
    gpu_last, gpu_first = int(i.get("gpu_last_ns", 0)), int(i.get("gpu_first_ns", 0))
    b_first, b_last = int(b.get("gpu_first_ns", 0)), int(b.get("gpu_last_ns", 0))
    lost_ms = (int(r["kill_ns"]) - gpu_last) / 1e6 if gpu_last and int(r["kill_ns"]) else float("nan")
    span_lost_ms = ((b_last - b_first) - (gpu_last - gpu_first)) / 1e6 if gpu_last and b_last else float("nan")
    rate = base_a / ((b_last - b_first) / 1e9) if b_last > b_first else 0
    exit_ms = (int(r["end_ns"]) - int(r["kill_ns"])) / 1e6 if int(r["kill_ns"]) else float("nan")
    final_sig = int(h.get("final_flush_signal", 0))
    ok = r["status"] == expected[r["ending"]]
    if r["ending"] == "sigkill":
        ok = ok and lost_ms == lost_ms and lost_ms <= max_loss + 250
    else:
        ok = ok and final_sig == signals[r["ending"]] and bool(h.get("final_chunk", False))
    failures += not ok
    rows.append([r["mode"], r["ending"].upper(), f"{r['t_ms']/1000:.2f}", f"{r['status']} ({expected[r['ending']]})",
                 f"{complete_k}/{base_k}", f"{kept_a}/{base_a}", f"{rate/1e3:.0f}k",
                 f"{lost_ms:.0f}", f"{span_lost_ms:.0f}", f"{exit_ms:.0f}", str(int(h.get("forced_flushes", 0))),
                 str(int(h.get("incomplete_records", 0))),
                 (f"at {r['ending'][3:].upper()}" if final_sig else ("at exit" if h.get("final_chunk") else "none")),
                 "ok" if ok else "FAIL"])
head = ["program", "ending", "T s", "exit (want)", "complete kernels kept/uninterrupted",
        "records kept/uninterrupted", "rate rec/s", "GPU time lost ms", "span lost ms", "signal to exit ms",
        "forced flushes", "incomplete", "final flush", "verdict"]
machine = open(f"{out}/machine.txt").read().strip().replace("\n", "; ")
lines = [f"Measured: {machine}", "", "| " + " | ".join(head) + " |", "|" + "---|" * len(head)]
lines += ["| " + " | ".join(row) + " |" for row in rows]
lines += ["", "GPU time lost: from the last GPU end in the trace to the signal (CUPTI's realtime clock). "
          "span lost: the uninterrupted run's GPU span less the kept one. rate: activity records/s of the "
          "uninterrupted run."]
text = "\n".join(lines)
print(text)
open(f"{out}/crash-table.md", "w").write(text + "\n")
print(f"\ncrash checks: {failures} ending(s) missed their expectation")
sys.exit(1 if failures else 0)
EOF
