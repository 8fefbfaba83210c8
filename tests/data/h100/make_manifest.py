#!/usr/bin/env python3
"""Writes tests/data/MANIFEST.json (schema holdup-fixtures/2) from the H100
fixtures in tests/data/h100/<scenario>/.

The truth per measured iteration comes from measurements, never from the
scenario's name:
  - `events_held`: the workload's own CUDA-event verdict in the traced run
    (workload.json: the copy finished more than max(100 us, half its length)
    later than the same copy alone);
  - cross-checked with the same scenario run without holdup
    (workload-alone.json) and with its remedy (<scenario>+remedy);
  - `held` (what the fixture test asserts) = events_held, except a marginal
    event verdict (hold < 2 x the workload's 100 us bar) that the run
    without holdup does not reproduce: that is the recorder's own cost on
    the host, not a hold of the application, and is recorded as not held
    with the reason.
Warm-up iterations have no event truth.

Expected causes are judged per held iteration from the records (see
EXPECTED below and tests/data/h100/README.md); a list means either is
defensible, the first being the one the analysis should name.

The workload's events time more than the copy: its "finish" is an event
recorded after the copy, and its "issue" is stamped before an event record
that precedes the copy's API call. When the proxy's event-record calls are
blocked on the host (a context lock held by another thread), the events
show a hold that the copy itself never had. So the truth is checked
against the copy's own CUPTI records too (raw timestamps from `holdup dump`,
not the analysis): `copy_late_us` = GPU end - API entry - copy alone. A copy
is held when the events say so and copy_late_us passes the workload's bar;
events_held with a prompt copy is recorded as held=false with the reason;
copy_late_us between the bar and twice the bar is marginal: held=null (no
assertion).

usage: make_manifest.py --holdup HOLDUP_BINARY [DATA_DIR]
       (DATA_DIR defaults to the folder above this script)
"""
import json
import os
import re
import subprocess
import sys

HERE = os.path.dirname(os.path.abspath(__file__))
ARGS = sys.argv[1:]
if len(ARGS) < 2 or ARGS[0] != "--holdup":
    sys.exit(__doc__)
HOLDUP = ARGS[1]
DATA = ARGS[2] if len(ARGS) > 2 else os.path.dirname(HERE)

WORKLOAD_BAR_US = 100.0  # results.cpp kHeldMinimumUs
MARGINAL_FACTOR = 2.0
# Copies of config.bytes the workload issues before the timed loop: one
# warm-up of the copy path and three timed "copy alone" copies
# (tools/workload/worker.cpp measure_copy_alone, with events on).
CALIBRATION_COPIES = 4

# Scenarios meant as controls (no hold expected by design). A control whose
# measured truth shows a hold is not treated as a control (report+remedy).
DESIGNED_CONTROLS = {"control", "eager", "sm-headroom", "copy-engine", "pinned-signal"}

# Expected verdict for held iterations, judged from the trace records:
# (causes, blocker kind of the primary cause, why).
EXPECTED = {
    "report": (["sm-waiting", "device-wide-barrier", "other-process"], None,
               "SM-filling kernels (8x256 per SM) hold the SM-executed peer copy every iteration; "
               "iteration 0 also behind Kernel2's lazy load; two contexts on one GPU"),
    "report+remedy": (["device-wide-barrier", "other-process", "unknown"], None,
                      "one process's iteration 0 only (also without holdup): first launches under lazy "
                      "loading in two contexts sharing the GPU"),
    "seed-lazy": (["device-wide-barrier", "host-side-lock"], "api",
                  "Kernel2's first launch (LAZY_FUNCTION_LOADING) while the copy's call was in flight: "
                  "the copy started at the drain of the work submitted before the load"),
    "seed-alloc": (["host-side-lock", "device-wide-barrier"], "api",
                   "cudaMalloc/cudaFree beside Kernel2 hold the context; the copy's call blocked ~6 ms or "
                   "the copy waited for the drain"),
    "sm-saturated": (["sm-waiting"], "kernel", "SM-filling kernels, copy on its own COMPUTE channel"),
    "sm-saturated-batch": (["sm-waiting"], "kernel", "same as sm-saturated through cudaMemcpyBatchAsync"),
    "shared-queue": (["shared-hardware-queue"], "kernel", "CUDA_DEVICE_MAX_CONNECTIONS=1: one channel"),
    "module-reload": (["device-wide-barrier", "host-side-lock"], "api", "cuModuleLoadData beside Kernel2"),
    "set-limit": (["device-wide-barrier", "host-side-lock"], "api", "cudaDeviceSetLimit beside Kernel2"),
    "host-lock": (["device-wide-barrier", "host-side-lock"], "api",
                  "Kernel2's module loaded on first launch; in this traced run the copy's call lasted only "
                  "186 us (109 us beyond normal) and the copy then waited ~2.8 ms on the GPU for the drain of the "
                  "work submitted before the load: the barrier dominates (the 6 ms host block was seen only in "
                  "the run without holdup)"),
    "default-stream-blocking": (["legacy-default-stream"], "kernel",
                                "blocking copy stream waits for legacy default stream kernels"),
}


