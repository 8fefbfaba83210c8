#!/usr/bin/env bash
# GPU machine: the recorder under faults (issue 14; docs/hardening.md,
# "Recorder under faults").
#
#   tests/gpu/run_fault_checks.sh BUILD_DIR OUT_DIR
#
# Each case runs a small CUDA program alone and under the recorder
# (CUDA_INJECTION64_PATH=libholdup.so, HOLDUP_OUTPUT=a folder of the case's)
# and checks: the app's exit code and stdout are the same, the `holdup:`
# warnings on stderr are the ones the fault calls for (one per problem), and
# the trace's health (`holdup info --json`) says what was lost. Cases: the
# output folder missing, not a folder, read-only (a read-only tmpfs),
# not writable for the user (run as nobody), removed mid-run, on a full
# 1 MiB tmpfs; fork without exec, fork+exec of a CUDA child, exec of a
# non-CUDA program; 4000 threads each launching a kernel; cudaDeviceReset
# and re-initialization; the app as a CUPTI client before and after holdup
# (tests/gpu/cupti_client_probe.cu), torch.profiler before and after;
# bad HOLDUP_* values; a set-user-id copy of the probe run by nobody; and
# the crash checks (tests/gpu/run_crash_checks.sh). A case the machine does
# not allow (no mount, no unprivileged user, no torch) is listed as skipped
# with the reason.
#
# Writes OUT_DIR/faults.md (the table), OUT_DIR/faults.json (every fact),
# OUT_DIR/machine.txt, and one folder per case (stdout, stderr, exit codes,
# traces, info.json). Exit 0 when every case that ran met its expectation.
# Skips (exit 0) where `nvidia-smi -L` finds no GPU.
# HOLDUP_FAULTS_NO_CRASH=1 leaves out the crash checks; HOLDUP_FAULTS_DRY=1
# runs without a GPU (the programs fail alike alone and under holdup: a
# test of this script's plumbing only); HOLDUP_FAULTS_TABLE_ONLY=1 only
# makes the table from the cases already in OUT_DIR (after a run was cut
# short).
set -u
if [[ ${HOLDUP_FAULTS_DRY:-0} != 1 ]] && { ! command -v nvidia-smi >/dev/null 2>&1 || ! nvidia-smi -L 2>/dev/null | grep -q '^GPU '; }; then
  echo "run_fault_checks: no GPU found by nvidia-smi -L: skipped"
  exit 0
fi
B=$(realpath "${1:?usage: $0 BUILD_DIR OUT_DIR}")
OUT=$(realpath -m "${2:?usage: $0 BUILD_DIR OUT_DIR}")
here=$(cd "$(dirname "$0")" && pwd)
holdup=$B/tools/holdup/holdup
lib=$B/src/inject/libholdup.so
probe=$B/tests/inject/gpu/holdup_fault_probe
client=$B/tests/inject/gpu/holdup_cupti_client_probe
for f in "$holdup" "$lib" "$probe" "$client"; do
  [[ -e $f ]] || { echo "missing $f: build with: cmake --build $B --target holdup holdup_inject fault_probe cupti_client_probe" >&2; exit 2; }
done
command -v python3 >/dev/null || { echo "run_fault_checks: python3 is needed for the table" >&2; exit 2; }
mkdir -p "$OUT"
table_only=${HOLDUP_FAULTS_TABLE_ONLY:-0}
[[ $table_only == 1 ]] || rm -f "$OUT/cases.jsonl"
CASE_TIMEOUT=${HOLDUP_FAULTS_CASE_TIMEOUT:-90}
ulimit -c 0

[[ $table_only == 1 ]] || {
  echo "date: $(date -u '+%Y-%m-%d %H:%M UTC')"
  if command -v nvidia-smi >/dev/null 2>&1; then
    nvidia-smi --query-gpu=name,driver_version --format=csv,noheader | head -1 | sed 's/^/gpu: /'
  else
    echo "gpu: none (dry run)"
  fi
  echo "kernel: $(uname -r)"
  echo "user: $(id -un) ($(id -u))"
  python3 -c 'import torch; print("torch:", torch.__version__, "cuda available:", torch.cuda.is_available())' 2>/dev/null ||
    echo "torch: not importable"
} | tee "$OUT/machine.txt"

