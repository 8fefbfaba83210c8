#!/usr/bin/env python3
"""Small PyTorch programs whose own CUDA events / host clocks say when each
data copy could start and whether it was held: truth to test holdup against.

usage: torch_cases.py --case NAME [--iters N] [--warmup N] [--gemm M,N,K]
                      [--copy-mib X] [--json PATH] [--seconds S]
                      [--copy-kind dtod|htod]

Cases (see tests/corpus/README.md):
  gemm-side-copy   GEMM1 on a compute stream, then a D2D copy on a side stream,
                   then GEMM2: the SM-executed copy waits for SMs (event truth).
  wait-stream      as gemm-side-copy, but the side stream first waits for
                   GEMM1 (side.wait_stream(compute)): hold counted from there.
  allocator        a proxy thread issues the copy while the main thread frees a
                   large tensor, empties the cache (cudaFree) and allocates a
                   larger one (cudaMalloc) (host truth).
  allocator-quiet  control for allocator: the main thread does not free/allocate.
  pinned-prefetch  control: gemm-side-copy with a pinned host-to-device copy
                   (copy engine).
  two-process      a neighbour process runs GEMMs back to back; this process
                   only copies (event truth).
  ipc-cold         control: a spawned child copies into a tensor of the parent
                   opened through CUDA IPC, nothing else on the GPU; the child
                   writes the JSON.
  neighbor         (internal) the GEMM loop of two-process.

Every data copy is X MiB + 4096 bytes (uint8), a size nothing else in the
program copies: the first `calibration_copies` are the idle-GPU calibration,
the next `warmup` the warm-up iterations, then iteration 0, 1, ...

Exit status: 0 done; 1 error; 2 bad arguments; 3 a bounded wait ran out.
Only torch and the standard library.
"""
import argparse
import json
import os
import statistics
import subprocess
import sys
import threading
import time
import traceback

import torch

MIB = 1 << 20
EXTRA_BYTES = 4096          # makes the data copies' size distinctive
BAR_US = 100.0              # held: hold > max(BAR_US, 0.5 * copy_alone_us)
CALIBRATION = 5             # idle-GPU copies timed for copy_alone_us (median)
WAIT_S = 30.0               # any single handshake between threads
READY_TIMEOUT_S = 60.0      # neighbour start-up (torch import, cuBLAS init)
CHILD_TIMEOUT_S = 75.0      # ipc-cold child, whole run
BIG_BASE = 512 * MIB        # allocator: first large tensor
BIG_STEP = 2 * MIB          # allocator: each new one is this much larger

CASES = ("gemm-side-copy", "shared-queue", "wait-stream", "allocator", "allocator-quiet", "pinned-prefetch",
         "two-process", "ipc-cold", "neighbor")


class CaseError(Exception):
    """A failure with a clear message; exit status `code`."""

    def __init__(self, message, code=1):
        super().__init__(message)
        self.code = code


def now_ns():
    return time.perf_counter_ns()


def log(msg):
    print(msg, flush=True)


def bar_us(copy_alone_us):
    return max(BAR_US, 0.5 * copy_alone_us)


def r2(x):
    return None if x is None else round(float(x), 2)


# ---------------------------------------------------------------------------
# Set-up shared by the cases

def parse_gemm(text):
    try:
        dims = [int(v) for v in text.split(",")]
    except ValueError:
        dims = []
    if len(dims) != 3 or min(dims) <= 0:
        raise argparse.ArgumentTypeError("--gemm wants M,N,K (three positive integers), got %r" % text)
    return dims


def copy_bytes(copy_mib):
    if copy_mib <= 0:
        raise CaseError("--copy-mib must be positive", 2)
    return int(round(copy_mib * MIB)) + EXTRA_BYTES


