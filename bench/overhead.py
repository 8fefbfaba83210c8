#!/usr/bin/env python3
"""Recording overhead on the GPU (issue 5): the app alone, under holdup, under
the bare CUPTI floor (libholdup_floor.so) and, for the PyTorch loop, under
torch.profiler; interleaved rounds (A B C D A B C D ...) on one machine.

Usage: bench/overhead.py BUILD_DIR OUT_DIR [options]   (see --help)
Run through bench/run_overhead.sh. Standard library only. Writes under OUT_DIR:
runs.jsonl (one object per run), summary.json, summary.csv, table.md, and
the logs of each run (traces are deleted once `holdup info` has read them).
Exit: 0 (also "no GPU: skipped"), 1 when a run failed, 2 on bad arguments.
"""
import argparse
import csv
import glob
import json
import os
import shutil
import statistics
import subprocess
import sys
import time
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
ALONE, HOLDUP, FLOOR, TORCH_PROFILER = "alone", "holdup", "floor", "torch.profiler"

# Rough wall seconds per run, for the up-front estimate (H100, warm machine).
WORKLOAD_STARTUP_S = 1.5
WORKLOAD_ITERATION_S = 0.0085
TORCH_STARTUP_S = 6.0
TORCH_STEP_S = 0.004


def parse_args():
    p = argparse.ArgumentParser(description="Recording overhead: alone / holdup / floor / torch.profiler")
    p.add_argument("build_dir", type=Path)
    p.add_argument("out_dir", type=Path)
    p.add_argument("--repeats", type=int, default=int(os.environ.get("REPEATS", 3)))
    p.add_argument("--launch-repeats", type=int, default=int(os.environ.get("LAUNCH_REPEATS", 5)))
    p.add_argument("--launch-seconds", type=float, default=float(os.environ.get("LAUNCH_SECONDS", 3)))
    p.add_argument("--launch-threads", type=int, default=int(os.environ.get("LAUNCH_THREADS", 4)))
    p.add_argument("--wl-short", type=int, default=int(os.environ.get("WL_SHORT", 2)),
                   help="workload iterations of the short run (start-up reference)")
    p.add_argument("--wl-long", type=int, default=int(os.environ.get("WL_LONG", 32)),
                   help="workload iterations of the long run; per-iteration = (long - short) / difference")
    p.add_argument("--torch-steps", type=int, default=int(os.environ.get("TORCH_STEPS", 300)))
    p.add_argument("--torch-python", default=os.environ.get("TORCH_PYTHON", ""),
                   help="python with torch (default: /opt/torch/.venv/bin/python3 if present, else python3)")
    p.add_argument("--only", default=os.environ.get("ONLY", ""),
                   help="comma list of benches: seed-lazy,sm-saturated,launch,torch")
    p.add_argument("--run-timeout", type=float, default=120.0)
    p.add_argument("--dry-run", action="store_true", help="print the plan and the time estimate, run nothing")
    return p.parse_args()


def log(text):
    print(text, file=sys.stderr, flush=True)


def have_gpu():
    smi = shutil.which("nvidia-smi")
    if smi is None:
        return False
    r = subprocess.run([smi, "-L"], capture_output=True, text=True)
    return r.returncode == 0 and "GPU" in r.stdout


def machine_info():
    info = {"date_utc": time.strftime("%Y-%m-%d %H:%M:%S", time.gmtime())}
    try:
        r = subprocess.run(["nvidia-smi", "--query-gpu=name,driver_version", "--format=csv,noheader"],
                           capture_output=True, text=True, timeout=30)
        name, driver = [s.strip() for s in r.stdout.splitlines()[0].split(",")]
        info.update(card=name, driver=driver)
    except Exception as e:  # no GPU or odd output: keep going, say so
        info.update(card="?", driver="?", smi_error=str(e))
    commit = os.environ.get("HOLDUP_COMMIT", "")
    if not commit:
        r = subprocess.run(["git", "-C", str(REPO), "rev-parse", "--short", "HEAD"], capture_output=True, text=True)
        commit = r.stdout.strip() if r.returncode == 0 else "unknown (set HOLDUP_COMMIT)"
    info["commit"] = commit
    return info


class Bench:
    """One workload: how to run it in each mode and how to read its metric."""

    def __init__(self, name, modes, repeats, higher_is_better, unit):
        self.name, self.modes, self.repeats = name, modes, repeats
        self.higher_is_better, self.unit = higher_is_better, unit

    def variants(self):
        return [None]