# Every case, in order; the table below reads what they left in OUT_DIR.
run_cases() {
  # A user other than root for the unwritable folder and the set-user-id
  # case: setpriv, else runuser/su; empty when none works.
  # The environment passes through (setpriv keeps it whole).
  nobody_uid=$(id -u nobody 2>/dev/null || true)
  nobody_gid=$(id -g nobody 2>/dev/null || true)
  if command -v setpriv >/dev/null; then
    as_nobody=(setpriv --reuid="$nobody_uid" --regid="$nobody_gid" --clear-groups --)
  else
    as_nobody=(runuser -u nobody --)
  fi
  can_be_nobody=0
  if [[ $(id -u) == 0 && -n $nobody_uid ]] && "${as_nobody[@]}" /bin/true 2>/dev/null; then can_be_nobody=1; fi

  # Binaries where nobody can read them (the checkout may be private).
  bin=$(mktemp -d /tmp/holdup-fault-bin.XXXXXX)
  chmod 755 "$bin"
  cp "$probe" "$bin/probe"
  cp "$lib" "$bin/libholdup.so"
  chmod 755 "$bin/probe" "$bin/libholdup.so"

  # new_case NAME "DESCRIPTION": a fresh folder for it ($dir).
  new_case() {
    name=$1
    dir=$OUT/$name
    rm -rf "$dir" && mkdir -p "$dir/traces"
    printf '%s\n' "$2" > "$dir/description.txt"
    echo "== $name: $2"
  }

  # run_side SIDE [VAR=VALUE...] -- COMMAND...: COMMAND with those variables
  # (SIDE alone: without CUDA_INJECTION64_PATH), its stdout, stderr and exit
  # code into $dir/SIDE.{out,err,rc}. Bounded by CASE_TIMEOUT (exit 124).
  run_side() {
    local side=$1
    shift
    local vars=()
    while [[ $1 != -- ]]; do
      vars+=("$1")
      shift
    done
    shift
    if [[ $side == alone ]]; then
      timeout -k 5 "$CASE_TIMEOUT" env -u CUDA_INJECTION64_PATH -u HOLDUP_OUTPUT "${vars[@]}" "$@" \
        > "$dir/$side.out" 2> "$dir/$side.err"
    else
      timeout -k 5 "$CASE_TIMEOUT" env "${vars[@]}" "$@" > "$dir/$side.out" 2> "$dir/$side.err"
    fi
    echo $? > "$dir/$side.rc"
  }

  # pair [VAR=VALUE...] -- COMMAND...: alone, then under holdup writing to
  # $dir/traces (HOLDUP_OUTPUT may be overridden among the variables).
  pair() {
    run_side alone "$@"
    run_side holdup CUDA_INJECTION64_PATH="$lib" HOLDUP_OUTPUT="$dir/traces" "$@"
  }

  # done_case [skipped REASON]: records the case for the table.
  done_case() {
    local status=ran reason=""
    if [[ ${1:-} == skipped ]]; then
      status=skipped
      reason=$2
      echo "   skipped: $reason"
    fi
    python3 -c 'import json,sys; print(json.dumps({"name": sys.argv[1], "dir": sys.argv[2], "status": sys.argv[3], "reason": sys.argv[4]}))' \
      "$name" "$dir" "$status" "$reason" >> "$OUT/cases.jsonl"
  }

  # mount_tmpfs DIR OPTIONS: a tmpfs there, or false.
  mount_tmpfs() { mount -t tmpfs -o "$2" holdup-faults "$1" 2>"$dir/mount.err"; }

  # --- the output folder -------------------------------------------------------

  new_case baseline "no fault: the probe's work (20 kernels and copies)"
  pair -- "$probe" work
  done_case

  new_case output-missing "HOLDUP_OUTPUT names a folder that does not exist"
  pair HOLDUP_OUTPUT="$dir/does-not-exist" -- "$probe" work
  done_case

  new_case output-not-a-folder "HOLDUP_OUTPUT names a path below a regular file (/dev/null/traces)"
  pair HOLDUP_OUTPUT=/dev/null/traces -- "$probe" work
  done_case

  new_case output-read-only "HOLDUP_OUTPUT on a read-only tmpfs"
  if mount_tmpfs "$dir/traces" ro,size=1m; then
    pair -- "$probe" work
    umount "$dir/traces"
    done_case
  else
    done_case skipped "mount -t tmpfs failed: $(head -c 200 "$dir/mount.err")"
  fi

  new_case output-not-writable "HOLDUP_OUTPUT a folder of root's (0755), the app run as nobody"
  if [[ $can_be_nobody == 1 ]]; then
    mkdir -m 755 "$bin/out"
    run_side alone -- "${as_nobody[@]}" "$bin/probe" work
    if [[ $(cat "$dir/alone.rc") == 0 ]]; then
      run_side holdup CUDA_INJECTION64_PATH="$bin/libholdup.so" HOLDUP_OUTPUT="$bin/out" -- "${as_nobody[@]}" "$bin/probe" work
      ls -la "$bin/out" > "$dir/out-listing.txt"
      done_case
    else
      done_case skipped "the probe fails as nobody without holdup too (exit $(cat "$dir/alone.rc")): no GPU access for that user"
    fi
  else
    done_case skipped "no unprivileged user to run as (needs root, setpriv or runuser, and a user nobody)"
  fi

  # The folder removed once the app's loop runs (~1 s in), the app running 4 s.
  new_case output-removed "the output folder removed (rm -rf) 1 s into a 4 s run"
  run_side alone -- "$probe" work --seconds 4
  (
    for ((i = 0; i < 600; ++i)); do
      [[ -s $dir/marker.txt ]] && break
      sleep 0.05
    done
    sleep 1
    rm -rf "$dir/traces"
    date +%s%N > "$dir/removed_ns.txt"
  ) &
  remover=$!
  run_side holdup CUDA_INJECTION64_PATH="$lib" HOLDUP_OUTPUT="$dir/traces" -- "$probe" work --seconds 4 --marker "$dir/marker.txt"
  wait "$remover"
  done_case

  new_case output-full "HOLDUP_OUTPUT on a 1 MiB tmpfs that fills up (200k kernels)"
  if mount_tmpfs "$dir/traces" size=1m; then
    pair -- "$probe" work --iterations 100 --launches 2000
    df -k "$dir/traces" > "$dir/df.txt" 2>&1
    mkdir -p "$dir/kept" && cp "$dir"/traces/holdup-*.trace "$dir/kept/" 2>/dev/null
    umount "$dir/traces"
    rmdir "$dir/traces" && mv "$dir/kept" "$dir/traces"
    done_case
  else
    done_case skipped "mount -t tmpfs failed: $(head -c 200 "$dir/mount.err")"
  fi

  # --- processes and threads ---------------------------------------------------

  new_case fork-no-exec "CUDA work, fork; the child uses no CUDA and exits; the parent works on"
  pair -- "$probe" fork-nocuda
  done_case

  new_case fork-exec-cuda "CUDA work, fork, the child execs a CUDA program (the probe's work)"
  pair -- "$probe" fork-exec "$probe"
  done_case

  new_case exec-non-cuda "CUDA work, then exec of /bin/sh (no CUDA), which exits 3"
  pair -- "$probe" exec
  done_case

  new_case threads "4000 threads, 64 alive at a time, each launching a kernel and syncing its stream"
  pair -- "$probe" threads 4000
  done_case

  new_case device-reset "CUDA work, cudaDeviceReset, work, reset, work (20,030 kernels)"
  pair -- "$probe" reset
  done_case

  # --- other CUPTI clients -----------------------------------------------------

  new_case cupti-client-before "the app calls cuptiSubscribe before any CUDA call, then works"
  pair -- "$client" before
  done_case

  new_case cupti-client-after "the app works, then calls cuptiSubscribe and takes the activity buffer callbacks (100k launches)"
  pair -- "$client" after
  done_case

  if python3 -c 'import torch, sys; sys.exit(0 if torch.cuda.is_available() else 1)' 2>/dev/null; then
    new_case torch-profiler-before "python3: torch.profiler started before the first CUDA op"
    pair PYTHONUNBUFFERED=1 -- python3 "$here/fault_torch_profiler.py" before
    done_case
    new_case torch-profiler-after "python3: CUDA work, torch.profiler started and stopped around 20 ops, more work"
    pair PYTHONUNBUFFERED=1 -- python3 "$here/fault_torch_profiler.py" after
    done_case
  else
    for which in before after; do
      new_case torch-profiler-$which "python3: torch.profiler ($which)"
      done_case skipped "python3 cannot import torch with CUDA here"
    done
  fi

  # --- settings and privileges -------------------------------------------------

  new_case bad-settings "HOLDUP_BUFFER_COUNT=10^9, HOLDUP_BUFFER_KB=10^12 (10^15 bytes), HOLDUP_FLUSH_MS empty, HOLDUP_LOG=loud, HOLDUP_KINDS=KERNEL;MEMCPY, HOLDUP_MAX_LOSS_MS=-5"
  pair HOLDUP_BUFFER_COUNT=1000000000 HOLDUP_BUFFER_KB=1000000000000 HOLDUP_FLUSH_MS= HOLDUP_LOG=loud \
    'HOLDUP_KINDS=KERNEL;MEMCPY' HOLDUP_MAX_LOSS_MS=-5 -- "$probe" work
  done_case

  new_case setuid "a set-user-id root copy of the probe, run by nobody with holdup injected"
  if [[ $can_be_nobody == 1 ]]; then
    cp "$probe" "$bin/probe-setuid"
    chown root:root "$bin/probe-setuid" && chmod 4755 "$bin/probe-setuid"
    chmod 1777 "$dir/traces"
    findmnt -no OPTIONS --target "$bin" > "$dir/mount-options.txt" 2>&1
    run_side alone -- "${as_nobody[@]}" "$bin/probe-setuid" work --show-ids 1
    if ! grep -q 'AT_SECURE=[1-9]' "$dir/alone.err"; then
      done_case skipped "the set-user-id bit took no effect ($(grep -h AT_SECURE "$dir/alone.err" | head -1); mount options: $(cat "$dir/mount-options.txt"))"
    else
      run_side holdup CUDA_INJECTION64_PATH="$bin/libholdup.so" HOLDUP_OUTPUT="$dir/traces" HOLDUP_LOG=debug \
        -- "${as_nobody[@]}" "$bin/probe-setuid" work --show-ids 1
      done_case
    fi
  else
    done_case skipped "no unprivileged user to run as (needs root, setpriv or runuser, and a user nobody)"
  fi

  # --- signals and kills (issue 13's checks) -----------------------------------

  if [[ ${HOLDUP_FAULTS_NO_CRASH:-0} != 1 ]]; then
    new_case crash-checks "tests/gpu/run_crash_checks.sh: SIGKILL, SIGTERM, SIGINT, SIGSEGV, SIGABRT at low and high rates"
    timeout -k 5 "${HOLDUP_FAULTS_CRASH_TIMEOUT:-240}" bash "$here/run_crash_checks.sh" "$B" "$dir/crash" > "$dir/crash.log" 2>&1
    echo $? > "$dir/crash.rc"
    tail -n 20 "$dir/crash.log"
    done_case
  fi
  rm -rf "$bin"
}
[[ $table_only == 1 ]] || run_cases