def gemm_operands(m, n, k):
    """A (MxK), B (KxN) on random bf16 data; two outputs (MxN) written with
    out= so that no GEMM allocates."""
    dev = torch.device("cuda", 0)
    a = torch.randn(m, k, device=dev, dtype=torch.bfloat16)
    b = torch.randn(k, n, device=dev, dtype=torch.bfloat16)
    c1 = torch.empty(m, n, device=dev, dtype=torch.bfloat16)
    c2 = torch.empty(m, n, device=dev, dtype=torch.bfloat16)
    return a, b, c1, c2


def copy_tensors(kind, nbytes):
    """(src, dst) of nbytes uint8: dtod both on the GPU; htod src pinned."""
    dev = torch.device("cuda", 0)
    dst = torch.empty(nbytes, dtype=torch.uint8, device=dev)
    if kind == "dtod":
        src = torch.randint(0, 256, (nbytes,), dtype=torch.uint8, device=dev)
    elif kind == "htod":
        src = torch.empty(nbytes, dtype=torch.uint8, pin_memory=True)
        if not src.is_pinned():
            raise CaseError("could not allocate a pinned host tensor")
        src.copy_(torch.randint(0, 256, (nbytes,), dtype=torch.uint8))  # CPU to CPU: no CUDA copy
    else:
        raise CaseError("unknown copy kind %r" % kind, 2)
    torch.cuda.synchronize()
    return src, dst


def timing_event():
    return torch.cuda.Event(enable_timing=True)


def span_us(start, end):
    return start.elapsed_time(end) * 1000.0


def base_doc(args, case, kind, nbytes, truth, gemm):
    props = torch.cuda.get_device_properties(0)
    return {
        "case": case,
        "pid": os.getpid(),
        "gpu": torch.cuda.get_device_name(0),
        "sms": props.multi_processor_count,
        "torch": torch.__version__,
        "cuda": torch.version.cuda,
        "copy_bytes": nbytes,
        "copy_kind": kind,
        "calibration_copies": CALIBRATION,
        "warmup": args.warmup,
        "iters": args.iters,
        "truth": truth,
        "gemm": gemm,
        "env": {k: os.environ.get(k) for k in ("CUDA_MODULE_LOADING", "CUDA_DEVICE_MAX_CONNECTIONS",
                                               "PYTORCH_CUDA_ALLOC_CONF", "CUDA_LAUNCH_BLOCKING")},
        "traced": bool(os.environ.get("CUDA_INJECTION64_PATH")),
    }


def calibrate_events(side, do_copy):
    """copy_alone_us: median ev_ready->ev_done of CALIBRATION copies on an idle
    GPU, on the copy's own stream. Also returns the host time of each copy_
    call."""
    ready, done = timing_event(), timing_event()
    spans, calls = [], []
    for _ in range(CALIBRATION):
        torch.cuda.synchronize()
        with torch.cuda.stream(side):
            ready.record(side)
            t_call = now_ns()
            do_copy()
            t_ret = now_ns()
            done.record(side)
        done.synchronize()
        spans.append(span_us(ready, done))
        calls.append((t_ret - t_call) / 1e3)
    torch.cuda.synchronize()
    return statistics.median(spans), spans, calls


def event_iteration(index, span, alone, call_us):
    hold = span - alone
    return {
        "index": index,
        "copy_us": r2(span),
        "hold_us": r2(hold),
        "held": bool(hold > bar_us(alone)),
        "copy_call_us": r2(call_us),
    }


def gemm_spans(ref, ready, pairs):
    """[[start, end] us relative to ready] for each (start, end) event pair,
    via a reference event recorded before everything else."""
    r0 = ref.elapsed_time(ready)
    return [[r2((ref.elapsed_time(s) - r0) * 1000.0), r2((ref.elapsed_time(e) - r0) * 1000.0)] for s, e in pairs]


