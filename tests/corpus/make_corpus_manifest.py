#!/usr/bin/env python3
"""Turns a tests/corpus/run_corpus.sh results folder into fixtures for
tests/analysis/fixtures_test.cpp (schema holdup-fixtures/2).

usage: make_corpus_manifest.py [--holdup HOLDUP_BINARY] [--force] RESULTS_DIR DEST_DIR

For each variant V found in RESULTS_DIR (V/traced.json, V/alone.json, V/trace/):
  DEST_DIR/h200-corpus/V/trace/*.trace   the traces (one per process)
  DEST_DIR/h200-corpus/V/truth.json      the case's truth in the traced run
  DEST_DIR/h200-corpus/V/truth-alone.json  the same case run without holdup
and DEST_DIR/MANIFEST.json describing all of them. Run the fixture test on
them with HOLDUP_TEST_DATA_DIR=DEST_DIR.

The truth per measured iteration is the case's own (torch_cases.py):
  - event cases: hold_us = (ev_ready -> ev_done) - copy_alone_us;
  - host cases (allocator*): late_us = (t0 -> t1 around ev_ready.record,
    copy_, ev_done.record, ev_done.synchronize()) - the same on an idle GPU;
held = the measure > max(100 us, copy_alone_us / 2) (the bar). `held` in the
manifest (what the fixture test asserts; null = no assertion) is that truth,
except:
  - marginal (null): held with a measure under twice the bar while the run
    without holdup did not hold in the same iteration;
  - host cases: t0 is taken when the proxy sets out to issue the copy,
    before its ev_ready.record: the unit of intent is the thread's burst of
    calls that ends in the copy, so a stall in that record call (stall_us)
    is part of the copy's hold; late_us decides alone;
  - event cases, with --holdup: the copy's raw CUPTI records (`holdup
    dump`) are read too (as tests/data/h100/make_manifest.py does): the
    copy's GPU end minus its API entry minus copy_alone_us must pass the bar
    for held=true (<= bar: false, <= twice: null). For every case this also
    checks that each process has exactly calibration_copies + warmup +
    iterations data copies.

The machine fields come from RESULTS_DIR/machine.txt (run_corpus.sh writes
it: a date line and nvidia-smi output) when present.
"""
import datetime
import json
import os
import re
import shutil
import subprocess
import sys

SUBDIR = "h200-corpus"
BAR_US = 100.0
MARGINAL_FACTOR = 2.0

VARIANTS = ["gemm-side-copy", "gemm-side-copy-b", "wait-stream", "wait-stream-b", "allocator",
            "allocator-quiet", "pinned-prefetch", "two-process", "ipc-cold"]
CONTROLS = {"pinned-prefetch", "allocator-quiet", "ipc-cold"}
# The A/B partner whose traced verdicts are listed as "remedy".
REMEDY = {"allocator": "allocator-quiet"}

# Expected verdict of held iterations, per case: (causes, blocker kind, why).
EXPECTED = {
    "gemm-side-copy": (["sm-waiting"], "kernel",
                       "bf16 GEMMs fill every SM (one block per SM); the same-device copy runs on the SMs on a "
                       "COMPUTE channel of its own and waits for GEMM1's blocks to retire"),
    "shared-queue": (["shared-hardware-queue"], "kernel",
                     "CUDA_DEVICE_MAX_CONNECTIONS=1: the side stream's copy queued behind GEMM1 in the one "
                     "hardware queue; the iteration's device synchronize comes after the copy"),
    "wait-stream": (["sm-waiting"], "kernel",
                    "the copy's stream waits for GEMM1 (the dependency, not held); after it, GEMM2's blocks took "
                    "the SMs first"),
    "allocator": (["host-side-lock", "device-wide-barrier"], "api",
                  "torch.cuda.empty_cache() (cudaFree: waits for the device) and a larger allocation (cudaMalloc) "
                  "on the main thread while the proxy thread issues the copy"),
    "two-process": (["other-process", "sm-waiting"], "kernel",
                    "another process runs bf16 GEMMs back to back on the same GPU: its kernels fill the SMs / "
                    "the two contexts time-slice"),
}

DATA_COPIES = ("per process, the memcpy records (not memsets) of copy_bytes bytes in issue order (API entry): the "
               "first calibration_copies are the case's idle-GPU calibration, the next warmup are warm-up "
               "iterations (no truth), then iteration 0, 1, ...")
CONTROLS_TEXT = ("in a fixture with control=true no copy of any kind issued at or after the first measured "
                 "iteration's copy is flagged, except inside an iteration whose own measurement says held or "
                 "marginal (held true or null): from its data copy's issue to the next one's")


