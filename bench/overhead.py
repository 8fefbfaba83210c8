#!/usr/bin/env python3
"""Recording overhead on the GPU (issues 5 and 12): the app alone, under holdup,
under the bare CUPTI floors (libholdup_floor.so: holdup's own CUPTI set-up, and
the minimal one) and, for the PyTorch loop, under torch.profiler; all benches
interleaved round by round on one machine (round r runs every bench's modes,
in an order rotated by r). Plus in-process sweeps over CUPTI set-ups: what
each activity kind and callback set adds to the launch bench and the PyTorch
loop ("kinds").

Usage: bench/overhead.py BUILD_DIR OUT_DIR [options]   (see --help)
Run through bench/run_overhead.sh. Standard library only. Writes under OUT_DIR:
runs.jsonl (one object per run), summary.json ({machine, rows[], kinds[],
plan}), summary.csv (rows), table.md, and the logs of each run (traces are
deleted once `holdup info` has read them).
Exit: 0 (also "no GPU: skipped"), 1 when a run failed, 2 on bad arguments.

Modes (--*-modes; a mode is NAME or NAME{VAR=VALUE,...} for extra settings):
  alone            no injection
  minimal-floor    libholdup_floor.so, HOLDUP_FLOOR_SET=minimal
  floor            libholdup_floor.so, HOLDUP_FLOOR_SET=holdup (holdup's set-up)
  full-floor       libholdup_floor.so, HOLDUP_FLOOR_SET=full (holdup before issue 12)
  floor:SET        libholdup_floor.so, HOLDUP_FLOOR_SET=SET
  holdup           libholdup.so with its defaults
  holdup-full      libholdup.so recording everything: every API call's record,
                   every launch, kernel latency timestamps (every kind is on)
  torch.profiler   the PyTorch loop under torch.profiler (CPU + CUDA)
"""
import argparse
import csv
import glob
import gzip
import json
import os
import random
import shutil
import statistics
import subprocess
import sys
import time
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
ALONE, HOLDUP, FLOOR, MINIMAL, TORCH_PROFILER = "alone", "holdup", "floor", "minimal-floor", "torch.profiler"
HOLDUP_FULL_ENV = {"HOLDUP_ALL_API_RECORDS": "1", "HOLDUP_ALL_LAUNCHES": "1", "HOLDUP_LATENCY_TIMESTAMPS": "1"}

# The in-process sweep's CUPTI set-ups: the minimal one, each kind or
# callback set added to it alone, holdup's, and everything (bench/floor).
DEFAULT_SWEEP = ";".join([
    "minimal", "minimal+DRIVER", "minimal+SYNCHRONIZATION", "minimal+CUDA_EVENT", "minimal+OVERHEAD",
    "minimal+MEMCPY2", "minimal+STREAM+DEVICE+CONTEXT", "minimal+MARKER+NAME", "minimal+cb_resource",
    "minimal+cb_launch", "minimal+cb_runtime", "minimal+quiet_api", "holdup", "full-latency"])

# Rough wall seconds per run, for the up-front estimate (H200, warm machine).
WORKLOAD_STARTUP_S = 0.8
WORKLOAD_ITERATION_S = 0.0082
TORCH_STARTUP_S = 12.0
TORCH_STEP_S = 0.004
INFO_S = 0.5  # holdup info after a holdup run