def load(path):
    with open(path) as f:
        return json.load(f)


def by_rank(doc):
    return {p.get("rank", i): p for i, p in enumerate(doc["processes"])}


DUMP_LINE = re.compile(r"^\s*[\d.]+\s+(\d+)\s+(api|memcpy)\s+(.*)$")


def cupti_data_copies(trace, nbytes):
    """[(api_entry_ns, gpu_start_ns, gpu_end_ns, intent_ns)] of the memcpy
    records of nbytes bytes, in API-entry order, read raw with `holdup dump`.
    intent_ns: the entry of the runtime cudaEventRecord the proxy thread made
    right before the copy's call (the workload's begin event, recorded after
    its issue stamp), else the copy's own entry."""
    out = subprocess.run([HOLDUP, "dump", "--sorted", "--abs", "--kind", "api,memcpy", trace],
                         capture_output=True, text=True, check=True).stdout
    size = "%.1f MiB" % (nbytes / 1048576.0)
    entry, copies, previous, last_on_thread = {}, [], {}, {}
    for line in out.splitlines():
        m = DUMP_LINE.match(line)
        if not m:
            continue
        t, kind, rest = int(m.group(1)), m.group(2), m.group(3)
        corr = int(re.search(r"corr (\d+)", rest).group(1))
        dur_ns = int(float(re.search(r"dur ([\d.]+) us", rest).group(1)) * 1000)
        if kind == "api":
            entry[corr] = min(entry.get(corr, t), t)
            if rest.startswith("runtime "):
                tid = int(re.search(r"tid (\d+)", rest).group(1))
                name = rest.split()[1]
                previous.setdefault(corr, last_on_thread.get(tid))
                last_on_thread[tid] = (name, t)
        elif (" %s " % size) in rest + " ":
            copies.append((corr, t, t + dur_ns))
    rows = []
    for c, s0, e0 in copies:
        if c not in entry:
            continue
        before = previous.get(c)
        intent = before[1] if before and before[0] == "cudaEventRecord" else entry[c]
        rows.append((entry[c], s0, e0, intent))
    return sorted(rows)


def held_string(process):
    return "".join("H" if it.get("held") else "." for it in process["iterations"])


# The recorded runs of the workload, each a folder of DATA with one
# sub-folder per scenario: (folder, card, driver, date).
RUNS = [
    ("h100", "NVIDIA H100 80GB HBM3 (132 SMs), GPU-7ac44925-6923-5b37-3b9e-a630b6670909", "580.159.04", "2026-11-25"),
    ("h100-run2", "NVIDIA H100 80GB HBM3 (132 SMs), GPU-7ac44925-6923-5b37-3b9e-a630b6670909", "580.159.04",
     "2026-11-25"),
    ("h200", "NVIDIA H200 (132 SMs), GPU-7e9468e4-5f25-2098-bf2c-d01e2cf3a42e", "580.159.04", "2026-12-02"),
]


def main():
    fixtures = []
    for run, _, _, _ in RUNS:
        if os.path.isdir(os.path.join(DATA, run)):
            fixtures += run_fixtures(run)
    write(fixtures)


