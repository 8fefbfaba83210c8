"""Starts torch.profiler inside a process recorded by holdup (GPU machine only).

torch.profiler (Kineto) re-registers CUPTI's activity buffer callbacks, so
holdup's buffers stop coming back. Enough launches after that point let the
recorder prove the takeover (src/inject/takeover_detector.h).
"""
import sys
import torch

x = torch.ones(16, device="cuda")
for _ in range(2000):
    x.add_(1)
torch.cuda.synchronize()
launches = int(sys.argv[1]) if len(sys.argv) > 1 else 150000
with torch.profiler.profile(activities=[torch.profiler.ProfilerActivity.CUDA]) as prof:
    for _ in range(launches):
        x.add_(1)
    torch.cuda.synchronize()
print(f"profiled {launches} launches; torch.profiler saw {len(prof.events())} events")