def parse_args():
    env = os.environ.get
    p = argparse.ArgumentParser(description="Recording overhead: alone / floors / holdup / torch.profiler")
    p.add_argument("build_dir", type=Path)
    p.add_argument("out_dir", type=Path)
    p.add_argument("--repeats", type=int, default=int(env("REPEATS", 3)), help="rounds of the torch loop")
    p.add_argument("--workload-repeats", type=int, default=int(env("WL_REPEATS", 5)))
    p.add_argument("--launch-repeats", type=int, default=int(env("LAUNCH_REPEATS", 5)))
    p.add_argument("--launch-seconds", type=float, default=float(env("LAUNCH_SECONDS", 2)))
    p.add_argument("--launch-threads", type=int, default=int(env("LAUNCH_THREADS", 4)))
    p.add_argument("--wl-iterations", type=int, default=int(env("WL_ITERATIONS", 150)),
                   help="workload iterations per run; the metric is the loop's period as the GPU ran it")
    p.add_argument("--torch-steps", type=int, default=int(env("TORCH_STEPS", 1500)),
                   help="timed steps per run (start-up is ~12 s, so long runs cost little more)")
    p.add_argument("--torch-python", default=env("TORCH_PYTHON", ""),
                   help="python with torch (default: /opt/torch/.venv/bin/python3 if present, else python3)")
    p.add_argument("--launch-modes", default=env("LAUNCH_MODES", "alone,minimal-floor,floor,holdup,holdup-full"))
    p.add_argument("--torch-modes", default=env("TORCH_MODES", "alone,minimal-floor,floor,holdup,torch.profiler"))
    p.add_argument("--workload-modes", default=env("WL_MODES", "alone,minimal-floor,floor,holdup"))
    p.add_argument("--sweep", default=env("SWEEP", DEFAULT_SWEEP), help="';'-separated floor sets of the sweeps")
    p.add_argument("--sweep-settle", type=int, default=int(env("SWEEP_SETTLE", 3)),
                   help="torch-kinds: untimed steps after each switch of set")
    p.add_argument("--sweep-repeats", type=int, default=int(env("SWEEP_REPEATS", 1)), help="processes per sweep")
    p.add_argument("--sweep-rounds", type=int, default=int(env("SWEEP_ROUNDS", 5)))
    p.add_argument("--sweep-phase-s", type=float, default=float(env("SWEEP_PHASE_S", 0.25)),
                   help="launch sweep: seconds per set and round")
    p.add_argument("--sweep-steps", type=int, default=int(env("SWEEP_STEPS", 40)),
                   help="torch sweep: steps per set and round")
    p.add_argument("--stress-threads", type=int, default=int(env("STRESS_THREADS", 8)))
    p.add_argument("--stress-seconds", type=float, default=float(env("STRESS_SECONDS", 4)))
    p.add_argument("--stress-repeats", type=int, default=int(env("STRESS_REPEATS", 2)))
    p.add_argument("--only", default=env("ONLY", ""),
                   help="comma list of benches: seed-lazy,sm-saturated,launch,torch,launch-kinds,torch-kinds,stress")
    p.add_argument("--deadline-s", type=float, default=float(env("DEADLINE_S", 0)),
                   help="start no run after this many seconds (0: none); what ran is summarized")
    p.add_argument("--cpus", default=env("CPUS", ""),
                   help="run every process under `taskset -c CPUS` (e.g. 2-9), all modes alike: whether pinning "
                        "narrows the spread between processes (13 %% on the PyTorch loop unpinned)")
    p.add_argument("--run-timeout", type=float, default=120.0)
    p.add_argument("--bootstrap", type=int, default=int(env("BOOTSTRAP", 1000)), help="resamples for the 95%% CIs")
    p.add_argument("--dry-run", action="store_true", help="print the plan and the time estimate, run nothing")
    p.add_argument("--from-runs", nargs="+", type=Path, default=[],
                   help="run nothing: summarize these runs.jsonl[.gz] files together (pooled runs of earlier "
                        "commands; --only and the --*-modes say which benches and modes)")
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


# --- modes ---------------------------------------------------------------------


class Mode:
    """How a run is injected: library (None, 'holdup' or 'floor') and settings."""

    def __init__(self, text):
        self.name = text
        base, extra = text, {}
        if "{" in text and text.endswith("}"):
            base, rest = text[:-1].split("{", 1)
            for item in filter(None, rest.split(",")):
                key, _, value = item.partition("=")
                extra[key.strip()] = value.strip()
        self.base = base
        self.env = {}
        if base == ALONE or base == TORCH_PROFILER:
            self.library = None
        elif base == HOLDUP:
            self.library = HOLDUP
        elif base == "holdup-full":
            self.library, self.env = HOLDUP, dict(HOLDUP_FULL_ENV)
        elif base in (FLOOR, MINIMAL, "full-floor") or base.startswith("floor:"):
            self.library = FLOOR
            floor_set = {FLOOR: "holdup", MINIMAL: "minimal", "full-floor": "full"}.get(base, base[len("floor:"):])
            self.env = {"HOLDUP_FLOOR_SET": floor_set}
        else:
            raise ValueError(f"unknown mode '{text}'")
        self.env.update(extra)
        self.profiler = base == TORCH_PROFILER

    def environment(self, build, run_dir):
        env = dict(os.environ)
        for name in ("CUDA_INJECTION64_PATH", "HOLDUP_OUTPUT", "HOLDUP_FLOOR_REPORT", "HOLDUP_FLOOR_SET"):
            env.pop(name, None)
        if self.library == HOLDUP:
            env["CUDA_INJECTION64_PATH"] = str((build / "src/inject/libholdup.so").resolve())
            env["HOLDUP_OUTPUT"] = str(run_dir)
        elif self.library == FLOOR:
            env["CUDA_INJECTION64_PATH"] = str((build / "bench/floor/libholdup_floor.so").resolve())
            env["HOLDUP_FLOOR_REPORT"] = str(run_dir / "floor.json")
        env.update(self.env)
        return env


def modes_of(text):
    return [Mode(m) for m in split_modes(text)]


def split_modes(text):
    """Comma list, commas inside {...} kept."""
    out, depth, cur = [], 0, ""
    for c in text:
        depth += (c == "{") - (c == "}")
        if c == "," and depth == 0:
            out.append(cur.strip())
            cur = ""
        else:
            cur += c
    if cur.strip():
        out.append(cur.strip())
    return out


# --- benches ---------------------------------------------------------------------


class Bench:
    """One workload: how to run it in each mode and how to read its metric."""
    sweep = False

    def __init__(self, name, modes, repeats, higher_is_better, unit):
        self.name, self.modes, self.repeats = name, modes, repeats
        self.higher_is_better, self.unit = higher_is_better, unit

    def metric(self, row):
        """(value, samples for the CI, start-up s) of a finished run, or None."""
        return None