def summary_line(case, it, warm=False):
    label = "warm-up %d" % it["index"] if warm else "iter %d" % it["index"]
    parts = ["[%s] %-10s" % (case, label)]
    if "late_us" in it:
        parts.append("late %9.1f us (stall %8.1f, copy late %8.1f)" % (it["late_us"], it["stall_us"], it["copy_late_us"]))
    parts.append("copy %9.1f us hold %9.1f us" % (it["copy_us"], it["hold_us"]))
    parts.append("HELD" if it["held"] else "ok  ")
    parts.append("call %.1f us" % it["copy_call_us"])
    for j, g in enumerate(it.get("gemms_us", [])):
        parts.append("gemm%d [%.1f, %.1f]" % (j + 1, g[0], g[1]))
    return "  ".join(parts)


def run_iterations(case, args, one):
    """Warm-up, then measured iterations; `one(index)` runs one iteration
    (ending in torch.cuda.synchronize()) and returns its dict."""
    warm, measured = [], []
    for i in range(args.warmup):
        it = one(i)
        warm.append(it)
        log(summary_line(case, it, warm=True))
    for i in range(args.iters):
        it = one(i)
        measured.append(it)
        log(summary_line(case, it))
    return warm, measured


def finish(args, doc, warm, measured):
    doc["warmup_iterations"] = warm
    doc["iterations"] = measured
    held = sum(1 for it in measured if it["held"])
    log("[%s] pid %d: %d of %d measured iterations held (copy alone %.1f us%s, bar %.1f us)" %
        (doc["case"], doc["pid"], held, len(measured), doc["copy_alone_us"],
         ", host %.1f us" % doc["copy_alone_host_us"] if "copy_alone_host_us" in doc else "",
         bar_us(doc["copy_alone_us"])))
    if args.json:
        folder = os.path.dirname(os.path.abspath(args.json))
        os.makedirs(folder, exist_ok=True)
        with open(args.json, "w") as f:
            json.dump(doc, f, indent=1)
            f.write("\n")
        log("[%s] wrote %s" % (doc["case"], args.json))


# ---------------------------------------------------------------------------
# gemm-side-copy, wait-stream, pinned-prefetch

def case_gemm_copy(args, case):
    kind = "htod" if case == "pinned-prefetch" else "dtod"
    wait_dependency = case == "wait-stream"
    # shared-queue: CUDA_DEVICE_MAX_CONNECTIONS=1 (set in main before CUDA
    # starts): every stream shares one hardware queue, so ev_ready waits in
    # it too; only the host clock sees the hold (t0 before ev_ready, t1
    # when ev_done is seen complete), and the iteration ends in a device
    # synchronize issued after the copy.
    host_truth = case == "shared-queue"
    m, n, k = args.gemm
    nbytes = copy_bytes(args.copy_mib)
    a, b, c1, c2 = gemm_operands(m, n, k)
    src, dst = copy_tensors(kind, nbytes)
    compute, side = torch.cuda.Stream(), torch.cuda.Stream()

    def do_copy():
        dst.copy_(src, non_blocking=True)

    doc = base_doc(args, case, kind, nbytes, "host" if host_truth else "events", [m, n, k])
    alone, spans, calls = calibrate_events(side, do_copy)
    if host_truth:
        ready0, done0 = timing_event(), timing_event()
        host = []
        for _ in range(CALIBRATION):
            torch.cuda.synchronize()
            t0 = now_ns()
            with torch.cuda.stream(side):
                ready0.record(side)
                do_copy()
                done0.record(side)
            done0.synchronize()
            host.append((now_ns() - t0) / 1e3)
        alone_host = statistics.median(host)
        doc["copy_alone_host_us"] = r2(alone_host)
        doc["calibration_copies"] = 2 * CALIBRATION  # the event and the host calibration
        doc["calibration_host_us"] = [r2(h) for h in host]
    doc["copy_alone_us"] = r2(alone)
    doc["calibration_us"] = [r2(s) for s in spans]
    doc["calibration_call_us"] = [r2(c) for c in calls]
    log("[%s] copy %d bytes %s; alone %.1f us (calibration %s)" %
        (case, nbytes, kind, alone, ", ".join("%.1f" % s for s in spans)))

    g1s, g1e, g2s, g2e, ready, done = (timing_event() for _ in range(6))

    def one(index):
        with torch.cuda.stream(compute):
            g1s.record(compute)
            torch.mm(a, b, out=c1)
            g1e.record(compute)
        if wait_dependency:
            side.wait_stream(compute)
        t0 = now_ns()
        with torch.cuda.stream(side):
            ready.record(side)
            t_call = now_ns()
            do_copy()
            t_ret = now_ns()
            done.record(side)
        with torch.cuda.stream(compute):
            g2s.record(compute)
            torch.mm(a, b, out=c2)
            g2e.record(compute)
        if host_truth:
            done.synchronize()
            t1 = now_ns()
        torch.cuda.synchronize()
        it = event_iteration(index, span_us(ready, done), alone, (t_ret - t_call) / 1e3)
        if host_truth:
            it["late_us"] = r2((t1 - t0) / 1e3 - alone_host)
            it["stall_us"] = r2((t_call - t0) / 1e3)
            it["copy_late_us"] = r2((t1 - t_call) / 1e3 - alone_host)
            it["held"] = bool(it["late_us"] > bar_us(alone))
        it["gemms_us"] = gemm_spans(g1s, ready, [(g1s, g1e), (g2s, g2e)])
        return it

    warm, measured = run_iterations(case, args, one)
    finish(args, doc, warm, measured)


