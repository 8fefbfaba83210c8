#!/usr/bin/env python3
"""A small PyTorch training loop on the GPU, for recording overhead (issue 5).

An MLP (several Linear+ReLU layers, cross-entropy, Adam) trained on random
data already on the GPU: dozens of small kernels per step, so a profiler's
per-launch cost shows. Prints one JSON object on stdout:
steps/s over the timed steps (warm-up excluded), the time per step of each
block of --block-steps timed steps (for intervals within a run), and
start-up separately.

--profiler runs warm-up and timed steps inside
torch.profiler.profile(activities=[CPU, CUDA]); the profiler's teardown
(stop and result processing, at the context's exit) and any --trace export
happen after the timed region and are reported apart.

--floor-sweep "SET;SET;..." (under libholdup_floor.so, issue 12): after the
warm-up, switches the floor's CUPTI set-up (holdup_floor_select) between
blocks of --sweep-steps timed steps, --sweep-rounds rounds, each round in
its own shuffled order (a set's cost can linger into the next block, and a
rotated order gives each set the same predecessor), and reports the step time per set ("sweep" in the JSON): what
each CUPTI kind or callback adds to this loop, in one process. The set
`detached` finalizes CUPTI (the app alone; every block ends synchronized, as
cuptiFinalize needs) and the next set attaches it again.

Exit: 0, 77 when torch or a CUDA device is missing (scripts say "skipped"),
2 when --floor-sweep finds no floor library.
"""
import argparse
import json
import os
import sys
import time

SCRIPT_START = time.perf_counter()


def parse_args():
    p = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    p.add_argument("--steps", type=int, default=300, help="timed steps")
    p.add_argument("--warmup", type=int, default=30, help="untimed steps first")
    p.add_argument("--block-steps", type=int, default=50, help="timed steps per block (block_step_ms)")
    p.add_argument("--batch", type=int, default=128)
    p.add_argument("--width", type=int, default=1024)
    p.add_argument("--layers", type=int, default=6)
    p.add_argument("--profiler", action="store_true", help="run under torch.profiler (CPU and CUDA activities)")
    p.add_argument("--trace", help="with --profiler: export a Chrome trace here, after timing")
    p.add_argument("--floor-sweep", default="", help="floor sets to switch between, ';'-separated")
    p.add_argument("--sweep-rounds", type=int, default=4)
    p.add_argument("--sweep-steps", type=int, default=50, help="timed steps per set and round")
    p.add_argument("--sweep-settle", type=int, default=3, help="untimed steps after each switch")
    p.add_argument("--sweep-order", choices=("shuffle", "rotate"), default="shuffle",
                   help="each round's order of the sets: shuffled (seeded by the process and the round), or rotated by one, "
                        "which gives every set the same predecessor in most rounds")
    return p.parse_args()


def floor_select():
    """holdup_floor_select of the injected floor library (already loaded), or None."""
    import ctypes
    import os
    path = os.environ.get("CUDA_INJECTION64_PATH", "")
    if not path:
        return None
    try:
        lib = ctypes.CDLL(path, mode=os.RTLD_NOLOAD | os.RTLD_NOW)
        fn = lib.holdup_floor_select
    except (OSError, AttributeError):
        return None
    fn.argtypes = [ctypes.c_char_p]
    fn.restype = ctypes.c_int
    return fn


