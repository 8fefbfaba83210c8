#!/usr/bin/env python3
"""Turns a run of tests/gpu/run_diagnosis2.sh into fixtures: copies each case's traces and the
program's own truth (its JSON line) into DEST/<set>/<case>/ and writes DEST/MANIFEST.json
(schema holdup-fixtures/2, read by tests/analysis/fixtures_test.cpp).

  make_diagnosis2_manifest.py --holdup BIN RESULTS_DIR DEST [--set NAME]

The truth of each iteration comes from the probe's own clocks, never from holdup's verdicts.
`holdup dump` is used only to find the copy's and the sentinel's GPU start in the trace (the
records the verdict is then checked on):

- host-func: the copy is not held when its GPU start lies within 100 us after the host
  function returned (CLOCK_REALTIME, noted inside the host function): its wait is its own
  stream's order. `behind_host_func` says so.
- context-hold: the copy is held on the host when the proxy's cudaEventRecord (timed by the
  program) lasted over 1 ms, began inside the holder thread's device-wide call and returned
  within 200 us after that call ended: cause host-side-lock, blocker an API call.
- time-slice: the sentinel kernel notes every gap over 20 us in its global-timer reads (its
  context was off the GPU), as offsets from its first read, anchored at its kernel record's
  start. A copy that started over 100 us after its issue is held; its cause is other-process
  when its context was off the GPU for most of the hold: the sentinel of the iteration, launched
  before the copy on an idle stream, started only with the copy, or a gap ended within 50 us
  of the copy's start and covered most of the hold. Otherwise (the sentinel ran through most of
  the hold) the program cannot say why: unknown.
- graph-copy: per replay the copy's CUDA events (graph nodes) time the copy; a copy record
  longer than 10x that, and over 1 ms, contradicts the program and must not be flagged.
"""
import argparse
import glob
import json
import os
import shutil
import subprocess
import sys

SIZES = {"host-func": 64 << 20, "graph-copy": 48 << 20, "time-slice": 64 << 20, "context-hold": 16 << 20}


def records(holdup, trace, kinds):
    """(abs_ns, duration_ns, line) of the trace's records of these kinds."""
    out = subprocess.run([holdup, "dump", "--abs", "--kind", kinds, trace], capture_output=True, text=True,
                         check=True).stdout
    rows = []
    for line in out.splitlines():
        if line.startswith("#") or not line.strip():
            continue
        parts = line.split()
        dur = 0.0
        if "dur" in parts:
            i = parts.index("dur")
            dur = float(parts[i + 1]) * {"us": 1e3, "ms": 1e6, "ns": 1.0, "s": 1e9}[parts[i + 2]]
        rows.append((int(parts[1]), dur, line))
    return rows


def copy_starts(holdup, trace, size):
    mib = f"{size / (1 << 20):.1f} MiB"
    return sorted((t, d) for t, d, l in records(holdup, trace, "memcpy") if mib in l)


def host_func(truth, starts):
    its = []
    for i, it in enumerate(truth["iterations"]):
        start = starts[i][0]
        after = (start - it["host_func_returned_ns"]) / 1e3
        its.append({"index": i, "issue_to_start_us": round((start - it["copy_issued_ns"]) / 1e3, 1),
                    "start_after_host_func_us": round(after, 1), "held": not (0 <= after <= 100),
                    "behind_host_func": 0 <= after <= 100})
    return its


def context_hold(truth, starts):
    its = []
    for i, it in enumerate(truth["iterations"]):
        record_us = (it["record_end_ns"] - it["record_begin_ns"]) / 1e3
        inside = it["holder_begin_ns"] <= it["record_begin_ns"] <= it["holder_end_ns"]
        released_us = (it["record_end_ns"] - it["holder_end_ns"]) / 1e3
        held = record_us > 1000 and inside and 0 <= released_us <= 200
        entry = {"index": i, "holder": it["holder"], "record_call_us": round(record_us, 1),
                 "record_returned_after_holder_us": round(released_us, 1), "held": held}
        if held:
            entry.update({"cause": ["host-side-lock"], "blocker": "api"})
        its.append(entry)
    return its