# ---------------------------------------------------------------------------
# allocator, allocator-quiet

class CopyProxy(threading.Thread):
    """Issues one copy per go: t0, ev_ready, t_call, copy_, ev_done,
    ev_done.synchronize(), t1 (all on the side stream)."""

    def __init__(self, side, src, dst):
        super().__init__(name="copy-proxy", daemon=True)
        self.side, self.src, self.dst = side, src, dst
        self.ready, self.done = timing_event(), timing_event()
        self.go = threading.Event()
        self.finished = threading.Event()
        self.stop = False
        self.error = None
        self.stamps = None

    def run(self):
        try:
            torch.cuda.set_device(0)
            with torch.cuda.stream(self.side):
                while True:
                    if not self.go.wait(timeout=WAIT_S * 4):
                        raise CaseError("proxy: no go from the main thread in %.0f s" % (WAIT_S * 4), 3)
                    self.go.clear()
                    if self.stop:
                        return
                    t0 = now_ns()
                    self.ready.record(self.side)
                    t_call = now_ns()
                    self.dst.copy_(self.src, non_blocking=True)
                    t_ret = now_ns()
                    self.done.record(self.side)
                    self.done.synchronize()
                    t1 = now_ns()
                    self.stamps = (t0, t_call, t_ret, t1)
                    self.finished.set()
        except BaseException:  # reported to the main thread
            self.error = traceback.format_exc()
            self.finished.set()

    def trigger(self):
        self.finished.clear()
        self.stamps = None
        self.go.set()

    def collect(self):
        if not self.finished.wait(timeout=WAIT_S):
            raise CaseError("proxy: copy not finished %.0f s after the go" % WAIT_S, 3)
        if self.error:
            raise CaseError("proxy thread failed:\n" + self.error)
        return self.stamps

    def shutdown(self):
        self.stop = True
        self.go.set()
        self.join(timeout=WAIT_S)


