#!/usr/bin/env python3
"""Groups the per-fixture accuracy table (the printout of
HOLDUP_ACCURACY_TABLE=1 holdup_analysis_tests --gtest_filter='Fixtures.Verdicts*')
by mechanism and class, for docs/diagnosis-accuracy-*.md. Reads the printout on stdin.

A fixture's class comes from its scenario (the name after the fixture set's folder); a designed
control or remedy that the manifest marks "(control)" counts as a control, whatever its scenario.
Held scenarios outside the named classes fall under "other fixtures"."""
import sys

CLASSES = [
    ("SM-executed copy behind spin kernels (workload: the report's set-up, sm-saturated)",
     {"report", "sm-saturated", "sm-saturated-batch"}),
    ("class 1: SM copy behind cuBLAS GEMMs, also after a met `wait_stream` (corpus)",
     {"gemm-side-copy", "gemm-side-copy-b", "wait-stream", "wait-stream-b"}),
    ("class 2: stall in the issuing thread's burst / host lock (workload seed-alloc, set-limit, module-reload, "
     "host-lock; corpus allocator; probe context-hold, every iteration held)",
     {"seed-alloc", "set-limit", "module-reload", "host-lock", "allocator", "context-hold"}),
    ("class 3: shared hardware queue, device synchronize after the copy (workload; corpus with "
     "`CUDA_DEVICE_MAX_CONNECTIONS=1`)", {"shared-queue"}),
    ("device-wide barrier (lazy load, seed pattern)", {"seed-lazy"}),
    ("legacy default stream", {"default-stream", "default-stream-blocking"}),
    ("another process on the GPU (corpus two-process; workload and probe time-slice)", {"two-process", "time-slice"}),
    ("own stream order behind a host function (probe host-func; not a hold)", {"host-func"}),
    ("records that contradict their stream (probe graph-copy; never a hold)", {"graph-copy"}),
]
CONTROLS = "controls (designed controls and remedies, corpus pinned prefetch, allocator without churn, IPC copies)"
OTHER = "other fixtures (scenarios of no class above, remedies that showed a hold)"


def main():
    order = [name for name, _ in CLASSES] + [CONTROLS, OTHER]
    totals = {name: [0] * 8 for name in order}
    for line in sys.stdin:
        cells = [c.strip() for c in line.strip().strip("|").split("|")]
        if len(cells) != 9 or "/" not in cells[0] or not cells[1].isdigit():
            continue
        fixture, values = cells[0], cells[1:]
        control = fixture.endswith("(control)")
        scenario = fixture.replace(" (control)", "").split("/", 1)[1]
        name = CONTROLS if control else next((n for n, s in CLASSES if scenario in s), OTHER)
        for i, v in enumerate(values):
            totals[name][i] += int(v) if v not in ("-", "") else 0
    header = ("| mechanism / class | held | flagged | right cause | right blocker | not held | false flags | marginal "
              "| control copies flagged |")
    print(header)
    print("|---" * 9 + "|")
    grand = [0] * 8
    for name in order:
        print(f"| {name} | " + " | ".join(str(v) for v in totals[name]) + " |")
        grand = [a + b for a, b in zip(grand, totals[name])]
    print("| **all** | " + " | ".join(str(v) for v in grand) + " |")


if __name__ == "__main__":
    main()