def time_slice(truth, starts, sentinels):
    its = []
    for i, it in enumerate(truth["iterations"]):
        start = starts[i][0]
        sentinel = sentinels[i + 1]  # the first sentinel is the warm-up
        issue = it["copy_issued_ns"]
        hold = start - issue
        off_gpu = 0  # of the hold, while the sentinel saw its context off the GPU
        for b, e in it["sentinel_gaps_ns"]:
            lo, hi = max(issue, sentinel + b), min(start, sentinel + e)
            off_gpu += max(0, hi - lo)
        if sentinel > issue:  # not started yet at the copy's issue: off the GPU until it started
            off_gpu += min(sentinel, start) - issue
        gap_end_near = any(abs(sentinel + e - start) <= 50_000 for _, e in it["sentinel_gaps_ns"])
        resumed_together = abs(sentinel - start) <= 50_000 and sentinel > issue
        held = hold > 100_000
        entry = {"index": i, "issue_to_start_us": round(hold / 1e3, 1), "off_gpu_us": round(off_gpu / 1e3, 1),
                 "sentinel_start_minus_issue_us": round((sentinel - issue) / 1e3, 1),
                 "copy_ms_by_events": it["copy_ms_by_events"], "held": held}
        if held:
            proven = off_gpu * 2 >= hold and (gap_end_near or resumed_together)
            entry["cause"] = ["other-process"] if proven else ["unknown"]
            if proven:
                entry["blocker"] = "kernel"
        its.append(entry)
    return its


def graph_copy(truth, starts):
    its = []
    for i, it in enumerate(truth["iterations"]):
        recorded_ms = starts[i][1] / 1e6
        events_ms = it["copy_ms_by_events"]
        its.append({"index": i, "copy_ms_by_events": events_ms, "copy_record_ms": round(recorded_ms, 4),
                    "contradicts_events": recorded_ms > 1 and recorded_ms > 10 * events_ms, "held": False})
    return its


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--holdup", required=True)
    ap.add_argument("--set", default="h100-2026-12-07")
    ap.add_argument("results")
    ap.add_argument("dest")
    a = ap.parse_args()
    machine = dict(l.split(": ", 1) for l in open(os.path.join(a.results, "machine.txt")).read().splitlines() if ": " in l)
    manifest_path = os.path.join(a.dest, "MANIFEST.json")
    manifest = json.load(open(manifest_path)) if os.path.exists(manifest_path) else {
        "schema": "holdup-fixtures/2", "made_by": "tests/gpu/make_diagnosis2_manifest.py", "sets": {}, "fixtures": []}
    manifest["sets"][a.set] = {"gpu": machine.get("gpu"), "date": machine.get("date")}
    manifest["fixtures"] = [f for f in manifest["fixtures"] if not f["traces"][0].startswith(a.set + "/")]
    for case in sorted(os.listdir(a.results)):
        src = os.path.join(a.results, case)
        truth_path = os.path.join(src, "truth.json")
        if case not in SIZES or not os.path.exists(truth_path) or os.path.getsize(truth_path) == 0:
            continue
        truth = json.loads(open(truth_path).read().strip().splitlines()[-1])
        traces = sorted(glob.glob(os.path.join(src, "trace", "*.trace")))
        main_trace = next(t for t in traces if copy_starts(a.holdup, t, SIZES[case]))
        starts = copy_starts(a.holdup, main_trace, SIZES[case])
        n = len(truth["iterations"])
        skip = len(starts) - n
        if skip < 0:
            sys.exit(f"{case}: {len(starts)} copies of {SIZES[case]} bytes in {main_trace}, truth has {n}")
        measured = starts[skip:]
        if case == "host-func":
            its = host_func(truth, measured)
        elif case == "context-hold":
            its = context_hold(truth, measured)
        elif case == "graph-copy":
            its = graph_copy(truth, measured)
        else:
            sentinels = sorted(t for t, _, l in records(a.holdup, main_trace, "kernel") if "sentinel" in l)
            its = time_slice(truth, measured, sentinels)
        dest = os.path.join(a.dest, a.set, case)
        shutil.rmtree(dest, ignore_errors=True)
        os.makedirs(os.path.join(dest, "trace"))
        for t in traces:
            shutil.copy(t, os.path.join(dest, "trace"))
        shutil.copy(truth_path, os.path.join(dest, "truth.json"))
        pid = int(os.path.basename(main_trace).rsplit("-", 1)[1].split(".")[0])
        manifest["fixtures"].append({
            "scenario": case, "traces": [f"{a.set}/{case}/trace"], "control": False,
            "processes": [{"pid": pid, "trace": f"{a.set}/{case}/trace/{os.path.basename(main_trace)}",
                           "copy_bytes": SIZES[case], "calibration_copies": skip, "warmup": 0,
                           "truth": "probe", "iterations": its}]})
    manifest["fixtures"].sort(key=lambda f: f["traces"][0])
    os.makedirs(a.dest, exist_ok=True)
    with open(manifest_path, "w") as f:
        json.dump(manifest, f, indent=1)
        f.write("\n")


if __name__ == "__main__":
    main()