def run_fixtures(run):
    root = os.path.join(DATA, run)
    fixtures = []
    for scenario in sorted(os.listdir(root)):
        folder = os.path.join(root, scenario)
        if not os.path.isfile(os.path.join(folder, "workload.json")):
            continue
        traced = load(os.path.join(folder, "workload.json"))
        alone = load(os.path.join(folder, "workload-alone.json"))
        remedy_path = os.path.join(root, scenario + "+remedy", "workload.json")
        remedy = load(remedy_path) if os.path.exists(remedy_path) else None
        config = traced["config"]
        alone_ranks = by_rank(alone)
        remedy_ranks = by_rank(remedy) if remedy else {}
        expected = EXPECTED.get(scenario)
        processes = []
        any_held = False
        for rank, p in sorted(by_rank(traced).items()):
            trace = "%s/%s/trace/" % (run, scenario)
            names = [n for n in os.listdir(os.path.join(folder, "trace")) if n.endswith("-%d.trace" % p["pid"])]
            if len(names) != 1:
                sys.exit("%s: no trace file for pid %d" % (scenario, p["pid"]))
            a = alone_ranks.get(rank)
            cupti = cupti_data_copies(os.path.join(folder, "trace", names[0]), config["bytes"])
            skip = CALIBRATION_COPIES + config["warmup"]
            if len(cupti) != skip + len(p["iterations"]):
                sys.exit("%s pid %d: %d data copies in the trace, expected %d" %
                         (scenario, p["pid"], len(cupti), skip + len(p["iterations"])))
            bar = max(WORKLOAD_BAR_US, 0.5 * p["copy_alone_us"])
            iterations = []
            for i, it in enumerate(p["iterations"]):
                a_it = a["iterations"][i] if a else None
                entry = {
                    "index": it["index"],
                    "events_held": bool(it["held"]),
                    "hold_us": round(it["hold_us"], 1),
                    "copy_api_us": round(it["copy_api_us"], 1),
                    "alone_held": bool(a_it["held"]) if a_it else None,
                }
                api_entry, gpu_start, gpu_end, intent = cupti[skip + i]
                late = (gpu_end - api_entry) / 1000.0 - p["copy_alone_us"]
                late_from_intent = (gpu_end - intent) / 1000.0 - p["copy_alone_us"]
                entry["copy_late_us"] = round(late, 1)
                entry["copy_late_from_burst_us"] = round(late_from_intent, 1)
                entry["copy_start_after_entry_us"] = round((gpu_start - api_entry) / 1000.0, 1)
                held = entry["events_held"]
                in_burst = False
                if held and late <= bar and late_from_intent > MARGINAL_FACTOR * bar:
                    # The unit of intent is the thread's burst of calls that
                    # ends in the copy: its begin-event record, made after
                    # the issue stamp, was blocked on the host.
                    in_burst = True
                    entry["why"] = ("held in the proxy's burst: its begin-event cudaEventRecord right before the "
                                    "copy's call was blocked on the host; the copy ended %.0f us after that call's "
                                    "entry (%.0f us after its own)" % ((gpu_end - intent) / 1000.0,
                                                                         (gpu_end - api_entry) / 1000.0))
                elif held and late <= bar and late_from_intent > bar:
                    held = None
                    entry["why"] = "marginal: %.0f us late from the burst's start (bar %.0f us)" % (late_from_intent, bar)
                elif held and late <= bar:
                    held = False
                    entry["why"] = ("the copy's own records show no hold (GPU end %.0f us after its API entry); "
                                    "the events' %.0f us lie outside the copy: the proxy's event-record calls "
                                    "around it were blocked on the host" % ((gpu_end - api_entry) / 1000.0,
                                                                             it["hold_us"]))
                elif held and late <= MARGINAL_FACTOR * bar:
                    held = None
                    entry["why"] = "marginal: the copy itself was %.0f us late (bar %.0f us): no assertion" % (late, bar)
                if held and not entry["alone_held"] and it["hold_us"] < MARGINAL_FACTOR * WORKLOAD_BAR_US:
                    held = False
                    entry["why"] = ("marginal event verdict (%.0f us, copy API call %.0f us) not reproduced "
                                    "without holdup: the recorder's host cost, not a hold" %
                                    (it["hold_us"], it["copy_api_us"]))
                entry["held"] = held
                if held and in_burst:
                    any_held = True
                    entry["cause"] = ["host-side-lock"]
                    entry["blocker"] = "api"
                elif held:
                    any_held = True
                    if expected:
                        entry["cause"] = expected[0]
                        if expected[1]:
                            entry["blocker"] = expected[1]
                iterations.append(entry)
            processes.append({
                "pid": p["pid"],
                "trace": trace + names[0],
                "copy_bytes": config["bytes"],
                "calibration_copies": CALIBRATION_COPIES,
                "warmup": config["warmup"],
                "alone": held_string(a) if a else None,
                "remedy": held_string(remedy_ranks[rank]) if rank in remedy_ranks else None,
                "iterations": iterations,
            })
        base = scenario.split("+")[0]
        is_control = (scenario in DESIGNED_CONTROLS or scenario.endswith("+remedy")) and not any_held
        fixture = {
            "scenario": scenario,
            "traces": ["%s/%s/trace" % (run, scenario)],
            "run": run,
            "control": is_control,
            "processes": processes,
        }
        if expected and any_held:
            fixture["why"] = expected[2]
        if (scenario in DESIGNED_CONTROLS or scenario.endswith("+remedy")) and any_held:
            fixture["note"] = "designed as a control, but the measurements show a hold (also without holdup)"
        fixtures.append(fixture)
    return fixtures


def write(fixtures):
    manifest = {
        "schema": "holdup-fixtures/2",
        "card": RUNS[0][1],
        "driver": RUNS[0][2],
        "cuda": "13.0",
        "date": RUNS[0][3],
        "runs": [{"folder": r, "card": c, "driver": d, "date": t} for r, c, d, t in RUNS
                 if os.path.isdir(os.path.join(DATA, r))],
        "made_by": "tools/workload/run_all_scenarios.sh, then tests/data/h100/make_manifest.py",
        "data_copies": ("per process, the memcpy records (not memsets) of copy_bytes bytes in issue order (API entry): the first "
                        "calibration_copies are the workload's start-up calibration, the next warmup are "
                        "warm-up iterations (no event truth), then iteration 0, 1, ..."),
        "controls": ("in a fixture with control=true no copy of any kind issued at or after the first measured "
                     "iteration's copy is flagged, except inside an iteration whose own measurement says held or "
                     "marginal (held true or null): from its data copy's issue to the next one's"),
        "fixtures": fixtures,
    }
    out = os.path.join(DATA, "MANIFEST.json")
    with open(out, "w") as f:
        json.dump(manifest, f, indent=1)
        f.write("\n")
    print("wrote", out)


if __name__ == "__main__":
    main()