def fail(msg):
    sys.exit("make_corpus_manifest: " + msg)


def load(path):
    with open(path) as f:
        doc = json.load(f)
    if isinstance(doc, list):
        if len(doc) != 1:
            raise ValueError("%s: expected one measuring process, found %d" % (path, len(doc)))
        doc = doc[0]
    return doc


def base_case(variant, doc):
    """The case a variant ran (gemm-side-copy-b runs gemm-side-copy)."""
    return doc.get("case") or variant


# --- raw CUPTI records (optional, --holdup) -------------------------------

DUMP_LINE = re.compile(r"^\s*-?[\d.]+\s+(\d+)\s+(api|memcpy)\s+(.*)$")


def cupti_data_copies(holdup, trace, nbytes):
    """[(api_entry_ns, gpu_start_ns, gpu_end_ns)] of the memcpy records of
    nbytes bytes (matched as `holdup dump` prints the size), in API-entry
    order."""
    out = subprocess.run([holdup, "dump", "--sorted", "--abs", "--kind", "api,memcpy", trace],
                         capture_output=True, text=True, check=True).stdout
    size = " %.1f MiB " % (nbytes / 1048576.0)
    entry, copies = {}, []
    for line in out.splitlines():
        m = DUMP_LINE.match(line)
        if not m:
            continue
        t, kind, rest = int(m.group(1)), m.group(2), m.group(3)
        corr_m = re.search(r"corr (\d+)", rest)
        dur_m = re.search(r"dur ([\d.]+) us", rest)
        if not corr_m or not dur_m:
            continue
        corr = int(corr_m.group(1))
        if kind == "api":
            entry[corr] = min(entry.get(corr, t), t)
        elif size in rest + " ":
            copies.append((corr, t, t + int(float(dur_m.group(1)) * 1000)))
    missing = [c for c, _, _ in copies if c not in entry]
    if missing:
        raise ValueError("%s: %d data copies without their API record" % (trace, len(missing)))
    return sorted((entry[c], s, e) for c, s, e in copies)


# --- machine.txt ----------------------------------------------------------

def machine_fields(results, docs):
    card_name, uuid, driver, date = None, None, None, None
    path = os.path.join(results, "machine.txt")
    if os.path.isfile(path):
        text = open(path, errors="replace").read()
        m = re.search(r"^date:\s*(\S+)", text, re.M)
        if m:
            date = m.group(1)
        m = re.search(r"^\s*(NVIDIA[^,\n]*?)\s*,\s*(GPU-[0-9a-fA-F-]+)\s*,\s*([\d.]+)", text, re.M)
        if m:
            card_name, uuid, driver = m.group(1), m.group(2), m.group(3)
        else:  # nvidia-smi --query-gpu=name,driver_version,uuid (scripts/h200-batch.sh)
            m = re.search(r"^\s*(NVIDIA[^,\n]*?)\s*,\s*([\d.]+)\s*,\s*(GPU-[0-9a-fA-F-]+)", text, re.M)
            if m:
                card_name, driver, uuid = m.group(1), m.group(2), m.group(3)
        if not driver:
            m = re.search(r"Driver Version:\s*([\d.]+)", text)
            driver = m.group(1) if m else None
    first = docs[0] if docs else {}
    card_name = card_name or first.get("gpu", "unknown GPU")
    card = card_name
    if first.get("sms"):
        card += " (%d SMs)" % first["sms"]
    if uuid:
        card += ", " + uuid
    return {
        "card": card,
        "driver": driver or "unknown",
        "cuda": first.get("cuda") or "unknown",
        "torch": first.get("torch") or "unknown",
        "date": date or datetime.datetime.now(datetime.timezone.utc).strftime("%Y-%m-%d"),
    }


# --- one variant ------------------------------------------------------------

def held_string(doc):
    return "".join("H" if it.get("held") else "." for it in doc["iterations"]) if doc else None