class WorkloadBench(Bench):
    """ms per iteration: the mean period of the loop as the GPU ran it (the proxy seeing each
    iteration's Kernel0 request), iterations after the first few; start-up = wall - iterations x period."""
    SKIP = 3

    def __init__(self, scenario, args, build):
        super().__init__(scenario, modes_of(args.workload_modes), args.workload_repeats, False, "ms/iteration")
        self.exe = build / "tools/workload/holdup-workload"
        self.iterations = args.wl_iterations

    def command(self, mode, run_dir):
        return [str(self.exe), "--scenario", self.name, "--no-events", "--iterations", str(self.iterations),
                "--json", str(run_dir / "workload.json")]

    def metric(self, row):
        try:
            doc = json.loads(Path(row["run_dir"], "workload.json").read_text())
            seen = [it["request_seen_since_start_us"] for it in doc["processes"][0]["iterations"]]
        except (OSError, ValueError, KeyError, IndexError):
            return None
        seen = seen[self.SKIP:]
        periods = [(b - a) / 1e3 for a, b in zip(seen, seen[1:])]
        if len(periods) < 2:
            return None
        mean = (seen[-1] - seen[0]) / 1e3 / len(periods)
        return mean, periods, row["wall_s"] - self.iterations * mean / 1e3

    def estimate_s(self):
        return self.repeats * len(self.modes) * (WORKLOAD_STARTUP_S + self.iterations * WORKLOAD_ITERATION_S)


class LaunchBench(Bench):
    def __init__(self, name, args, build, modes, repeats, threads, seconds):
        super().__init__(name, modes, repeats, True, "ops/s")
        self.exe = build / "bench/holdup-bench-launch"
        self.threads, self.seconds = threads, seconds

    def command(self, mode, run_dir):
        return [str(self.exe), "--threads", str(self.threads), "--seconds", str(self.seconds)]

    def metric(self, row):
        r = row.get("result") or {}
        return (r["ops_per_s"], [r["ops_per_s"]], r["startup_s"]) if "ops_per_s" in r else None

    def estimate_s(self):
        holdups = sum(1 for m in self.modes if m.library == HOLDUP)
        return self.repeats * (len(self.modes) * (self.seconds + 0.6) + holdups * INFO_S)


class TorchBench(Bench):
    def __init__(self, args, python):
        super().__init__("torch", modes_of(args.torch_modes), args.repeats, True, "steps/s")
        self.python, self.steps = python, args.torch_steps

    def command(self, mode, run_dir):
        cmd = [self.python, str(REPO / "bench/torch_train.py"), "--steps", str(self.steps)]
        return cmd + (["--profiler"] if mode.profiler else [])

    def metric(self, row):
        """steps/s over the timed steps; the samples are each block's steps/s (bootstrapped within the run)."""
        r = row.get("result") or {}
        if "steps_per_s" not in r:
            return None
        blocks = [1000.0 / ms for ms in r.get("block_step_ms", []) if ms > 0]
        return r["steps_per_s"], blocks or [r["steps_per_s"]], r["startup_s"]

    def estimate_s(self):
        # torch.profiler's teardown grows with the steps it kept (about 1 ms per step here)
        teardown = sum(1 for m in self.modes if m.profiler) * self.steps * 0.001
        return self.repeats * (len(self.modes) * (TORCH_STARTUP_S + (self.steps + 30) * TORCH_STEP_S + 1.0) + teardown)


class SweepBench(Bench):
    """One process under the floor, switching CUPTI set-ups in place (holdup_floor_select)."""
    sweep = True

    def __init__(self, name, args, sets, command, unit, per_round_s, startup_s, reference):
        first = sets[0]
        super().__init__(name, [Mode(f"floor:{first}")], args.sweep_repeats, True, unit)
        self.sets, self._command, self.per_round_s, self.startup_s = sets, command, per_round_s, startup_s
        self.rounds, self.reference = args.sweep_rounds, reference

    def command(self, mode, run_dir):
        return self._command

    def metric(self, row):
        return None

    def estimate_s(self):
        return self.repeats * (self.startup_s + self.rounds * len(self.sets) * self.per_round_s)


# --- running ---------------------------------------------------------------------


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


def safe(text):
    return "".join(c if c.isalnum() or c in "._-" else "_" for c in text)


