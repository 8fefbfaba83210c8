#!/usr/bin/env python3
"""bench/overhead.py's statistics on made-up runs (no GPU): the added cost, its
ratio to the minimal floor's and that ratio's bootstrap interval."""
import random
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[2] / "bench"))
import overhead  # noqa: E402


class Args:
    torch_modes = "alone,minimal-floor,holdup,torch.profiler"
    repeats = 8
    torch_steps = 100


def runs(mode, step_ms, rng, n=8):
    out = []
    for rep in range(n):
        blocks = [step_ms * rng.uniform(0.97, 1.03) for _ in range(20)]
        mean = sum(blocks) / len(blocks)
        out.append({"bench": "torch", "mode": mode, "rep": rep, "rc": 0, "metric": 1000.0 / mean,
                    "samples": [1000.0 / b for b in blocks], "startup_s": 10.0})
    return out


def pooled_runs(rows):
    """--from-runs: two commands' runs.jsonl.gz summarized together give every run."""
    import gzip
    import json
    import tempfile
    with tempfile.TemporaryDirectory() as tmp:
        paths = []
        for i, part in enumerate((rows[::2], rows[1::2])):
            d = Path(tmp, f"run{i}")
            d.mkdir()
            (d / "machine.json").write_text(json.dumps({"card": "made-up", "driver": "0", "date_utc": "-",
                                                        "commit": f"c{i}"}))
            with gzip.open(d / "runs.jsonl.gz", "wt") as f:
                f.writelines(json.dumps(r) + "\n" for r in part)
            paths.append(d / "runs.jsonl.gz")
        args = overhead.argparse.Namespace(from_runs=paths, out_dir=Path(tmp, "pooled"), bootstrap=50)
        if overhead.summarize_runs(args, [overhead.TorchBench(Args(), "python3")]) != 0:
            return ["--from-runs failed"]
        doc = json.loads(Path(tmp, "pooled", "summary.json").read_text())
        ok = sum(r["runs_ok"] for r in doc["rows"])
        return [] if ok == len(rows) else [f"--from-runs summarized {ok} of {len(rows)} runs"]


def sweep_ratio(baseline="none"):
    """A sweep with a baseline set (`none` or `detached`): holdup adds 1.1x what minimal adds over it, in
    every process, while the processes' own speeds differ by 30 %."""
    rng = random.Random(2)
    args = overhead.argparse.Namespace(sweep_repeats=3, sweep_rounds=20)
    sets = ["minimal", "none", "holdup"] + (["detached"] if baseline == "detached" else [])
    bench = overhead.SweepBench("torch-kinds", args, sets, [], "steps/s", 1.0, 1.0, "torch")
    rows = []
    for rep, speed in enumerate((1.0, 1.3, 0.8)):
        # With `detached`, `none` costs something of its own (attaching CUPTI) and is not the baseline.
        step = {"none": 2.0 * speed, "minimal": 2.6 * speed, "holdup": 2.66 * speed}
        if baseline == "detached":
            step.update({"detached": 1.7 * speed, "holdup": 2.69 * speed})
        ms = {s: [v * rng.uniform(0.995, 1.005) for _ in range(20)] for s, v in step.items()}
        result = {"sweep_step_ms": ms}
        if baseline == "detached":
            # Shuffled rounds; the block right after `detached` pays for CUPTI attaching again (+50 %), which
            # the ratio must leave out.
            orders = [rng.sample(sets, len(sets)) for _ in range(20)]
            for i, after in enumerate(overhead.after_detach(orders, 20)):
                if after:
                    ms[after][i] *= 1.5
            result["sweep_order"] = orders
        rows.append({"bench": "torch-kinds", "mode": "floor:minimal", "rep": rep, "rc": 0, "result": result})
    kinds = {k["set"]: k for k in overhead.summarize_sweeps([bench], rows, [], 200)}
    h = kinds["holdup"]
    failures = []
    if h["over_minimal_in_process"] is None or abs(h["over_minimal_in_process"] - 1.1) > 0.05:
        failures.append(f"in-process ratio {h['over_minimal_in_process']}, expected ~1.10")
    low, high = h["over_minimal_in_process_ci95_low"], h["over_minimal_in_process_ci95_high"]
    if low is None or not low <= h["over_minimal_in_process"] <= high or high - low > 0.3:
        failures.append(f"in-process interval [{low}, {high}] does not hold the ratio or is wider than 0.3")
    if abs(kinds["minimal"]["over_minimal_in_process"] - 1.0) > 1e-9:
        failures.append("minimal's in-process ratio is not 1")
    if baseline == "detached" and not h["blocks_after_attach_left_out"]:
        failures.append("no block after `detached` was left out")
    if h["in_process_baseline"] != baseline:
        failures.append(f"in-process baseline {h['in_process_baseline']}, expected {baseline}")
    expected_added = {"none": 33.0, "detached": 58.2}[baseline]
    if h["added_in_process_pct"] is None or abs(h["added_in_process_pct"] - expected_added) > 1.5:
        failures.append(f"holdup adds {h['added_in_process_pct']} % in process, expected ~{expected_added} %")
    text = overhead.table([], list(kinds.values()), {"card": "none", "driver": "-", "date_utc": "-", "commit": "-"})
    if "/minimal (in process)" not in text:
        failures.append("table lacks the in-process ratio column:\n" + text)
    return failures


def main():
    rng = random.Random(1)
    bench = overhead.TorchBench(Args(), "python3")
    # alone 2 ms, minimal floor +40 %, holdup +44 % (ratio 1.10), torch.profiler +80 %
    rows = (runs("alone", 2.0, rng) + runs("minimal-floor", 2.8, rng) + runs("holdup", 2.88, rng)
            + runs("torch.profiler", 3.6, rng))
    summary = {s["mode"]: s for s in overhead.summarize([bench], rows, 400)}
    h = summary["holdup"]
    failures = []
    if abs(h["added_pct"] - 44) > 3:
        failures.append(f"holdup added {h['added_pct']:.1f} %, expected ~44 %")
    if abs(h["over_minimal_floor"] - 1.10) > 0.06:
        failures.append(f"ratio {h['over_minimal_floor']:.3f}, expected ~1.10")
    low, high = h["over_minimal_floor_ci95_low"], h["over_minimal_floor_ci95_high"]
    if low is None or not low <= h["over_minimal_floor"] <= high or high - low > 0.2:
        failures.append(f"ratio interval [{low}, {high}] does not hold the ratio or is wider than 0.2")
    if h["over_torch_profiler_ci95_high"] is None or h["over_torch_profiler_ci95_high"] >= 1:
        failures.append(f"holdup not resolved below torch.profiler: {h['over_torch_profiler_ci95_high']}")
    if summary["alone"]["over_minimal_floor_ci95_low"] is not None:
        failures.append("alone has a ratio interval")
    text = overhead.table(list(summary.values()), [], {"card": "none", "driver": "-", "date_utc": "-", "commit": "-"})
    if "1.10 [" not in text and "1.09 [" not in text and "1.11 [" not in text:
        failures.append("table lacks the ratio with its interval:\n" + text)
    failures += pooled_runs(rows)
    failures += sweep_ratio("none")
    failures += sweep_ratio("detached")
    for f in failures:
        print("FAIL:", f)
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())