def iteration_entry(doc, it, alone_it, expected, cupti_row):
    host = doc.get("truth") == "host"
    alone_us = float(doc["copy_alone_us"])
    bar = max(BAR_US, 0.5 * alone_us)
    measure = float(it["late_us"] if host else it["hold_us"])
    entry = {
        "index": it["index"],
        "truth_held": bool(it["held"]),
        "hold_us": round(measure, 1),
        "copy_call_us": it.get("copy_call_us"),
        "alone_held": bool(alone_it["held"]) if alone_it else None,
    }
    if host:
        entry["late_us"] = it.get("late_us")
        entry["stall_us"] = it.get("stall_us")
        entry["copy_late_us"] = it.get("copy_late_us")
        entry["event_hold_us"] = it.get("hold_us")
    held = bool(it["held"])
    why = None
    if cupti_row is not None:
        api_entry, gpu_start, gpu_end = cupti_row
        late = (gpu_end - api_entry) / 1000.0 - alone_us
        entry["cupti_copy_late_us"] = round(late, 1)
        entry["copy_start_after_entry_us"] = round((gpu_start - api_entry) / 1000.0, 1)
        if host:
            pass  # the stall before the copy's own call is part of the hold
        elif held and late <= bar:
            held = False
            why = ("the copy's own records show no hold (GPU end %.0f us after its API entry); the truth's %.0f us "
                   "lie outside the copy (calls around it blocked on the host)" % ((gpu_end - api_entry) / 1000.0,
                                                                                    measure))
        elif held and late <= MARGINAL_FACTOR * bar:
            held = None
            why = "marginal: the copy's own records show it %.0f us late (bar %.0f us): no assertion" % (late, bar)
    if held and alone_it is not None and not alone_it["held"] and measure <= MARGINAL_FACTOR * bar:
        held = None
        why = ("marginal: hold %.0f us is under twice the bar (2 x %.0f us) and the run without holdup did not "
               "hold in this iteration: no assertion" % (measure, bar))
    entry["held"] = held
    if why:
        entry["why"] = why
    if held and expected:
        entry["cause"] = list(expected[0])
        if expected[1]:
            entry["blocker"] = expected[1]
    return entry


def make_fixture(results, dest, variant, holdup, remedy_docs):
    src = os.path.join(results, variant)
    traced_path = os.path.join(src, "traced.json")
    if not os.path.isfile(traced_path):
        raise ValueError("no traced.json (the traced run failed?)")
    traced = load(traced_path)
    alone_path = os.path.join(src, "alone.json")
    alone = load(alone_path) if os.path.isfile(alone_path) else None
    trace_dir = os.path.join(src, "trace")
    traces = sorted(n for n in os.listdir(trace_dir) if n.endswith(".trace")) if os.path.isdir(trace_dir) else []
    pid = int(traced["pid"])
    mine = [n for n in traces if n.endswith("-%d.trace" % pid)]
    if len(mine) != 1:
        raise ValueError("%d trace files for pid %d in %s (have: %s)" % (len(mine), pid, trace_dir, ", ".join(traces)))

    case = base_case(variant, traced)
    expected = EXPECTED.get(case)
    nbytes = int(traced["copy_bytes"])
    skip = int(traced["calibration_copies"]) + int(traced["warmup"])
    cupti = None
    if holdup:
        cupti = cupti_data_copies(holdup, os.path.join(trace_dir, mine[0]), nbytes)
        if len(cupti) != skip + len(traced["iterations"]):
            raise ValueError("pid %d: %d data copies of %d bytes in the trace, expected %d (%d calibration + %d "
                             "warm-up + %d iterations)" % (pid, len(cupti), nbytes, skip + len(traced["iterations"]),
                                                            traced["calibration_copies"], traced["warmup"],
                                                            len(traced["iterations"])))

    iterations = []
    for i, it in enumerate(traced["iterations"]):
        alone_it = alone["iterations"][i] if alone and i < len(alone["iterations"]) else None
        iterations.append(iteration_entry(traced, it, alone_it, expected, cupti[skip + i] if cupti else None))

    # Verdicts of the case's own truth, traced run against alone run.
    pairs = [(bool(t["held"]), bool(a["held"])) for t, a in zip(traced["iterations"], alone["iterations"])] \
        if alone else []
    differ = sum(1 for t, a in pairs if t != a)

    # Copy the files.
    out = os.path.join(dest, SUBDIR, variant)
    if os.path.isdir(out):
        shutil.rmtree(out)
    os.makedirs(os.path.join(out, "trace"))
    for n in traces:
        shutil.copy2(os.path.join(trace_dir, n), os.path.join(out, "trace", n))
    shutil.copy2(traced_path, os.path.join(out, "truth.json"))
    if alone:
        shutil.copy2(alone_path, os.path.join(out, "truth-alone.json"))

    rel = "%s/%s/trace" % (SUBDIR, variant)
    any_held = any(e["held"] is True for e in iterations)
    designed_control = variant in CONTROLS
    process = {
        "pid": pid,
        "trace": "%s/%s" % (rel, mine[0]),
        "copy_bytes": nbytes,
        "calibration_copies": int(traced["calibration_copies"]),
        "warmup": int(traced["warmup"]),
        "copy_kind": traced.get("copy_kind"),
        "copy_alone_us": traced.get("copy_alone_us"),
        "truth": traced.get("truth"),
        "alone": held_string(alone),
        "remedy": held_string(remedy_docs.get(variant)),
        "iterations": iterations,
    }
    fixture = {
        "scenario": variant,
        "case": case,
        "traces": [rel],
        "control": designed_control and not any_held,
        "traced_differs": bool(differ) if alone else None,
        "verdict_counts": {
            "iterations": len(traced["iterations"]),
            "traced_held": sum(1 for it in traced["iterations"] if it["held"]),
            "alone_held": sum(1 for it in alone["iterations"] if it["held"]) if alone else None,
            "iterations_differ": differ if alone else None,
        },
        "processes": [process],
    }
    if expected and any_held:
        fixture["why"] = expected[2]
    if designed_control and any_held:
        fixture["note"] = "designed as a control, but the measurements show a hold"
    if not alone:
        fixture["note_alone"] = "no alone.json: the run without holdup failed or is missing"
    return fixture, traced