class WorkloadBench(Bench):
    def __init__(self, scenario, args, build):
        super().__init__(scenario, [ALONE, HOLDUP, FLOOR], args.repeats, False, "ms/iteration")
        self.exe = build / "tools/workload/holdup-workload"
        self.short, self.long = args.wl_short, args.wl_long

    def variants(self):
        return ["short", "long"]

    def command(self, mode, variant):
        n = self.short if variant == "short" else self.long
        return [str(self.exe), "--scenario", self.name, "--no-events", "--iterations", str(n)]

    def estimate_s(self):
        runs = self.repeats * len(self.modes)
        return runs * (2 * WORKLOAD_STARTUP_S + (self.short + self.long) * WORKLOAD_ITERATION_S + 0.5)


class LaunchBench(Bench):
    def __init__(self, args, build):
        super().__init__("launch", [ALONE, HOLDUP, FLOOR], args.launch_repeats, True, "ops/s")
        self.exe = build / "bench/holdup-bench-launch"
        self.threads, self.seconds = args.launch_threads, args.launch_seconds

    def command(self, mode, variant):
        return [str(self.exe), "--threads", str(self.threads), "--seconds", str(self.seconds)]

    def estimate_s(self):
        return self.repeats * len(self.modes) * (self.seconds + 2.0)


class TorchBench(Bench):
    def __init__(self, args, python):
        super().__init__("torch", [ALONE, HOLDUP, FLOOR, TORCH_PROFILER], args.repeats, True, "steps/s")
        self.python, self.steps = python, args.torch_steps

    def command(self, mode, variant):
        cmd = [self.python, str(REPO / "bench/torch_train.py"), "--steps", str(self.steps)]
        return cmd + (["--profiler"] if mode == TORCH_PROFILER else [])

    def estimate_s(self):
        return self.repeats * len(self.modes) * (TORCH_STARTUP_S + (self.steps + 30) * TORCH_STEP_S + 1.0)


def mode_env(mode, build, run_dir):
    env = dict(os.environ)
    for name in ("CUDA_INJECTION64_PATH", "HOLDUP_OUTPUT", "HOLDUP_FLOOR_REPORT"):
        env.pop(name, None)
    if mode == HOLDUP:
        env["CUDA_INJECTION64_PATH"] = str((build / "src/inject/libholdup.so").resolve())
        env["HOLDUP_OUTPUT"] = str(run_dir)
    elif mode == FLOOR:
        env["CUDA_INJECTION64_PATH"] = str((build / "bench/floor/libholdup_floor.so").resolve())
        env["HOLDUP_FLOOR_REPORT"] = str(run_dir / "floor.json")
    return env


def read_traces(holdup_exe, run_dir):
    """Records, dropped records and records/s from `holdup info --json`; deletes the traces."""
    traces = sorted(glob.glob(str(run_dir / "holdup-*.trace")))
    if not traces:
        return {"trace_error": "no trace written"}
    r = subprocess.run([str(holdup_exe), "info", "--json", *traces], capture_output=True, text=True, timeout=300)
    out = {"trace_files": len(traces), "trace_bytes": sum(os.path.getsize(t) for t in traces)}
    try:
        infos = json.loads(r.stdout)
    except json.JSONDecodeError:
        out["trace_error"] = f"holdup info failed (rc {r.returncode}): {r.stderr.strip()[:300]}"
        return out
    (run_dir / "info.json").write_text(json.dumps(infos))
    health = [i.get("health") or {} for i in infos]
    records = sum(int(h.get("records", 0)) for h in health)
    first = min((int(i.get("first_ns", 0)) for i in infos if int(i.get("first_ns", 0))), default=0)
    last = max((int(i.get("last_ns", 0)) for i in infos), default=0)
    span_s = (last - first) / 1e9 if last > first else 0.0
    out.update(
        records=records,
        dropped_records=sum(int(h.get("dropped_records", 0)) for h in health),
        buffers_denied=sum(int(h.get("buffers_denied", 0)) for h in health),
        callback_events_dropped=sum(int(h.get("callback_events_dropped", 0)) for h in health),
        records_span_s=span_s,
        records_per_s=records / span_s if span_s > 0 else None,
        trace_warnings=[w for i in infos for w in i.get("warnings", [])],
    )
    for t in traces:
        os.remove(t)
    return out