def main():
    args = parse_args()
    try:
        import torch
    except ImportError as e:
        print(f"torch_train.py: cannot import torch ({e}): skipped", file=sys.stderr)
        return 77
    if not torch.cuda.is_available():
        print("torch_train.py: no CUDA device: skipped", file=sys.stderr)
        return 77
    import_done = time.perf_counter()
    device = torch.device("cuda")
    torch.manual_seed(0)
    layers = []
    for i in range(args.layers):
        layers += [torch.nn.Linear(args.width, args.width), torch.nn.ReLU()]
    layers.append(torch.nn.Linear(args.width, 10))
    model = torch.nn.Sequential(*layers).to(device)
    optimizer = torch.optim.Adam(model.parameters(), lr=1e-4)
    loss_fn = torch.nn.CrossEntropyLoss()
    inputs = torch.randn(args.batch, args.width, device=device)
    targets = torch.randint(0, 10, (args.batch,), device=device)

    def step():
        optimizer.zero_grad(set_to_none=True)
        loss = loss_fn(model(inputs), targets)
        loss.backward()
        optimizer.step()
        return loss

    profiler = None
    if args.profiler:
        from torch.profiler import ProfilerActivity, profile
        profiler = profile(activities=[ProfilerActivity.CPU, ProfilerActivity.CUDA])
        profiler.__enter__()
    for _ in range(args.warmup):
        step()
    torch.cuda.synchronize()
    sweep, sweep_cpu, sweep_settle, sweep_order = {}, {}, {}, []
    sets = [x for x in args.floor_sweep.split(";") if x]
    if sets:
        select = floor_select()
        if select is None:
            print("torch_train.py: --floor-sweep needs CUDA_INJECTION64_PATH=libholdup_floor.so", file=sys.stderr)
            return 2
        import random
        for r in range(args.sweep_rounds):
            if args.sweep_order == "shuffle":
                order = random.Random(os.getpid() * 1000 + r).sample(sets, len(sets))
            else:
                order = [sets[(k + r) % len(sets)] for k in range(len(sets))]
            sweep_order.append(order)
            for name in order:
                rc = select(name.encode())
                if rc != 0:
                    print(f"torch_train.py: holdup_floor_select({name}) = {rc}", file=sys.stderr)
                    continue
                t0 = time.perf_counter()
                for _ in range(args.sweep_settle):
                    step()
                torch.cuda.synchronize()
                sweep_settle.setdefault(name, []).append(
                    (time.perf_counter() - t0) / max(1, args.sweep_settle) * 1e3)
                t0, c0 = time.perf_counter(), time.thread_time()
                for _ in range(args.sweep_steps):
                    step()
                c1 = time.thread_time()
                torch.cuda.synchronize()
                sweep.setdefault(name, []).append((time.perf_counter() - t0) / args.sweep_steps * 1e3)
                sweep_cpu.setdefault(name, []).append((c1 - c0) / args.sweep_steps * 1e3)
    # Blocks end on the host clock without a synchronize: the loop is bound by
    # the host's dispatch, and a synchronize per block would add idle time.
    # The main thread's CPU time per block too: the in-line cost a profiler adds
    # to the launching thread, less sensitive to a busy host than wall time.
    blocks, blocks_cpu = [], []
    timed_start = time.perf_counter()
    block_start, block_cpu_start = timed_start, time.thread_time()
    for i in range(args.steps):
        loss = step()
        if (i + 1) % args.block_steps == 0:
            now, cpu = time.perf_counter(), time.thread_time()
            blocks.append((now - block_start) / args.block_steps * 1e3)
            blocks_cpu.append((cpu - block_cpu_start) / args.block_steps * 1e3)
            block_start, block_cpu_start = now, cpu
    torch.cuda.synchronize()
    timed_end = time.perf_counter()
    final_loss = float(loss.item())
    teardown_s = 0.0
    export_s = 0.0
    if profiler is not None:
        t = time.perf_counter()
        profiler.__exit__(None, None, None)
        teardown_s = time.perf_counter() - t
        if args.trace:
            t = time.perf_counter()
            profiler.export_chrome_trace(args.trace)
            export_s = time.perf_counter() - t
    duration = timed_end - timed_start
    print(json.dumps({
        "tool": "torch_train.py",
        "torch": torch.__version__,
        "device": torch.cuda.get_device_name(0),
        "profiler": bool(args.profiler),
        "steps": args.steps,
        "warmup": args.warmup,
        "duration_s": duration,
        "steps_per_s": args.steps / duration,
        "step_ms": duration / args.steps * 1e3,
        "block_steps": args.block_steps,
        "block_step_ms": blocks,
        "block_thread_cpu_ms": blocks_cpu,
        "import_s": import_done - SCRIPT_START,
        "startup_s": timed_start - SCRIPT_START,
        "profiler_teardown_s": teardown_s,
        "profiler_export_s": export_s,
        "final_loss": final_loss,
        **({"sweep_step_ms": sweep, "sweep_thread_cpu_ms": sweep_cpu, "sweep_settle_step_ms": sweep_settle,
            "sweep_order": sweep_order} if sweep else {}),
    }))
    return 0


if __name__ == "__main__":
    sys.exit(main())
