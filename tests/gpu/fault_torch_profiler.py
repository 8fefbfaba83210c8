"""torch.profiler as a second CUPTI client, for tests/gpu/run_fault_checks.sh.

  python3 fault_torch_profiler.py before   profiler started before any CUDA op
  python3 fault_torch_profiler.py after    CUDA work first, then the profiler
                                           started and stopped around a few ops

stdout: only results that do not depend on timing (compared with and
without holdup); stderr: how many CUDA events torch.profiler saw, which
differs under holdup (only one CUPTI client fits in a process).
"""
import sys

import torch
from torch.profiler import ProfilerActivity, profile

mode = sys.argv[1] if len(sys.argv) > 1 else "after"
activities = [ProfilerActivity.CPU, ProfilerActivity.CUDA]


def ops(x):
    for _ in range(20):
        x = torch.relu(x @ x.T / x.shape[1])
    return x


def cuda_events(prof):
    return sum(1 for e in prof.events() if e.device_type == torch.autograd.DeviceType.CUDA)


torch.manual_seed(0)
if mode == "before":
    with profile(activities=activities) as prof:
        x = torch.ones(256, 256, device="cuda")
        y = ops(x)
        torch.cuda.synchronize()
else:
    x = torch.ones(256, 256, device="cuda")
    y = ops(x)
    torch.cuda.synchronize()
    with profile(activities=activities) as prof:
        y = ops(y)
        torch.cuda.synchronize()
    y = ops(y)  # after the profiler stopped
    torch.cuda.synchronize()
print(f"{mode}: result {float(y.sum().item()):.3f}")
print(f"torch.profiler ({mode}) saw {cuda_events(prof)} CUDA events", file=sys.stderr)