def main():
    args = sys.argv[1:]
    holdup, force = None, False
    positional = []
    while args:
        a = args.pop(0)
        if a == "--holdup" and args:
            holdup = args.pop(0)
        elif a == "--force":
            force = True
        elif a.startswith("-"):
            sys.exit(__doc__)
        else:
            positional.append(a)
    if len(positional) != 2:
        sys.exit(__doc__)
    results, dest = positional
    if not os.path.isdir(results):
        fail("no results folder %s" % results)
    if holdup and not os.access(holdup, os.X_OK):
        fail("--holdup %s is not an executable" % holdup)

    manifest_path = os.path.join(dest, "MANIFEST.json")
    if os.path.exists(manifest_path) and not force:
        try:
            old = json.load(open(manifest_path))
            foreign = [f.get("scenario") for f in old.get("fixtures", [])
                       if not all(t.startswith(SUBDIR + "/") for t in f.get("traces", []))]
        except (OSError, ValueError):
            foreign = ["<unreadable>"]
        if foreign:
            fail("%s already describes other fixtures (%s...): choose another DEST_DIR or pass --force" %
                 (manifest_path, ", ".join(str(s) for s in foreign[:3])))
    os.makedirs(dest, exist_ok=True)

    # The remedies' traced verdicts, for the "remedy" strings.
    remedy_docs = {}
    for variant, partner in REMEDY.items():
        p = os.path.join(results, partner, "traced.json")
        if os.path.isfile(p):
            try:
                remedy_docs[variant] = load(p)
            except (OSError, ValueError):
                pass

    fixtures, docs, problems = [], [], []
    present = [v for v in VARIANTS if os.path.isdir(os.path.join(results, v))]
    extra = sorted(n for n in os.listdir(results)
                   if os.path.isdir(os.path.join(results, n)) and n not in VARIANTS and
                   os.path.isfile(os.path.join(results, n, "traced.json")))
    for variant in present + extra:
        try:
            fixture, doc = make_fixture(results, dest, variant, holdup, remedy_docs)
        except (OSError, ValueError, KeyError, subprocess.CalledProcessError) as e:
            problems.append("%s: %s" % (variant, e))
            print("SKIPPED %-18s %s" % (variant, e))
            continue
        fixtures.append(fixture)
        docs.append(doc)
        p = fixture["processes"][0]
        marks = "".join("H" if e["held"] is True else "?" if e["held"] is None else "." for e in p["iterations"])
        print("%-18s pid %-7d truth %-6s held %s  alone %s%s%s" %
              (variant, p["pid"], p["truth"], marks, p["alone"],
               "  control" if fixture["control"] else "",
               "  (traced differs from alone in %d)" % fixture["verdict_counts"]["iterations_differ"]
               if fixture["traced_differs"] else ""))
    for variant in VARIANTS:
        if variant not in present:
            problems.append("%s: not in %s" % (variant, results))
    if not fixtures:
        fail("no fixture could be made: " + "; ".join(problems))

    machine = machine_fields(results, docs)
    manifest = {
        "schema": "holdup-fixtures/2",
        "card": machine["card"],
        "driver": machine["driver"],
        "cuda": machine["cuda"],
        "torch": machine["torch"],
        "date": machine["date"],
        "made_by": "tests/corpus/run_corpus.sh, then tests/corpus/make_corpus_manifest.py%s" %
                   (" --holdup" if holdup else ""),
        "data_copies": DATA_COPIES,
        "controls": CONTROLS_TEXT,
        "fixtures": fixtures,
    }
    with open(manifest_path, "w") as f:
        json.dump(manifest, f, indent=1)
        f.write("\n")
    print("wrote %s (%d fixtures)" % (manifest_path, len(fixtures)))
    if problems:
        print("problems:\n  " + "\n  ".join(problems))
        sys.exit(1)


if __name__ == "__main__":
    main()