# --- the table ---------------------------------------------------------------

python3 - "$OUT" "$holdup" <<'EOF'
import json, os, re, subprocess, sys

out, holdup = sys.argv[1], sys.argv[2]
cases = [json.loads(l) for l in open(f"{out}/cases.jsonl")]

def read(path, default=""):
    try:
        with open(path, errors="replace") as f:
            return f.read()
    except OSError:
        return default

def traces_of(d):
    found = []
    for root, _, files in os.walk(os.path.join(d, "traces")):
        found += [os.path.join(root, f) for f in files if f.startswith("holdup-") and f.endswith(".trace")]
    return sorted(found)

def info(paths):
    if not paths:
        return []
    r = subprocess.run([holdup, "info", "--json", *paths], capture_output=True, text=True)
    try:
        return json.loads(r.stdout)
    except ValueError:
        return [{"path": p, "ok": False, "error": r.stderr.strip()[:300]} for p in paths]

def health_text(t):
    h = t.get("health") or {}
    parts = []
    if not t.get("ok", False):
        parts.append("unreadable: " + str(t.get("error", ""))[:120])
    parts.append(f"{t.get('chunks', 0)} chunks")
    parts.append(f"{int((t.get('counts') or {}).get('kernel', 0))} kernels")
    parts.append("final chunk" if h.get("final_chunk") else "no final chunk")
    if int(h.get("chunks_failed", 0)):
        parts.append(f"{int(h['chunks_failed'])} chunks failed")
    if t.get("sequence_gaps"):
        parts.append(f"{t['sequence_gaps']} sequence gaps")
    if t.get("torn_tail"):
        parts.append("torn tail")
    for flag in ("other_subscriber", "activity_callbacks_lost", "capture_stopped"):
        if h.get(flag):
            parts.append(flag.replace("_", " "))
    if int(h.get("callback_events_dropped", 0)):
        parts.append(f"{int(h['callback_events_dropped'])} callback events dropped")
    if int(h.get("incomplete_records", 0)):
        parts.append(f"{int(h['incomplete_records'])} incomplete")
    codes = sorted({n.get("code", "") for n in t.get("notes", []) if n.get("severity") in ("WARNING", "ERROR")})
    if codes:
        parts.append("notes: " + ", ".join(codes))
    return ", ".join(parts)