def case_allocator(args, case):
    churn = case == "allocator"
    kind = args.copy_kind or "htod"
    m, n, k = args.gemm
    nbytes = copy_bytes(args.copy_mib)
    a, b, c1, c2 = gemm_operands(m, n, k)
    src, dst = copy_tensors(kind, nbytes)
    compute, side = torch.cuda.Stream(), torch.cuda.Stream()
    dev = torch.device("cuda", 0)
    big = torch.empty(BIG_BASE, dtype=torch.uint8, device=dev) if churn else None
    big_bytes = BIG_BASE if churn else 0
    torch.cuda.synchronize()

    doc = base_doc(args, case, kind, nbytes, "host", [m, n, k])
    doc["allocator_churn"] = churn
    proxy = CopyProxy(side, src, dst)
    proxy.start()
    try:
        # Calibration through the proxy itself, on an idle GPU.
        spans, hosts, from_call, calls = [], [], [], []
        for _ in range(CALIBRATION):
            torch.cuda.synchronize()
            proxy.trigger()
            t0, t_call, t_ret, t1 = proxy.collect()
            torch.cuda.synchronize()
            spans.append(span_us(proxy.ready, proxy.done))
            hosts.append((t1 - t0) / 1e3)
            from_call.append((t1 - t_call) / 1e3)
            calls.append((t_ret - t_call) / 1e3)
        alone = statistics.median(spans)
        alone_host = statistics.median(hosts)
        alone_call = statistics.median(from_call)
        doc["copy_alone_us"] = r2(alone)
        doc["copy_alone_host_us"] = r2(alone_host)
        # One loop of copies gives the event and both host measures.
        doc["calibration_copies"] = CALIBRATION
        doc["copy_alone_call_us"] = r2(alone_call)
        doc["calibration_us"] = [r2(s) for s in spans]
        doc["calibration_host_us"] = [r2(h) for h in hosts]
        doc["calibration_call_us"] = [r2(c) for c in calls]
        log("[%s] copy %d bytes %s by a proxy thread; alone %.1f us (events), %.1f us (host t0->t1), "
            "%.1f us (host from the copy call)" % (case, nbytes, kind, alone, alone_host, alone_call))

        g1s, g1e, g2s, g2e = (timing_event() for _ in range(4))
        counter = [0]

        def one(index):
            nonlocal big, big_bytes
            with torch.cuda.stream(compute):
                g1s.record(compute)
                torch.mm(a, b, out=c1)
                g1e.record(compute)
                g2s.record(compute)
                torch.mm(a, b, out=c2)
                g2e.record(compute)
            t_go = now_ns()
            proxy.trigger()
            main = {}
            if churn:
                counter[0] += 1
                new_bytes = BIG_BASE + counter[0] * BIG_STEP
                tf0 = now_ns()
                big = None                      # back to the cache (no CUDA call)
                torch.cuda.empty_cache()        # cudaFree: waits for the device
                tf1 = now_ns()
                big = torch.empty(new_bytes, dtype=torch.uint8, device=dev)  # larger than any before: cudaMalloc
                ta1 = now_ns()
                big_bytes = new_bytes
            t0, t_call, t_ret, t1 = proxy.collect()
            torch.cuda.synchronize()
            late = (t1 - t0) / 1e3 - alone_host
            it = {
                "index": index,
                "late_us": r2(late),
                "stall_us": r2((t_call - t0) / 1e3),
                "copy_late_us": r2((t1 - t_call) / 1e3 - alone_call),
                "held": bool(late > bar_us(alone)),
                "copy_us": r2(span_us(proxy.ready, proxy.done)),
                "hold_us": r2(span_us(proxy.ready, proxy.done) - alone),
                "copy_call_us": r2((t_ret - t_call) / 1e3),
                "gemms_us": gemm_spans(g1s, proxy.ready, [(g1s, g1e), (g2s, g2e)]),
            }
            main["go_us"] = r2((t_go - t0) / 1e3)
            if churn:
                main["empty_cache_us"] = [r2((tf0 - t0) / 1e3), r2((tf1 - t0) / 1e3)]
                main["malloc_us"] = [r2((tf1 - t0) / 1e3), r2((ta1 - t0) / 1e3)]
                main["malloc_bytes"] = big_bytes
                # False when the proxy took t0 only after empty_cache returned
                # (e.g. a GIL held through it): then the free could not hold the copy.
                main["t0_before_free_end"] = bool(t0 < tf1)
            it["main_thread"] = main   # times relative to the proxy's t0, us
            return it

        warm, measured = run_iterations(case, args, one)
    finally:
        proxy.shutdown()
    finish(args, doc, warm, measured)