def run_one(bench, mode, variant, rep, build, out_dir, timeout):
    tag = f"{bench.name}/{mode.replace('.', '_')}-{rep}" + (f"-{variant}" if variant else "")
    run_dir = (out_dir / "runs" / tag).resolve()
    run_dir.mkdir(parents=True, exist_ok=True)
    cmd = bench.command(mode, variant)
    t0 = time.perf_counter()
    try:
        p = subprocess.run(cmd, env=mode_env(mode, build, run_dir), capture_output=True, text=True,
                           timeout=timeout, cwd=run_dir)
        rc, stdout, stderr = p.returncode, p.stdout, p.stderr
    except subprocess.TimeoutExpired as e:
        rc, stdout, stderr = "timeout", e.stdout or "", e.stderr or ""
        stdout = stdout.decode() if isinstance(stdout, bytes) else stdout
        stderr = stderr.decode() if isinstance(stderr, bytes) else stderr
    wall = time.perf_counter() - t0
    (run_dir / "stdout.txt").write_text(stdout)
    (run_dir / "stderr.txt").write_text(stderr)
    row = {"bench": bench.name, "mode": mode, "rep": rep, "variant": variant, "rc": rc, "wall_s": wall,
           "command": " ".join(cmd)}
    if rc == 0 and isinstance(bench, (LaunchBench, TorchBench)):
        try:
            row["result"] = json.loads(stdout.strip().splitlines()[-1])
        except (json.JSONDecodeError, IndexError):
            row["rc"] = "bad-output"
    if mode == HOLDUP:
        row.update(read_traces(build / "tools/holdup/holdup", run_dir))
    elif mode == FLOOR:
        try:
            row["floor"] = json.loads((run_dir / "floor.json").read_text())
        except (OSError, json.JSONDecodeError):
            row["floor"] = None
    return row


def metric_by_rep(bench, rows):
    """{mode: [(rep, metric, startup_s)]} from the runs of one bench."""
    out = {}
    for mode in bench.modes:
        mine = [r for r in rows if r["mode"] == mode and r["rc"] == 0]
        values = []
        for rep in sorted({r["rep"] for r in mine}):
            of_rep = [r for r in mine if r["rep"] == rep]
            if isinstance(bench, WorkloadBench):
                short = next((r for r in of_rep if r["variant"] == "short"), None)
                long = next((r for r in of_rep if r["variant"] == "long"), None)
                if short and long:
                    per_iteration = (long["wall_s"] - short["wall_s"]) / (bench.long - bench.short)
                    values.append((rep, per_iteration * 1e3, short["wall_s"] - bench.short * per_iteration))
            else:
                r = of_rep[0]
                key = "ops_per_s" if isinstance(bench, LaunchBench) else "steps_per_s"
                values.append((rep, r["result"][key], r["result"]["startup_s"]))
        out[mode] = values
    return out


def added_cost(bench, alone, value):
    """Relative added time per unit of work over the app alone."""
    if alone is None or value is None or alone <= 0 or value <= 0:
        return None
    return alone / value - 1.0 if bench.higher_is_better else value / alone - 1.0


def median_or_none(values):
    values = [v for v in values if v is not None]
    return statistics.median(values) if values else None


def summarize(benches, rows):
    summary = []
    for bench in benches:
        mine = [r for r in rows if r["bench"] == bench.name]
        by_mode = metric_by_rep(bench, mine)
        alone = median_or_none([v for _, v, _ in by_mode.get(ALONE, [])])
        floor_added = added_cost(bench, alone, median_or_none([v for _, v, _ in by_mode.get(FLOOR, [])]))
        for mode in bench.modes:
            values = [v for _, v, _ in by_mode.get(mode, [])]
            med = median_or_none(values)
            added = added_cost(bench, alone, med)
            runs = [r for r in mine if r["mode"] == mode]
            recs = [r.get("records_per_s") for r in runs if r.get("records_per_s")]
            drops = [r.get("dropped_records") for r in runs if "dropped_records" in r]
            if mode == FLOOR:
                drops = [r["floor"]["dropped_records"] for r in runs if r.get("floor")]
            summary.append({
                "bench": bench.name,
                "mode": mode,
                "unit": bench.unit,
                "runs_ok": len(values),
                "runs_failed": sum(1 for r in runs if r["rc"] != 0),
                "median": med,
                "spread_pct": (max(values) - min(values)) / med * 100 if med and len(values) > 1 else None,
                "added_pct": added * 100 if added is not None else None,
                "holdup_over_floor": (added / floor_added if mode == HOLDUP and added is not None
                                      and floor_added and floor_added > 0 else None),
                "startup_s": median_or_none([s for _, _, s in by_mode.get(mode, [])]),
                "records_per_s": median_or_none(recs),
                "records_per_run": median_or_none([r.get("records") for r in runs if "records" in r]),
                "dropped_records": max(drops) if drops else None,
                "buffers_denied": max((r.get("buffers_denied", 0) for r in runs), default=None) if mode == HOLDUP else None,
                "callback_events_dropped": max((r.get("callback_events_dropped", 0) for r in runs), default=None)
                if mode == HOLDUP else None,
            })
    return summary


def fmt(value, spec):
    return "-" if value is None else format(value, spec)