def holdup_lines(text):
    return [l for l in text.splitlines() if l.startswith("holdup:")]

# What each case must show, beyond the same exit code and stdout:
# (warnings wanted: exact count or (min, max)), traces wanted, a check on
# the traces' facts, and what the check means.
def kernels(ts):
    return sum(int((t.get("counts") or {}).get("kernel", 0)) for t in ts)
def complete(t):
    h = t.get("health") or {}
    return t.get("ok") and h.get("final_chunk") and not int(h.get("chunks_failed", 0)) and not t.get("torn_tail")
def has_note(t, code):
    return any(n.get("code") == code for n in t.get("notes", []))
def passes(check, ts):
    try:
        return bool(check(ts))
    except (KeyError, IndexError, TypeError, ValueError):
        return False

expect = {
    "baseline": (0, 1, lambda ts: complete(ts[0]) and kernels(ts) == 20, "one complete trace, 20 kernels"),
    "output-missing": (1, 0, None, "one warning, no trace"),
    "output-not-a-folder": (1, 0, None, "one warning, no trace"),
    "output-read-only": (1, 0, None, "one warning, no trace"),
    "output-not-writable": (1, 0, None, "one warning, no trace"),
    "output-removed": (1, 0, None, "one warning, the trace gone with its folder"),
    "output-full": (1, 1, lambda ts: ts[0].get("ok") and (ts[0].get("health") or {}).get("final_chunk")
                    and int((ts[0].get("health") or {}).get("chunks_failed", 0)) > 0 and has_note(ts[0], "write-failed"),
                    "one warning; the trace ends with a final chunk counting the chunks lost, note write-failed"),
    "fork-no-exec": (0, 1, lambda ts: complete(ts[0]) and kernels(ts) == 10, "the parent's trace only, complete"),
    "fork-exec-cuda": (0, 2, lambda ts: all(complete(t) for t in ts) and kernels(ts) == 20,
                       "two complete traces (parent 10 kernels, child 10)"),
    "exec-non-cuda": (0, 1, lambda ts: ts[0].get("ok"), "a readable trace (exec ends it like _exit)"),
    "threads": (0, 1, lambda ts: complete(ts[0]) and kernels(ts) == 4000, "complete, 4000 kernels"),
    "device-reset": (0, 1, lambda ts: ts[0].get("ok") and kernels(ts) == 20030 and (ts[0].get("health") or {}).get("final_chunk"),
                     "all 20,030 kernels, final chunk"),
    "cupti-client-before": ((0, 1), None, lambda ts: all(t.get("ok") for t in ts), "no crash; at most one warning"),
    "cupti-client-after": ((0, 1), 1, lambda ts: ts[0].get("ok") and (ts[0].get("health") or {}).get("activity_callbacks_lost"),
                           "the takeover detected: activity callbacks lost"),
    "torch-profiler-before": ((0, 1), None, lambda ts: all(t.get("ok") for t in ts), "no crash; at most one warning"),
    "torch-profiler-after": ((0, 1), None, lambda ts: all(t.get("ok") for t in ts), "no crash; at most one warning"),
    "bad-settings": (6, 1, lambda ts: complete(ts[0]) and kernels(ts) == 20
                     and int(ts[0]["header"]["config"].get("buffer_count", 0)) == 8
                     and int(ts[0]["header"]["config"].get("buffer_size_bytes", 0)) == 4 << 20,
                     "one warning per variable (6); defaults (8 buffers of 4 MiB); complete"),
    "setuid": ((0, 1), 0, None, "not recorded: no trace"),
}