def run_one(bench, mode, rep, build, out_dir, timeout, prefix=()):
    run_dir = (out_dir / "runs" / bench.name / f"{safe(mode.name)}-{rep}").resolve()
    run_dir.mkdir(parents=True, exist_ok=True)
    cmd = list(prefix) + bench.command(mode, run_dir)
    t0 = time.perf_counter()
    try:
        p = subprocess.run(cmd, env=mode.environment(build, run_dir), capture_output=True, text=True,
                           timeout=timeout, cwd=run_dir)
        rc, stdout, stderr = p.returncode, p.stdout, p.stderr
    except subprocess.TimeoutExpired as e:
        rc, stdout, stderr = "timeout", e.stdout or "", e.stderr or ""
        stdout = stdout.decode() if isinstance(stdout, bytes) else stdout
        stderr = stderr.decode() if isinstance(stderr, bytes) else stderr
    wall = time.perf_counter() - t0
    (run_dir / "stdout.txt").write_text(stdout)
    (run_dir / "stderr.txt").write_text(stderr)
    row = {"bench": bench.name, "mode": mode.name, "rep": rep, "rc": rc, "wall_s": wall, "command": " ".join(cmd),
           "settings": mode.env, "run_dir": str(run_dir)}
    if rc == 0 and not isinstance(bench, WorkloadBench):
        try:
            row["result"] = json.loads(stdout.strip().splitlines()[-1])
        except (json.JSONDecodeError, IndexError):
            row["rc"] = "bad-output"
    if rc == 0 and not bench.sweep:
        m = bench.metric(row)
        if m is None:
            row["rc"] = "bad-output"
        else:
            row["metric"], row["samples"], row["startup_s"] = m
    if mode.library == HOLDUP:
        row.update(read_traces(build / "tools/holdup/holdup", run_dir))
    elif mode.library == FLOOR:
        try:
            row["floor"] = json.loads((run_dir / "floor.json").read_text())
        except (OSError, json.JSONDecodeError):
            row["floor"] = None
    return row


# --- statistics ------------------------------------------------------------------


def median_or_none(values):
    values = [v for v in values if v is not None]
    return statistics.median(values) if values else None


def per_unit_time(bench, value):
    """Time per unit of work (smaller is better) from the bench's metric."""
    return 1.0 / value if bench.higher_is_better else value


def added(bench, alone_value, value):
    """Relative added time per unit of work over the app alone."""
    if alone_value is None or value is None or alone_value <= 0 or value <= 0:
        return None
    return per_unit_time(bench, value) / per_unit_time(bench, alone_value) - 1.0


def resample_metric(bench, runs, rng):
    """One bootstrap draw of a mode's median: runs resampled, and each run's samples
    (a workload run's iteration periods) resampled within it."""
    draw = [rng.choice(runs) for _ in runs]
    values = []
    for r in draw:
        s = r["samples"]
        if len(s) > 1:
            values.append(sum(rng.choice(s) for _ in s) / len(s))
        else:
            values.append(r["metric"])
    return statistics.median(values)


def ci_added(bench, alone_runs, runs, n, rng):
    """95 % interval of the added cost (percentile bootstrap), or (None, None)."""
    if not alone_runs or not runs or n <= 0:
        return None, None
    values = []
    for _ in range(n):
        a = added(bench, resample_metric(bench, alone_runs, rng), resample_metric(bench, runs, rng))
        if a is not None:
            values.append(a * 100)
    if len(values) < 10:
        return None, None
    values.sort()
    return values[int(0.025 * len(values))], values[min(len(values) - 1, int(0.975 * len(values)))]


def ci_ratio(bench, alone_runs, runs, other_runs, n, rng):
    """95 % interval of added(mode) / added(other) (percentile bootstrap over runs, as ci_added), or (None, None):
    whether a target such as "<= 1.15x the minimal floor's added cost" is resolved."""
    if not alone_runs or not runs or not other_runs or n <= 0:
        return None, None
    values = []
    for _ in range(n):
        a = resample_metric(bench, alone_runs, rng)
        mine, other = added(bench, a, resample_metric(bench, runs, rng)), added(bench, a, resample_metric(bench, other_runs, rng))
        if mine is not None and other is not None and other > 0:
            values.append(mine / other)
    if len(values) < 10:
        return None, None
    values.sort()
    return values[int(0.025 * len(values))], values[min(len(values) - 1, int(0.975 * len(values)))]