def table(summary, info):
    lines = [f"card: {info.get('card')}, driver {info.get('driver')}, {info['date_utc']} UTC, commit {info['commit']}",
             "",
             "| workload | mode | added vs alone | holdup/floor added | median | unit | spread | start-up s "
             "| records/s | dropped | runs ok/failed |",
             "|---|---|---|---|---|---|---|---|---|---|---|"]
    for s in summary:
        lines.append(
            f"| {s['bench']} | {s['mode']} | {fmt(s['added_pct'], '+.2f')}% | {fmt(s['holdup_over_floor'], '.2f')} "
            f"| {fmt(s['median'], '.4g')} | {s['unit']} | {fmt(s['spread_pct'], '.1f')}% | {fmt(s['startup_s'], '.2f')} "
            f"| {fmt(s['records_per_s'], '.3g')} | {fmt(s['dropped_records'], 'd')} "
            f"| {s['runs_ok']}/{s['runs_failed']} |")
    return "\n".join(lines) + "\n"


def main():
    args = parse_args()
    build = args.build_dir.resolve()
    python = args.torch_python or ("/opt/torch/.venv/bin/python3" if os.path.exists("/opt/torch/.venv/bin/python3")
                                   else "python3")
    wanted = [w for w in args.only.split(",") if w] or ["seed-lazy", "sm-saturated", "launch", "torch"]
    benches = []
    for w in wanted:
        if w in ("seed-lazy", "sm-saturated"):
            benches.append(WorkloadBench(w, args, build))
        elif w == "launch":
            benches.append(LaunchBench(args, build))
        elif w == "torch":
            benches.append(TorchBench(args, python))
        else:
            log(f"overhead.py: unknown bench '{w}' in --only; use seed-lazy,sm-saturated,launch,torch")
            return 2
    needed = ["src/inject/libholdup.so", "bench/floor/libholdup_floor.so", "tools/holdup/holdup"]
    needed += ["tools/workload/holdup-workload"] if any(isinstance(b, WorkloadBench) for b in benches) else []
    needed += ["bench/holdup-bench-launch"] if any(isinstance(b, LaunchBench) for b in benches) else []
    missing = [n for n in needed if not (build / n).exists()]
    if missing:
        log(f"overhead.py: missing under {build}: {', '.join(missing)}; build them "
            "(ninja holdup_inject holdup holdup-workload holdup_floor holdup-bench-launch) or carry them")
        return 2

    estimate = sum(b.estimate_s() for b in benches)
    plan = [f"{b.name}: {b.repeats} rounds of {' '.join(b.modes)}" +
            (f" (each {b.short} and {b.long} iterations)" if isinstance(b, WorkloadBench) else "") for b in benches]
    log("plan:\n  " + "\n  ".join(plan) + f"\nestimated {estimate / 60:.1f} min")
    if args.dry_run:
        return 0
    if not have_gpu():
        print("no GPU: skipped")
        return 0

    if any(isinstance(b, TorchBench) for b in benches):
        r = subprocess.run([python, "-c", "import torch; assert torch.cuda.is_available()"], capture_output=True)
        if r.returncode != 0:
            log(f"overhead.py: {python} has no torch with CUDA: torch bench skipped")
            benches = [b for b in benches if not isinstance(b, TorchBench)]

    out = args.out_dir.resolve()
    out.mkdir(parents=True, exist_ok=True)
    info = machine_info()
    (out / "machine.json").write_text(json.dumps(info, indent=1))
    rows = []
    started = time.perf_counter()
    with open(out / "runs.jsonl", "w") as runs_file:
        for bench in benches:
            for rep in range(bench.repeats):
                for mode in bench.modes:
                    for variant in bench.variants():
                        row = run_one(bench, mode, variant, rep, build, out, args.run_timeout)
                        rows.append(row)
                        runs_file.write(json.dumps(row) + "\n")
                        runs_file.flush()
                        log(f"[{time.perf_counter() - started:6.1f}s] {bench.name} {mode} rep {rep}"
                            f"{' ' + variant if variant else ''}: rc {row['rc']}, {row['wall_s']:.2f} s"
                            + (f", {row['records']} records" if "records" in row else ""))
    summary = summarize(benches, rows)
    (out / "summary.json").write_text(json.dumps({"machine": info, "rows": summary}, indent=1))
    with open(out / "summary.csv", "w", newline="") as f:
        w = csv.DictWriter(f, fieldnames=list(summary[0].keys()) if summary else ["bench"])
        w.writeheader()
        w.writerows(summary)
    text = table(summary, info)
    (out / "table.md").write_text(text)
    print(text)
    log(f"total {time.perf_counter() - started:.0f} s; results in {out}")
    return 1 if any(r["rc"] != 0 for r in rows) else 0


if __name__ == "__main__":
    sys.exit(main())
