"""HTA reads holdup's Chrome trace export as it reads torch.profiler's.

For each fixture: `holdup info` counts kernels and copies per trace file,
`holdup export --format json` writes one file per process, Holistic Trace
Analysis loads the directory (one rank per file), and its kernel, memcpy and
memset events number what `holdup info` counted, less the incomplete records
(work in flight at a forced or final flush: no start or end, so kept in the
trace but never drawn as slices); every ac2g and holdup flow has a start and
an end.
"""

import json
import os
import re
import subprocess
import sys
import tempfile


# CUPTI activity kinds of incomplete records -> the counts they belong to.
INCOMPLETE_KIND = {"CONCURRENT_KERNEL": "kernel", "MEMCPY": "memcpy", "MEMCPY2": "memcpy", "MEMSET": "memset"}


def info_counts(holdup, trace):
    out = subprocess.run([holdup, "info", trace], check=True, capture_output=True, text=True).stdout
    m = re.search(r"records: (.*)", out)
    counts = dict(re.findall(r"(\w+) (\d+)", m.group(1)))
    want = {k: int(counts.get(k, 0)) for k in ("kernel", "memcpy", "memset")}
    incomplete = re.search(r"incomplete records \(([^)]*)\)", out)
    for n, kind in re.findall(r"(\d+) (\w+)", incomplete.group(1) if incomplete else ""):
        if kind in INCOMPLETE_KIND:
            want[INCOMPLETE_KIND[kind]] -= int(n)
    return want


def check_flows(path):
    with open(path) as f:
        trace = json.load(f)
    for cat in ("ac2g", "holdup"):
        starts, ends = {}, {}
        for e in trace["traceEvents"]:
            if e.get("cat") == cat and e.get("ph") in ("s", "f"):
                (starts if e["ph"] == "s" else ends).setdefault(e["id"], 0)
        assert set(starts) == set(ends), f"{path}: {cat} flows without both ends: {set(starts) ^ set(ends)}"
        print(f"  {os.path.basename(path)}: {len(starts)} {cat} flows, each with both ends")


def main():
    holdup, data = sys.argv[1], sys.argv[2]
    from hta.trace_analysis import TraceAnalysis

    fixtures = ["h100/seed-lazy/trace", "corpus/h200-corpus/two-process/trace"]
    failures = 0
    for fixture in fixtures:
        trace_dir = os.path.join(data, fixture)
        traces = sorted(os.path.join(trace_dir, f) for f in os.listdir(trace_dir) if f.endswith(".trace"))
        with tempfile.TemporaryDirectory() as out:
            subprocess.run([holdup, "export", "--format", "json", "-o", out, trace_dir], check=True)
            exported = sorted(os.listdir(out))
            for name in exported:
                check_flows(os.path.join(out, name))
            analysis = TraceAnalysis(trace_dir=out)
            sym = analysis.t.symbol_table.get_sym_table()
            ranks = analysis.t.get_ranks()
            assert len(ranks) == len(traces), f"{fixture}: HTA found ranks {ranks} for {len(traces)} traces"
            for rank in ranks:
                with open(analysis.t.trace_files[rank]) as f:
                    pid = json.load(f)["holdup"]["pid"]
                trace = next(t for t in traces if t.endswith(f"-{pid}.trace"))
                want = info_counts(holdup, trace)
                df = analysis.t.get_trace(rank)
                cats = df["cat"].map(lambda i: sym[i])
                got = {
                    "kernel": int((cats == "kernel").sum()),
                    "memcpy": int((cats == "gpu_memcpy").sum()),
                    "memset": int((cats == "gpu_memset").sum()),
                }
                ok = got == want
                failures += 0 if ok else 1
                print(f"{fixture} rank {rank} (pid {pid}): HTA {got}, holdup info {want}: {'ok' if ok else 'MISMATCH'}")
    if failures:
        sys.exit(1)
    print("HTA loaded every export with holdup info's counts")


if __name__ == "__main__":
    main()