def summarize(benches, rows, n_boot):
    rng = random.Random(12)
    summary = []
    for bench in benches:
        if bench.sweep:
            continue
        mine = [r for r in rows if r["bench"] == bench.name]
        ok = {m.name: [r for r in mine if r["mode"] == m.name and r["rc"] == 0 and "metric" in r] for m in bench.modes}
        medians = {name: median_or_none([r["metric"] for r in runs]) for name, runs in ok.items()}
        alone = medians.get(ALONE)
        added_of = {name: added(bench, alone, med) for name, med in medians.items()}
        for mode in bench.modes:
            runs = ok[mode.name]
            values = [r["metric"] for r in runs]
            med = medians[mode.name]
            a = added_of[mode.name]
            all_runs = [r for r in mine if r["mode"] == mode.name]
            low, high = ci_added(bench, ok.get(ALONE, []), runs, n_boot, rng) if mode.name != ALONE else (None, None)

            def ratio(other):
                b = added_of.get(other)
                return a / b if a is not None and b and b > 0 and mode.name != other else None

            def ratio_ci(other):
                if mode.library is None or mode.name == other or other not in ok:
                    return None, None
                return ci_ratio(bench, ok.get(ALONE, []), runs, ok[other], n_boot, rng)

            minimal_ci, profiler_ci = ratio_ci(MINIMAL), ratio_ci(TORCH_PROFILER)

            recs = [r.get("records_per_s") for r in all_runs if r.get("records_per_s")]
            drops = [r.get("dropped_records") for r in all_runs if "dropped_records" in r]
            if mode.library == FLOOR:
                drops = [r["floor"]["dropped_records"] for r in all_runs if r.get("floor")]
            summary.append({
                "bench": bench.name,
                "mode": mode.name,
                "settings": mode.env,
                "unit": bench.unit,
                "runs_ok": len(values),
                "runs_failed": sum(1 for r in all_runs if r["rc"] != 0),
                "median": med,
                "spread_pct": (max(values) - min(values)) / med * 100 if med and len(values) > 1 else None,
                "added_pct": a * 100 if a is not None else None,
                "added_ci95_low_pct": low,
                "added_ci95_high_pct": high,
                "holdup_over_floor": ratio(FLOOR) if mode.library == HOLDUP else None,
                "over_minimal_floor": ratio(MINIMAL) if mode.library is not None else None,
                "over_minimal_floor_ci95_low": minimal_ci[0],
                "over_minimal_floor_ci95_high": minimal_ci[1],
                "over_torch_profiler": ratio(TORCH_PROFILER) if mode.library is not None else None,
                "over_torch_profiler_ci95_low": profiler_ci[0],
                "over_torch_profiler_ci95_high": profiler_ci[1],
                "startup_s": median_or_none([r.get("startup_s") for r in runs]),
                "records_per_s": median_or_none(recs),
                "records_per_run": median_or_none([r.get("records") for r in all_runs if "records" in r]),
                "dropped_records": max(drops) if drops else None,
                "buffers_denied": max((r.get("buffers_denied", 0) for r in all_runs), default=None)
                if mode.library == HOLDUP else None,
                "callback_events_dropped": max((r.get("callback_events_dropped", 0) for r in all_runs), default=None)
                if mode.library == HOLDUP else None,
            })
    return summary


def summarize_sweeps(benches, rows, summary, n_boot):
    """Per set: added time per unit of work over the minimal set, paired round by round in one process,
    as a share of the app's own time (its alone median from the same command) and, with the minimal
    floor's added cost, an estimate of the set's added cost over alone."""
    rng = random.Random(34)
    out = []
    for bench in benches:
        if not bench.sweep:
            continue
        base = next((s for s in summary if s["bench"] == bench.reference and s["mode"] == ALONE), None)
        minimal = next((s for s in summary if s["bench"] == bench.reference and s["mode"] == MINIMAL), None)
        ref = bench.sets[0]
        diffs = {s: [] for s in bench.sets}
        values = {s: [] for s in bench.sets}
        for row in rows:
            if row["bench"] != bench.name or row["rc"] != 0:
                continue
            result = row.get("result") or {}
            sweep = result.get("sweep") or {}
            if "sweep_step_ms" in result:  # the torch loop: ms/step -> steps/s, as its main bench
                sweep = {k: [1000.0 / v if v > 0 else 0.0 for v in vs] for k, vs in result["sweep_step_ms"].items()}
            ref_values = sweep.get(ref, [])
            for s in bench.sets:
                for i, v in enumerate(sweep.get(s, [])):
                    if v and v > 0:
                        values[s].append(v)
                        if i < len(ref_values) and ref_values[i] > 0:
                            diffs[s].append(per_unit_time(bench, v) - per_unit_time(bench, ref_values[i]))
        baseline = in_process_baseline(bench.sets)
        in_process = ratio_in_process(bench, rows, ref, baseline, rng, n_boot) if baseline else {}
        alone_t = per_unit_time(bench, base["median"]) if base and base["median"] else None
        ref_t = per_unit_time(bench, median_or_none(values[ref])) if values[ref] else None
        scale = alone_t or ref_t
        for s in bench.sets:
            d = diffs[s]
            med = median_or_none(d)
            low = high = None
            if len(d) >= 3 and n_boot > 0:
                boots = sorted(statistics.median([rng.choice(d) for _ in d]) for _ in range(n_boot))
                low, high = boots[int(0.025 * n_boot)], boots[min(n_boot - 1, int(0.975 * n_boot))]
            pct = (lambda x: x / scale * 100 if x is not None and scale else None)
            out.append({
                "bench": bench.name,
                "set": s,
                "unit": bench.unit,
                "rounds": len(d),
                "median": median_or_none(values[s]),
                "adds_over_minimal_pct": pct(med),
                "adds_ci95_low_pct": pct(low),
                "adds_ci95_high_pct": pct(high),
                "of": "alone" if alone_t else "minimal",
                "est_added_vs_alone_pct": (minimal["added_pct"] + pct(med))
                if minimal and minimal["added_pct"] is not None and med is not None and alone_t else None,
                **in_process.get(s, {}),
            })
    return out


# The floor's sets that stand in for "alone" inside a process, best first: CUPTI detached
# (cuptiFinalize), then CUPTI subscribed with nothing enabled (which already costs something).
DETACHED_SET = "detached"
NONE_SET = "none"


