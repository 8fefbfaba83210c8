#!/usr/bin/env bash
# Runs the PyTorch corpus (tests/corpus/torch_cases.py) on a GPU machine, each
# variant alone and under holdup, for make_corpus_manifest.py.
#
# usage: tests/corpus/run_corpus.sh HOLDUP_BIN OUTDIR [VARIANT...]
#   (from the repository root; VARIANTs default to all, in the order below)
#
# Per variant V:
#   OUTDIR/V/alone.json, alone.log     the case without holdup
#   OUTDIR/V/traced.json, traced.log   the case under `holdup run`
#   OUTDIR/V/trace/holdup-HOST-PID.trace  one per process of the traced run
# and OUTDIR/machine.txt (date, nvidia-smi, torch version).
#
# Each run has a wall-clock limit (CORPUS_TIMEOUT seconds, default 80, then
# SIGKILL 10 s later: at most 90 s); timeout signals the whole process group,
# so a neighbour or spawned child goes too. A failed run is reported and the
# next one runs; the exit status is 1 when any run failed.
set -u

if [ $# -lt 2 ]; then
  echo "usage: $0 HOLDUP_BIN OUTDIR [VARIANT...]" >&2
  exit 2
fi
HOLDUP=$1
OUT=$2
shift 2

SCRIPT=tests/corpus/torch_cases.py
if [ ! -f "$SCRIPT" ]; then
  echo "run_corpus: run from the repository root ($SCRIPT not found in $(pwd))" >&2
  exit 2
fi
if [ ! -x "$HOLDUP" ]; then
  echo "run_corpus: $HOLDUP is not an executable holdup binary" >&2
  exit 2
fi
HOLDUP=$(readlink -f "$HOLDUP")
mkdir -p "$OUT" || exit 2
OUT=$(readlink -f "$OUT")
TIMEOUT=${CORPUS_TIMEOUT:-80}
PY=${PYTHON:-python3}
export PYTHONUNBUFFERED=1

ORDER=(gemm-side-copy gemm-side-copy-b shared-queue wait-stream wait-stream-b allocator allocator-quiet
       pinned-prefetch two-process ipc-cold)
declare -A ARGS=(
  [gemm-side-copy]="--case gemm-side-copy"
  [gemm-side-copy-b]="--case gemm-side-copy --gemm 4096,16384,4096 --copy-mib 8"
  [shared-queue]="--case shared-queue"
  [wait-stream]="--case wait-stream"
  [wait-stream-b]="--case wait-stream --gemm 4096,16384,4096 --copy-mib 8"
  [allocator]="--case allocator"
  [allocator-quiet]="--case allocator-quiet"
  [pinned-prefetch]="--case pinned-prefetch"
  [two-process]="--case two-process"
  [ipc-cold]="--case ipc-cold"
)

if [ $# -gt 0 ]; then
  VARIANTS=("$@")
else
  VARIANTS=("${ORDER[@]}")
fi
for v in "${VARIANTS[@]}"; do
  if [ -z "${ARGS[$v]+set}" ]; then
    echo "run_corpus: unknown variant $v (known: ${ORDER[*]})" >&2
    exit 2
  fi
done

{
  echo "date: $(date -u +%Y-%m-%d)"
  echo "time: $(date -u +%H:%M:%SZ)"
  echo "host: $(hostname)"
  echo "holdup: $HOLDUP"
  if command -v nvidia-smi >/dev/null 2>&1; then
    echo "nvidia-smi --query-gpu=name,uuid,driver_version,memory.total --format=csv,noheader:"
    nvidia-smi --query-gpu=name,uuid,driver_version,memory.total --format=csv,noheader 2>&1
    nvidia-smi 2>&1
  else
    echo "nvidia-smi: not found"
  fi
  timeout 60 "$PY" -c 'import sys, torch; print("python", sys.version.split()[0], "torch", torch.__version__, "cuda", torch.version.cuda)' 2>&1
} > "$OUT/machine.txt"

failed=0
runs=0

# status V MODE RC SECONDS JSON [TRACEDIR]
status() {
  local v=$1 mode=$2 rc=$3 secs=$4 json=$5 tracedir=${6:-}
  local what="ok"
  if [ "$rc" -ne 0 ]; then
    what="FAILED (exit $rc$([ "$rc" -eq 124 ] || [ "$rc" -eq 137 ] && echo ': timed out'))"
  elif [ ! -s "$json" ]; then
    what="FAILED (no $(basename "$json"))"
    rc=1
  fi
  local extra=""
  if [ -s "$json" ]; then
    extra=$("$PY" - "$json" <<'EOF' 2>/dev/null
import json, sys
d = json.load(open(sys.argv[1]))
its = d.get("iterations", [])
marks = "".join("H" if it.get("held") else "." for it in its)
print("pid %s alone %.1f us held %d/%d %s" % (d.get("pid"), d.get("copy_alone_us", 0.0),
                                             sum(1 for it in its if it.get("held")), len(its), marks))
EOF
)
  fi
  if [ -n "$tracedir" ]; then
    local n
    n=$(find "$tracedir" -maxdepth 1 -name '*.trace' 2>/dev/null | wc -l)
    extra="$extra, $n trace file(s)"
  fi
  printf '%-18s %-7s %-32s %4ss  %s\n' "$v" "$mode" "$what" "$secs" "$extra"
  runs=$((runs + 1))
  [ "$rc" -eq 0 ] || failed=$((failed + 1))
}

for v in "${VARIANTS[@]}"; do
  dir="$OUT/$v"
  rm -rf "$dir"
  mkdir -p "$dir"
  # shellcheck disable=SC2206
  args=(${ARGS[$v]})

  start=$SECONDS
  timeout -k 10 "$TIMEOUT" "$PY" "$SCRIPT" "${args[@]}" --json "$dir/alone.json" \
    > "$dir/alone.log" 2>&1
  rc=$?
  status "$v" alone "$rc" $((SECONDS - start)) "$dir/alone.json"

  start=$SECONDS
  timeout -k 10 "$TIMEOUT" "$HOLDUP" run --output "$dir/trace" -- "$PY" "$SCRIPT" "${args[@]}" \
    --json "$dir/traced.json" > "$dir/traced.log" 2>&1
  rc=$?
  status "$v" traced "$rc" $((SECONDS - start)) "$dir/traced.json" "$dir/trace"
done

echo "run_corpus: $runs runs, $failed failed; results in $OUT"
[ "$failed" -eq 0 ]
