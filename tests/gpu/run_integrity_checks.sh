#!/usr/bin/env bash
# GPU machine (issue 21): does a run that ends normally keep every record,
# and does a SIGKILL still lose at most about HOLDUP_MAX_LOSS_MS?
#
#   tests/gpu/run_integrity_checks.sh BUILD_DIR OUT_DIR [OLD_LIB] [SEED]
#
# Programs: tests/gpu/deep_queue_probe.cu (3000 iterations enqueued ahead,
# ~6k records/s) and tests/gpu/gemm_loop.py (PyTorch bf16 GEMMs, 20 per
# synchronize). Each under `holdup run` with BUILD_DIR's libholdup.so
# ("new") and, when given, OLD_LIB ("old", e.g. a build of 00bba72): one
# run that ends normally, and runs killed by SIGKILL after a random 2-5 s
# from the loop's start. The GEMM loop also runs alone (its time without a
# recorder). Writes OUT_DIR/integrity.md (the table for docs/crash-safety.md)
# and OUT_DIR/runs.jsonl. Skips (exit 0) where nvidia-smi finds no GPU.
# DEEP_ITERATIONS (3000) and GEMM_STEPS (120) shorten the programs.
set -u
if ! command -v nvidia-smi >/dev/null 2>&1 || ! nvidia-smi -L 2>/dev/null | grep -q '^GPU '; then
  echo "run_integrity_checks: no GPU found by nvidia-smi -L: skipped"
  exit 0
fi
B=$(realpath "${1:?usage: $0 BUILD_DIR OUT_DIR [OLD_LIB] [SEED]}")
OUT=$(realpath -m "${2:?usage: $0 BUILD_DIR OUT_DIR [OLD_LIB] [SEED]}")
OLD_LIB=${3:-}
RANDOM=${4:-$$}
here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
holdup=$B/tools/holdup/holdup
probe=$B/tests/inject/gpu/holdup_deep_queue_probe
new_lib=$B/src/inject/libholdup.so
for f in "$holdup" "$probe" "$new_lib"; do
  [[ -e $f ]] || { echo "missing $f: build with: cmake --build $B --target holdup holdup_inject deep_queue_probe" >&2; exit 2; }
done
mkdir -p "$OUT"
rm -f "$OUT/runs.jsonl"
{
  echo "date: $(date -u '+%Y-%m-%d %H:%M UTC')"
  nvidia-smi --query-gpu=name,driver_version,uuid --format=csv,noheader | head -1 | sed 's/^/gpu: /'
  python3 -c 'import torch; print("torch:", torch.__version__)' 2>/dev/null
} | tee "$OUT/machine.txt"

now_ns() { date +%s%N; }
child_of() {
  local parent=$1 p stat fields
  for p in /proc/[0-9]*; do
    stat=$(cat "$p/stat" 2>/dev/null) || continue
    stat=${stat##*) }
    read -r -a fields <<< "$stat"
    [[ ${fields[1]:-} == "$parent" ]] && { echo "${p#/proc/}"; return 0; }
  done
  return 1
}

# run_one RECORDER PROGRAM ENDING: one run; its facts appended to runs.jsonl.
run_one() {
  local rec=$1 prog=$2 ending=$3
  run_count=$((run_count + 1))
  local dir=$OUT/$run_count-$rec-$prog-$ending lib=$new_lib settings=()
  [[ $rec == old ]] && lib=$OLD_LIB
  # "new-pool256": the new recorder with a pool of up to 256 buffers (is a
  # deep queue longer than the default pool of 64 cut again?).
  [[ $rec == new-pool256 ]] && settings=(HOLDUP_BUFFER_COUNT_MAX=256)
  rm -rf "$dir" && mkdir -p "$dir/trace"
  local marker=$dir/marker.txt cmd
  case $prog in
    deep) cmd=("$probe" --iterations "${DEEP_ITERATIONS:-3000}" --marker "$marker") ;;
    gemm) cmd=(python3 "$here/gemm_loop.py" --steps "${GEMM_STEPS:-120}") ;;
  esac
  local t_ms=0 kill_ns=0 start_ns status
  start_ns=$(now_ns)
  if [[ $rec == alone ]]; then
    "${cmd[@]}" > "$dir/stdout.txt" 2> "$dir/stderr.txt"
    status=$?
  else
    env "${settings[@]}" HOLDUP_LIB="$lib" "$holdup" run --output "$dir/trace" -- "${cmd[@]}" > "$dir/stdout.txt" 2> "$dir/stderr.txt" &
    local hpid=$!
    if [[ $ending == sigkill ]]; then
      t_ms=$((2000 + RANDOM % 3001))
      # The deep probe marks its loop; the GEMM loop is timed from its start
      # plus torch's start-up (~4 s, measured from the alone run's wall time).
      local i
      for ((i = 0; i < 4500; ++i)); do
        [[ $prog == deep ]] && grep -q '^loop_start_ns' "$marker" 2>/dev/null && break
        [[ $prog == gemm ]] && ((i >= 200)) && break
        kill -0 "$hpid" 2>/dev/null || break
        sleep 0.02
      done
      sleep "$(printf '%d.%03d' $((t_ms / 1000)) $((t_ms % 1000)))"
      local app
      app=$(child_of "$hpid") && { kill_ns=$(now_ns); kill -KILL "$app"; }
    fi
    wait "$hpid"
    status=$?
  fi
  local end_ns trace
  end_ns=$(now_ns)
  trace=$(ls "$dir"/trace/holdup-*.trace 2>/dev/null | head -1)
  if [[ -n $trace ]]; then
    "$holdup" info --json "$trace" > "$dir/info.json" 2> "$dir/info.err"
    "$holdup" report --json "$trace" > "$dir/report.json" 2> "$dir/report.err"
  fi
  printf '{"recorder":"%s","program":"%s","ending":"%s","t_ms":%d,"status":%d,"start_ns":%s,"kill_ns":%s,"end_ns":%s,"dir":"%s"}\n' \
    "$rec" "$prog" "$ending" "$t_ms" "$status" "$start_ns" "$kill_ns" "$end_ns" "$dir" >> "$OUT/runs.jsonl"
  echo "  $rec $prog $ending: exit $status ($(( (end_ns - start_ns) / 1000000 )) ms)"
}