# ---------------------------------------------------------------------------
# Copies with no compute of the process's own: two-process, ipc-cold

class CopyOnly:
    """Copies with no compute of this process's own: calibration on an idle
    GPU, then per iteration ev_ready, copy_, ev_done on a side stream,
    synchronize (and a sleep). `dst` given (CUDA IPC) or made here."""

    def __init__(self, args, case, dst=None):
        self.args, self.case = args, case
        self.nbytes = copy_bytes(args.copy_mib)
        dev = torch.device("cuda", 0)
        self.src = torch.randint(0, 256, (self.nbytes,), dtype=torch.uint8, device=dev)
        if dst is None:
            dst = torch.empty(self.nbytes, dtype=torch.uint8, device=dev)
        if dst.numel() != self.nbytes or dst.dtype != torch.uint8 or not dst.is_cuda:
            raise CaseError("destination tensor is %s %s of %d elements, expected cuda uint8 of %d" %
                            (dst.device, dst.dtype, dst.numel(), self.nbytes))
        self.dst = dst
        torch.cuda.synchronize()
        self.side = torch.cuda.Stream()
        self.doc = base_doc(args, case, "dtod", self.nbytes, "events", None)

    def do_copy(self):
        self.dst.copy_(self.src, non_blocking=True)

    def calibrate(self):
        alone, spans, calls = calibrate_events(self.side, self.do_copy)
        self.alone = alone
        self.doc["copy_alone_us"] = r2(alone)
        self.doc["calibration_us"] = [r2(s) for s in spans]
        self.doc["calibration_call_us"] = [r2(c) for c in calls]
        # The host clock's view of the same copies (t0 -> record, copy_,
        # record, synchronize -> t1): a context switched out by time-slicing
        # holds ev_ready too, so only the host sees that hold.
        ready, done = timing_event(), timing_event()
        host = []
        for _ in range(CALIBRATION):
            torch.cuda.synchronize()
            t0 = now_ns()
            with torch.cuda.stream(self.side):
                ready.record(self.side)
                self.do_copy()
                done.record(self.side)
            done.synchronize()
            host.append((now_ns() - t0) / 1e3)
        self.alone_host = statistics.median(host)
        self.doc["copy_alone_host_us"] = r2(self.alone_host)
        self.doc["calibration_copies"] = 2 * CALIBRATION  # the event and the host calibration
        self.doc["calibration_host_us"] = [r2(h) for h in host]
        log("[%s] copy %d bytes dtod; alone %.1f us, host %.1f us (calibration %s)" %
            (self.case, self.nbytes, alone, self.alone_host, ", ".join("%.1f" % s for s in spans)))

    def iterate(self, sleep_s, check=None, host_truth=False):
        ready, done = timing_event(), timing_event()

        def one(index):
            t0 = now_ns()
            with torch.cuda.stream(self.side):
                ready.record(self.side)
                t_call = now_ns()
                self.do_copy()
                t_ret = now_ns()
                done.record(self.side)
            done.synchronize()
            t1 = now_ns()
            torch.cuda.synchronize()
            it = event_iteration(index, span_us(ready, done), self.alone, (t_ret - t_call) / 1e3)
            it["late_us"] = r2((t1 - t0) / 1e3 - self.alone_host)
            it["stall_us"] = r2((t_call - t0) / 1e3)
            it["copy_late_us"] = r2((t1 - t_call) / 1e3 - self.alone_host)
            if host_truth:
                it["held"] = bool(it["late_us"] > bar_us(self.alone))
            if check:
                check(it)
            if sleep_s:
                time.sleep(sleep_s)
            return it

        return run_iterations(self.case, self.args, one)