rows, facts, failures = [], [], 0
for c in cases:
    d, name = c["dir"], c["name"]
    desc = read(f"{d}/description.txt").strip()
    if c["status"] == "skipped":
        rows.append([name, desc, "-", "-", "-", "skipped: " + c["reason"], "skipped"])
        facts.append({**c, "description": desc})
        continue
    if name == "crash-checks":
        rc = read(f"{d}/crash.rc", "1").strip()
        ok = rc == "0"
        failures += not ok
        table = read(f"{d}/crash/crash-table.md").strip()
        summary = re.findall(r"crash checks: .*", read(f"{d}/crash.log"))
        rows.append([name, desc, "128+N each (see crash table)", "-", "-",
                     (summary[-1] if summary else f"exit {rc}") + "; table below", "ok" if ok else "FAIL"])
        facts.append({**c, "description": desc, "exit": rc, "crash_table": table})
        continue
    rc_a, rc_h = read(f"{d}/alone.rc").strip(), read(f"{d}/holdup.rc").strip()
    out_a, out_h = read(f"{d}/alone.out"), read(f"{d}/holdup.out")
    warnings = holdup_lines(read(f"{d}/holdup.err"))
    ts = info(traces_of(d))
    want_w, want_t, check, meaning = expect.get(name, ((0, 99), None, None, ""))
    lo, hi = want_w if isinstance(want_w, tuple) else (want_w, want_w)
    problems = []
    if rc_a != rc_h:
        problems.append(f"exit {rc_a} alone, {rc_h} under holdup")
    if rc_h in ("124", "137"):
        problems.append("timed out")
    if out_a != out_h:
        problems.append("stdout differs")
    if not lo <= len(warnings) <= hi:
        problems.append(f"{len(warnings)} holdup: warnings (want {want_w})")
    if want_t is not None and len(ts) != want_t:
        problems.append(f"{len(ts)} traces (want {want_t})")
    elif check is not None and ts and not passes(check, ts):
        problems.append("trace check failed: " + meaning)
    elif check is not None and not ts and want_t:
        problems.append("no trace")
    ok = not problems
    failures += not ok
    health = "; ".join(health_text(t) for t in ts) if ts else "no trace"
    extra = read(f"{d}/holdup.err")
    client = [l for l in extra.splitlines() if l.startswith(("cupti_client_probe:", "torch.profiler", "fault_probe: AT_SECURE"))]
    rows.append([name, desc, f"{rc_a} / {rc_h}", "same" if out_a == out_h else "DIFFERENT",
                 str(len(warnings)), health + ("; app: " + " | ".join(client) if client else ""),
                 "ok" if ok else "FAIL: " + "; ".join(problems)])
    facts.append({**c, "description": desc, "exit_alone": rc_a, "exit_holdup": rc_h, "stdout_same": out_a == out_h,
                  "stdout": out_h, "warnings": warnings, "app_stderr": client, "traces": ts, "expect": meaning,
                  "problems": problems})

machine = read(f"{out}/machine.txt").strip().replace("\n", "; ")
head = ["case", "fault", "exit alone / holdup", "stdout", "holdup: lines", "trace (holdup info)", "verdict"]
esc = lambda s: str(s).replace("|", "\\|").replace("\n", " ")
lines = [f"Measured: {machine}", "", "| " + " | ".join(head) + " |", "|" + "---|" * len(head)]
lines += ["| " + " | ".join(esc(x) for x in r) + " |" for r in rows]
lines += ["", "Warnings (the `holdup:` lines each case printed):", ""]
for f in facts:
    for w in f.get("warnings", []):
        lines.append(f"- {f['name']}: `{w[:400]}`")
for f in facts:
    if f.get("crash_table"):
        lines += ["", "Crash checks (tests/gpu/run_crash_checks.sh):", "", f["crash_table"]]
text = "\n".join(lines)
print(text)
open(f"{out}/faults.md", "w").write(text + "\n")
json.dump({"machine": machine, "cases": facts}, open(f"{out}/faults.json", "w"), indent=1, default=str)
print(f"\nfault checks: {failures} case(s) missed their expectation")
sys.exit(1 if failures else 0)
EOF