run_count=0  # each run its own folder (two kills of one program must not share one)
recorders=(new)
[[ -n $OLD_LIB && -f $OLD_LIB ]] && recorders=(old new)
run_one alone gemm normal
for rec in "${recorders[@]}"; do
  run_one "$rec" deep normal
  run_one "$rec" gemm normal
done
run_one new-pool256 deep normal
# The new recorder's kills first: the old one's matter least if time runs out.
run_one new deep sigkill
run_one new gemm sigkill
run_one new deep sigkill
run_one new gemm sigkill
if [[ ${recorders[0]} == old ]]; then
  run_one old deep sigkill
  run_one old gemm sigkill
fi

python3 - "$OUT" <<'PY'
import json, sys
out = sys.argv[1]
runs = [json.loads(l) for l in open(f"{out}/runs.jsonl")]
def load(path, default):
    try:
        return json.load(open(path))
    except Exception:
        return default
rows = []
for r in runs:
    d = r["dir"]
    stdout = open(f"{d}/stdout.txt").read().strip().splitlines()
    prog_line = {}
    for line in stdout:
        if line.startswith("{"):
            prog_line = json.loads(line)
    if r["recorder"] == "alone":
        rows.append([r["recorder"], r["program"], r["ending"], str(r["status"]), "", "", "", "", "", "", "", "",
                     f"{prog_line.get('seconds', float('nan')):.2f}"])
        continue
    info = load(f"{d}/info.json", [{}])
    info = info[0] if info else {}
    rep = load(f"{d}/report.json", {})
    h = info.get("health", {})
    inc = {k["kind"]: int(k["count"]) for k in h.get("incomplete", [])}
    kernels = int(info.get("counts", {}).get("kernel", 0))
    inc_k = inc.get("CONCURRENT_KERNEL", 0)
    summ = rep.get("summary", {})
    lost_ms = ""
    if r["ending"] == "sigkill":
        last = int(info.get("gpu_last_ns", 0))
        lost_ms = f"{(int(r['kill_ns']) - last) / 1e6:.0f}" if last and int(r["kill_ns"]) else "n/a"
    pct = f"{100.0 * inc_k / kernels:.2f} %" if kernels else "n/a"
    rows.append([r["recorder"], r["program"], r["ending"] + (f" at {r['t_ms']/1000:.2f} s" if r["t_ms"] else ""),
                 str(r["status"]), str(kernels), f"{inc_k} ({pct})", str(int(h.get("forced_flushes", 0))),
                 str(summ.get("copies", "")), str(summ.get("cold", "")), lost_ms,
                 str(int(h.get("buffers_requested", 0))),
                 f"{int(h.get('buffer_bytes_handed_out', 0)) / max(1, int(h.get('buffers_requested', 0))) / 1024:.0f}" if int(h.get("buffer_bytes_handed_out", 0)) > 0 else "fixed",
                 f"{prog_line.get('seconds', float('nan')):.2f}" if prog_line else ""])
head = ["recorder", "program", "ending", "exit", "kernel records", "incomplete kernels", "forced flushes",
        "copies", "cold", "GPU time lost ms", "buffers", "mean buffer KiB", "program s"]
machine = open(f"{out}/machine.txt").read().strip().replace("\n", "; ")
lines = [f"Measured: {machine}", "", "| " + " | ".join(head) + " |", "|" + "---|" * len(head)]
lines += ["| " + " | ".join(row) + " |" for row in rows]
open(f"{out}/integrity.md", "w").write("\n".join(lines) + "\n")
print("\n".join(lines))
PY