def case_neighbor(args):
    """GEMMs back to back (at most 4 in flight) for --seconds after 'ready'."""
    m, n, k = args.gemm
    a, b, c1, _ = gemm_operands(m, n, k)
    for _ in range(3):
        torch.mm(a, b, out=c1)
    torch.cuda.synchronize()
    depth = 4
    marks = [torch.cuda.Event() for _ in range(depth)]
    count = 0
    end = None
    while True:
        mark = marks[count % depth]
        mark.synchronize()          # the GEMM `depth` launches ago has ended
        torch.mm(a, b, out=c1)
        mark.record()
        count += 1
        if end is None and count >= depth:
            end = time.monotonic() + args.seconds
            print("ready", flush=True)
        if end is not None and time.monotonic() >= end:
            break
    print("stopping", flush=True)   # at most `depth` GEMMs left in flight
    torch.cuda.synchronize()
    print("neighbor: pid %d ran %d GEMMs %dx%dx%d" % (os.getpid(), count, m, n, k), flush=True)


def case_two_process(args):
    case = "two-process"
    job = CopyOnly(args, case)
    job.calibrate()           # before the neighbour starts: idle GPU
    m, n, k = args.gemm
    cmd = [sys.executable, os.path.abspath(__file__), "--case", "neighbor", "--seconds", str(args.seconds),
           "--gemm", "%d,%d,%d" % (m, n, k)]
    log("[%s] starting the neighbour: %s" % (case, " ".join(cmd)))
    proc = subprocess.Popen(cmd, stdout=subprocess.PIPE, text=True, env=dict(os.environ))
    ready, stopping = threading.Event(), threading.Event()

    def forward():
        for line in proc.stdout:
            print("[neighbor %d] %s" % (proc.pid, line.rstrip("\n")), flush=True)
            if line.strip() == "ready":
                ready.set()
            elif line.strip() == "stopping":
                stopping.set()
        stopping.set()   # its stdout closed: it exited

    reader = threading.Thread(target=forward, name="neighbor-stdout", daemon=True)
    reader.start()
    try:
        deadline = time.monotonic() + READY_TIMEOUT_S
        while not ready.wait(timeout=0.2):
            if proc.poll() is not None:
                raise CaseError("the neighbour exited (status %s) before it was ready" % proc.returncode)
            if time.monotonic() > deadline:
                raise CaseError("the neighbour was not ready after %.0f s" % READY_TIMEOUT_S, 3)
        job.doc["neighbor_pid"] = proc.pid
        job.doc["neighbor_gemm"] = [m, n, k]
        job.doc["neighbor_seconds"] = args.seconds

        def check(it):
            it["neighbor_running"] = not stopping.is_set() and proc.poll() is None
            if not it["neighbor_running"]:
                raise CaseError("the neighbour stopped computing before the iterations ended: raise --seconds")

        job.doc["truth"] = "host"
        warm, measured = job.iterate(0.002, check, host_truth=True)
        try:
            rc = proc.wait(timeout=args.seconds + WAIT_S)
        except subprocess.TimeoutExpired:
            raise CaseError("the neighbour did not exit within %.0f s" % (args.seconds + WAIT_S), 3)
        if rc != 0:
            raise CaseError("the neighbour exited with status %d" % rc)
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait(timeout=10)
    reader.join(timeout=5)
    finish(args, job.doc, warm, measured)


def ipc_child(queue, options):
    """Spawned by case_ipc_cold: receives the parent's tensor (CUDA IPC) and
    copies into it; writes the JSON."""
    args = argparse.Namespace(**options)
    try:
        torch.cuda.set_device(0)
        torch.cuda.init()
        dst = queue.get(timeout=WAIT_S * 2)
        job = CopyOnly(args, "ipc-cold", dst=dst)
        job.doc["parent_pid"] = os.getppid()
        job.doc["dst"] = "tensor of the parent process, opened through CUDA IPC"
        job.calibrate()
        warm, measured = job.iterate(0.0)
        finish(args, job.doc, warm, measured)
        del dst, job
        torch.cuda.synchronize()
    except CaseError as e:
        print("torch_cases: ipc-cold child: error: %s" % e, file=sys.stderr, flush=True)
        sys.exit(e.code)
    except BaseException:
        traceback.print_exc()
        sys.exit(1)