def in_process_baseline(sets):
    return next((s for s in (DETACHED_SET, NONE_SET) if s in sets), None)


def ratio_in_process(bench, rows, ref, baseline, rng, n_boot):
    """Per set: what it adds over the baseline set, as a multiple of what the minimal set (`ref`) adds,
    from the same rounds of the same processes (the issue's ratio, without the between-process
    spread of the app's own speed). `detached` rounds are the app alone (CUPTI finalized); `none`
    rounds have CUPTI attached but recording nothing, so over `none` the ratio leaves out what
    attaching alone costs. Over `detached`, the block right after it is left out (after_detach). The
    interval resamples processes, then rounds within each: a set's
    cost has varied between processes (bench/RESULTS.md), so rounds of one process are not
    independent samples of it. Each process's own ratio is listed too."""
    processes = []  # per process: rounds, each {set: time per unit}
    transient = 0  # blocks left out: the first after CUPTI attached again
    for row in rows:
        if row["bench"] != bench.name or row["rc"] != 0:
            continue
        result = row.get("result") or {}
        sweep = result.get("sweep") or {}
        if "sweep_step_ms" in result:
            sweep = {k: [1000.0 / v if v > 0 else 0.0 for v in vs] for k, vs in result["sweep_step_ms"].items()}
        n = min((len(v) for v in sweep.values()), default=0)
        rounds = [{s: per_unit_time(bench, sweep[s][i]) for s in sweep} for i in range(n)
                  if all(sweep[s][i] > 0 for s in sweep)]
        for r, after in zip(rounds, after_detach(result.get("sweep_order"), n) if baseline == DETACHED_SET else []):
            if after:
                transient += 1
                del r[after]
        rounds = [r for r in rounds if baseline in r]
        if rounds:
            processes.append(rounds)
    pooled = [r for p in processes for r in p]

    def ratio(sample, s):
        over_base = median_or_none([r[s] - r[baseline] for r in sample if s in r])
        minimal = median_or_none([r[ref] - r[baseline] for r in sample if ref in r])
        return over_base / minimal if over_base is not None and minimal and minimal > 0 else None

    def resample():
        if len(processes) == 1:
            return [rng.choice(processes[0]) for _ in processes[0]]
        return [rng.choice(p) for p in (rng.choice(processes) for _ in processes) for _ in p]

    out = {}
    for s in bench.sets:
        value = ratio(pooled, s) if pooled else None
        low = high = None
        if value is not None and len(pooled) >= 3 and n_boot > 0:
            boots = sorted(x for x in (ratio(resample(), s) for _ in range(n_boot)) if x is not None)
            if boots:
                low, high = boots[int(0.025 * len(boots))], boots[min(len(boots) - 1, int(0.975 * len(boots)))]
        over = median_or_none([r[s] - r[baseline] for r in pooled if s in r])
        base_t = median_or_none([r[baseline] for r in pooled])
        out[s] = {"over_minimal_in_process": value, "over_minimal_in_process_ci95_low": low,
                  "over_minimal_in_process_ci95_high": high, "in_process_baseline": baseline,
                  "added_in_process_pct": over / base_t * 100 if over is not None and base_t else None,
                  "over_minimal_per_process": [ratio(p, s) for p in processes],
                  "blocks_after_attach_left_out": transient}
    return out


def after_detach(orders, n):
    """Per round: the set whose block came right after a `detached` one (None if none did). Attaching
    CUPTI again costs that block extra (on the H200: 2-3x the step in the settle steps, several % in the
    block itself), a cost of the sweep, not of the set, which attaches once at start-up in a real run.
    Rounds without their order (older runs) leave nothing out."""
    out = []
    previous = None
    for i in range(n):
        order = orders[i] if orders and i < len(orders) else None
        if not order:
            out.append(None)
            previous = None
            continue
        after = None
        for s in order:
            if previous == DETACHED_SET and s != DETACHED_SET:
                after = s
            previous = s
        out.append(after)
    return out


def fmt(value, spec):
    return "-" if value is None else format(value, spec)


def ratio_text(row, key):
    if row[key] is None:
        return "-"
    low, high = row.get(key + "_ci95_low"), row.get(key + "_ci95_high")
    return f"{row[key]:.2f}" + (f" [{low:.2f}, {high:.2f}]" if low is not None else "")


