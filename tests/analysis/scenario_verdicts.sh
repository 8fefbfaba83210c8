#!/usr/bin/env bash
# After tools/workload/run_all_scenarios.sh BIN_DIR OUT_DIR (on the GPU
# machine): runs `holdup report --json` on every OUT_DIR/<scenario>/trace and
# prints, per scenario, copies, flagged copies, the worst copy's held time and
# cause next to the cause SCENARIOS.md expects. Also writes
# OUT_DIR/MANIFEST.draft.json in the format tests/analysis/fixtures_test.cpp
# reads (copy it with the trace folders into tests/data/ once checked).
#
# usage: scenario_verdicts.sh HOLDUP_BINARY OUT_DIR [--threshold-us N]
# needs: python3
set -u
if [ $# -lt 2 ]; then
  echo "usage: $0 HOLDUP_BINARY OUT_DIR [--threshold-us N]" >&2
  exit 2
fi
holdup=$1
out_dir=$2
shift 2
python3 - "$holdup" "$out_dir" "$@" <<'PY'
import json, os, subprocess, sys
holdup, out_dir, extra = sys.argv[1], sys.argv[2], sys.argv[3:]
# Expected verdicts (tools/workload/SCENARIOS.md); a list = any of these;
# None = no copy held; "?" = not predicted.
expected = {
    "report": ["sm-waiting", "device-wide-barrier", "other-process"],
    "seed-lazy": "device-wide-barrier", "eager": None,
    "seed-alloc": ["host-side-lock", "device-wide-barrier"],
    "sm-saturated": "sm-waiting", "sm-saturated-batch": "sm-waiting", "sm-headroom": None,
    "copy-engine": None, "shared-queue": "shared-hardware-queue",
    "module-reload": "device-wide-barrier", "set-limit": "device-wide-barrier",
    "host-lock": "host-side-lock", "pageable": "?", "pinned-signal": None,
    "default-stream": None, "default-stream-blocking": "legacy-default-stream",
    "time-slice": ["other-process", "sm-waiting"], "thread-per-iteration": ["profiler-overhead", None],
    "control": None,
}
fixtures, rows = [], []
for name in sorted(os.listdir(out_dir)):
    trace = os.path.join(out_dir, name, "trace")
    if not os.path.isdir(trace):
        continue
    scenario = name.split("+")[0]
    want = expected.get(scenario, "?") if "+" not in name else None  # remedies: no hold
    p = subprocess.run([holdup, "report", "--json", "--top", "1", trace] + extra, capture_output=True, text=True)
    if p.returncode != 0:
        rows.append((name, "-", "-", "-", "unreadable: " + p.stderr.strip()[:60], str(want)))
        continue
    r = json.loads(p.stdout)
    worst = r["worst"][0] if r["worst"] else None
    got = worst["cause"] if worst else None
    held = "%.0f us" % (worst["split"]["held_ns"] / 1e3) if worst else "-"
    wants = want if isinstance(want, list) else [want]
    verdict = "?" if want == "?" else ("ok" if got in wants else "MISMATCH")
    rows.append((name, r["summary"]["copies"], r["summary"]["flagged"], held, str(got), "%s %s" % (wants, verdict)))
    if want != "?":
        f = {"scenario": name, "traces": [name + "/trace"], "held": want is not None and wants != [None]}
        causes = [c for c in wants if c]
        if causes:
            f["cause"] = causes if len(causes) > 1 else causes[0]
        fixtures.append(f)
print("%-32s %7s %7s %10s %-24s %s" % ("scenario", "copies", "flagged", "worst", "cause", "expected"))
for row in rows:
    print("%-32s %7s %7s %10s %-24s %s" % row)
with open(os.path.join(out_dir, "MANIFEST.draft.json"), "w") as f:
    json.dump({"schema": "holdup-fixtures/1", "fixtures": fixtures}, f, indent=2)
print("wrote", os.path.join(out_dir, "MANIFEST.draft.json"))
PY