def case_ipc_cold(args):
    import torch.multiprocessing as tmp
    nbytes = copy_bytes(args.copy_mib)
    dst = torch.empty(nbytes, dtype=torch.uint8, device=torch.device("cuda", 0))
    dst.fill_(7)
    torch.cuda.synchronize()
    ctx = tmp.get_context("spawn")
    queue = ctx.Queue()
    options = dict(vars(args))
    child = ctx.Process(target=ipc_child, args=(queue, options), name="ipc-cold-child")
    child.start()
    log("[ipc-cold] parent pid %d, child pid %d" % (os.getpid(), child.pid))
    try:
        queue.put(dst)
        child.join(timeout=CHILD_TIMEOUT_S)
        if child.is_alive():
            raise CaseError("the child did not finish within %.0f s" % CHILD_TIMEOUT_S, 3)
        if child.exitcode != 0:
            raise CaseError("the child exited with status %s" % child.exitcode)
    finally:
        if child.is_alive():
            child.terminate()
            child.join(timeout=10)
            if child.is_alive():
                child.kill()
    queue.close()
    del dst
    torch.cuda.synchronize()
    log("[ipc-cold] child done")


# ---------------------------------------------------------------------------

def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--case", required=True, choices=CASES)
    parser.add_argument("--iters", type=int, default=12, help="measured iterations (default 12)")
    parser.add_argument("--warmup", type=int, default=3, help="warm-up iterations (default 3)")
    parser.add_argument("--gemm", type=parse_gemm, default=[8192, 8192, 8192], help="M,N,K of the bf16 GEMMs")
    parser.add_argument("--copy-mib", type=float, default=64.0, help="data copy: X MiB + 4096 bytes (default 64)")
    parser.add_argument("--json", help="write the truth here")
    parser.add_argument("--seconds", type=float, default=4.0,
                        help="two-process/neighbor: how long the neighbour computes after 'ready' (default 4)")
    parser.add_argument("--copy-kind", choices=("dtod", "htod"),
                        help="allocator cases only: the proxy's copy (default htod: a pinned host tensor, on a "
                             "copy engine, so that the GEMMs cannot hold it on the SMs)")
    args = parser.parse_args(argv)
    if args.iters < 1 or args.warmup < 0 or args.seconds <= 0:
        parser.error("--iters >= 1, --warmup >= 0 and --seconds > 0")
    if args.copy_kind and args.case not in ("allocator", "allocator-quiet"):
        parser.error("--copy-kind is for the allocator cases only")
    if args.case == "shared-queue":
        os.environ["CUDA_DEVICE_MAX_CONNECTIONS"] = "1"  # read when the context is made: before any CUDA call
    if not torch.cuda.is_available():
        print("torch_cases: error: no CUDA device visible to torch", file=sys.stderr)
        return 1
    torch.cuda.set_device(0)
    try:
        if args.case in ("gemm-side-copy", "shared-queue", "wait-stream", "pinned-prefetch"):
            case_gemm_copy(args, args.case)
        elif args.case in ("allocator", "allocator-quiet"):
            case_allocator(args, args.case)
        elif args.case == "two-process":
            case_two_process(args)
        elif args.case == "ipc-cold":
            case_ipc_cold(args)
        elif args.case == "neighbor":
            case_neighbor(args)
    except CaseError as e:
        print("torch_cases: %s: error: %s" % (args.case, e), file=sys.stderr, flush=True)
        return e.code
    return 0


if __name__ == "__main__":
    sys.exit(main())