def table(summary, kinds, info):
    lines = [f"card: {info.get('card')}, driver {info.get('driver')}, {info['date_utc']} UTC, commit {info['commit']}",
             "",
             "| workload | mode | added vs alone | 95% CI | holdup/floor | /minimal-floor | /torch.profiler | median "
             "| unit | spread | start-up s | records/s | dropped | runs ok/failed |",
             "|---|---|---|---|---|---|---|---|---|---|---|---|---|---|"]
    for s in summary:
        ci = ("-" if s["added_ci95_low_pct"] is None
              else f"{s['added_ci95_low_pct']:+.2f} .. {s['added_ci95_high_pct']:+.2f}%")
        lines.append(
            f"| {s['bench']} | {s['mode']} | {fmt(s['added_pct'], '+.2f')}% | {ci} | {fmt(s['holdup_over_floor'], '.2f')} "
            f"| {ratio_text(s, 'over_minimal_floor')} | {ratio_text(s, 'over_torch_profiler')} "
            f"| {fmt(s['median'], '.4g')} | {s['unit']} | {fmt(s['spread_pct'], '.1f')}% | {fmt(s['startup_s'], '.2f')} "
            f"| {fmt(s['records_per_s'], '.3g')} | {fmt(s['dropped_records'], 'd')} "
            f"| {s['runs_ok']}/{s['runs_failed']} |")
    if kinds:
        lines += ["", "In-process sweeps: what each CUPTI set adds over the minimal one (paired round by round; "
                      "% of the app's own time per unit of work); with a `detached` set (CUPTI finalized: the app "
                      "alone) or else a `none` set (CUPTI attached, nothing enabled), what each adds over that "
                      "baseline, alone and as a multiple of what the minimal set adds", "",
                  "| bench | set | adds over minimal | 95% CI | est. added vs alone | added in process (over) "
                  "| /minimal (in process) | median | unit | rounds |",
                  "|---|---|---|---|---|---|---|---|---|---|"]
        for k in kinds:
            ci = ("-" if k["adds_ci95_low_pct"] is None
                  else f"{k['adds_ci95_low_pct']:+.2f} .. {k['adds_ci95_high_pct']:+.2f}%")
            in_process = ratio_text(k, "over_minimal_in_process") if "over_minimal_in_process" in k else "-"
            added = (f"{fmt(k['added_in_process_pct'], '+.1f')}% ({k['in_process_baseline']})"
                     if k.get("in_process_baseline") else "-")
            lines.append(f"| {k['bench']} | {k['set']} | {fmt(k['adds_over_minimal_pct'], '+.2f')}% | {ci} "
                         f"| {fmt(k['est_added_vs_alone_pct'], '+.1f')}% | {added} | {in_process} "
                         f"| {fmt(k['median'], '.4g')} "
                         f"| {k['unit']} | {k['rounds']} |")
    return "\n".join(lines) + "\n"


def build_benches(args, build, python):
    wanted = [w for w in args.only.split(",") if w] or ["seed-lazy", "sm-saturated", "launch", "torch",
                                                        "launch-kinds", "torch-kinds", "stress"]
    sets = [s for s in args.sweep.split(";") if s]
    benches = []
    for w in wanted:
        if w in ("seed-lazy", "sm-saturated"):
            benches.append(WorkloadBench(w, args, build))
        elif w == "launch":
            benches.append(LaunchBench("launch", args, build, modes_of(args.launch_modes), args.launch_repeats,
                                       args.launch_threads, args.launch_seconds))
        elif w == "torch":
            benches.append(TorchBench(args, python))
        elif w == "launch-kinds":
            exe = build / "bench/holdup-bench-launch"
            cmd = [str(exe), "--threads", str(args.launch_threads), "--floor-sweep", ";".join(sets),
                   "--sweep-rounds", str(args.sweep_rounds), "--sweep-phase-s", str(args.sweep_phase_s)]
            benches.append(SweepBench("launch-kinds", args, sets, cmd, "ops/s", args.sweep_phase_s + 0.06, 1.0,
                                      "launch"))
        elif w == "torch-kinds":
            cmd = [python, str(REPO / "bench/torch_train.py"), "--steps", "10", "--floor-sweep", ";".join(sets),
                   "--sweep-rounds", str(args.sweep_rounds), "--sweep-steps", str(args.sweep_steps),
                   "--sweep-settle", str(args.sweep_settle)]
            benches.append(SweepBench("torch-kinds", args, sets, cmd, "steps/s",
                                      (args.sweep_steps + args.sweep_settle) * TORCH_STEP_S,
                                      TORCH_STARTUP_S, "torch"))
        elif w == "stress":
            benches.append(LaunchBench("stress", args, build, modes_of("holdup-full"), args.stress_repeats,
                                       args.stress_threads, args.stress_seconds))
        else:
            raise ValueError(f"unknown bench '{w}' in --only")
    return benches


def main():
    args = parse_args()
    build = args.build_dir.resolve()
    python = args.torch_python or ("/opt/torch/.venv/bin/python3" if os.path.exists("/opt/torch/.venv/bin/python3")
                                   else "python3")
    try:
        benches = build_benches(args, build, python)
    except ValueError as e:
        log(f"overhead.py: {e}")
        return 2
    needed = ["src/inject/libholdup.so", "bench/floor/libholdup_floor.so", "tools/holdup/holdup"]
    needed += ["tools/workload/holdup-workload"] if any(isinstance(b, WorkloadBench) for b in benches) else []
    needed += ["bench/holdup-bench-launch"] if any(b.name in ("launch", "launch-kinds", "stress") for b in benches) else []
    missing = [n for n in needed if not (build / n).exists()]
    if missing:
        log(f"overhead.py: missing under {build}: {', '.join(missing)}; build them "
            "(ninja holdup_inject holdup holdup-workload holdup_floor holdup-bench-launch) or carry them")
        return 2

    if args.from_runs:
        return summarize_runs(args, benches)

    estimate = sum(b.estimate_s() for b in benches)
    plan = []
    for b in benches:
        if b.sweep:
            plan.append(f"{b.name}: {b.repeats} process(es), {b.rounds} rounds over {len(b.sets)} CUPTI sets")
        else:
            plan.append(f"{b.name}: {b.repeats} rounds of {', '.join(m.name for m in b.modes)}")
    log("plan (rounds interleaved across benches, mode order rotated each round):\n  " + "\n  ".join(plan)
        + f"\nestimated {estimate / 60:.1f} min" + (f" (deadline {args.deadline_s:.0f} s)" if args.deadline_s else ""))
    if args.dry_run:
        return 0
    if not have_gpu():
        print("no GPU: skipped")
        return 0

    if any(b.name.startswith("torch") for b in benches):
        r = subprocess.run([python, "-c", "import torch; assert torch.cuda.is_available()"], capture_output=True)
        if r.returncode != 0:
            log(f"overhead.py: {python} has no torch with CUDA: torch benches skipped")
            benches = [b for b in benches if not b.name.startswith("torch")]

    prefix = ()
    if args.cpus:
        if shutil.which("taskset") is None:
            log("overhead.py: --cpus needs taskset (util-linux), not found")
            return 2
        prefix = ("taskset", "-c", args.cpus)
    out = args.out_dir.resolve()
    out.mkdir(parents=True, exist_ok=True)
    info = machine_info()
    info["cpus"] = args.cpus or "all"
    (out / "machine.json").write_text(json.dumps(info, indent=1))
    rows = []
    started = time.perf_counter()
    stopped_early = False
    with open(out / "runs.jsonl", "w") as runs_file:
        for rep in range(max(b.repeats for b in benches)):
            for bench in benches:
                if rep >= bench.repeats:
                    continue
                k = rep % len(bench.modes)
                for mode in bench.modes[k:] + bench.modes[:k]:
                    if args.deadline_s and time.perf_counter() - started > args.deadline_s:
                        stopped_early = True
                        break
                    row = run_one(bench, mode, rep, build, out, args.run_timeout, prefix)
                    rows.append(row)
                    runs_file.write(json.dumps(row) + "\n")
                    runs_file.flush()
                    log(f"[{time.perf_counter() - started:6.1f}s] {bench.name} {mode.name} rep {rep}: rc {row['rc']}, "
                        f"{row['wall_s']:.2f} s" + (f", {row['records']} records" if "records" in row else "")
                        + (f", {row['metric']:.4g} {bench.unit}" if "metric" in row else ""))
    if stopped_early:
        log(f"deadline of {args.deadline_s:.0f} s reached: later runs skipped")
    write_summary(out, benches, rows, info, {"benches": plan, "stopped_early": stopped_early, "argv": sys.argv[1:]},
                  args.bootstrap)
    log(f"total {time.perf_counter() - started:.0f} s; results in {out}")
    return 1 if any(r["rc"] != 0 for r in rows) else 0


def read_runs(path):
    opener = gzip.open if path.suffix == ".gz" else open
    with opener(path, "rt") as f:
        return [json.loads(line) for line in f if line.strip()]


def summarize_runs(args, benches):
    """--from-runs: the runs of earlier commands (each folder's machine.json beside them) pooled in one summary."""
    rows, machines = [], []
    names = {b.name for b in benches}
    for path in args.from_runs:
        try:
            rows += [r for r in read_runs(path) if r.get("bench") in names]
            machines.append(json.loads((path.parent / "machine.json").read_text()))
        except (OSError, ValueError) as e:
            log(f"overhead.py: cannot read {path}: {e}")
            return 2
    first = machines[0] if machines else {}
    info = {"card": first.get("card", "?"), "driver": first.get("driver", "?"),
            "date_utc": ", ".join(m.get("date_utc", "?") for m in machines),
            "commit": ", ".join(sorted({m.get("commit", "?") for m in machines})), "pooled_from": [str(p) for p in args.from_runs]}
    out = args.out_dir.resolve()
    out.mkdir(parents=True, exist_ok=True)
    (out / "machine.json").write_text(json.dumps(info, indent=1))
    write_summary(out, benches, rows, info, {"pooled_from": info["pooled_from"], "argv": sys.argv[1:]}, args.bootstrap)
    return 0


def write_summary(out, benches, rows, info, plan, n_boot):
    summary = summarize(benches, rows, n_boot)
    kinds = summarize_sweeps(benches, rows, summary, n_boot)
    doc = {"machine": info, "rows": summary, "kinds": kinds, "plan": plan}
    (out / "summary.json").write_text(json.dumps(doc, indent=1))
    with open(out / "summary.csv", "w", newline="") as f:
        w = csv.DictWriter(f, fieldnames=list(summary[0].keys()) if summary else ["bench"])
        w.writeheader()
        w.writerows(summary)
    text = table(summary, kinds, info)
    (out / "table.md").write_text(text)
    print(text)


if __name__ == "__main__":
    sys.exit(main())
