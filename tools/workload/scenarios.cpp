#include "scenarios.h"

#include <array>

namespace holdup::workload {
namespace {

// Presets isolate one mechanism each (see SCENARIOS.md). Most run one
// process and leave SM headroom (1 block of 128 threads per SM), so that an
// SM-executed device-to-device copy is not held by the SM-filling kernels
// (mechanism 1 of h100-facts.md) and what remains is the mechanism named.
const std::array kScenarios = {
    Scenario{"report",
             "the public report as posted: 2 processes, IPC peer copy, 0,1,2, SM-filling kernels, no warm-up",
             {"--procs", "2", "--pattern", "0,1,2", "--warmup", "0", "--copy-path", "peer",
              "--blocks-per-sm", "8", "--threads", "256", "--module-loading", "lazy"},
             {"--module-loading", "eager", "--blocks-per-sm", "1", "--threads", "128"}},
    Scenario{"seed-lazy",
             "first launch of Kernel2 under lazy loading (0,1,2, no warm-up): copy held until Kernel1 ends, iteration 0",
             {"--procs", "1", "--pattern", "0,1,2", "--warmup", "0", "--module-loading", "lazy",
              "--blocks-per-sm", "1", "--threads", "128"},
             {"--module-loading", "eager"}},
    Scenario{"eager",
             "control for seed-lazy: CUDA_MODULE_LOADING=EAGER, no hold expected",
             {"--procs", "1", "--pattern", "0,1,2", "--warmup", "0", "--module-loading", "eager",
              "--blocks-per-sm", "1", "--threads", "128"},
             {}},
    Scenario{"seed-alloc",
             "cudaMalloc/cudaFree of temp storage beside the reduction: hold every iteration, long proxy API call",
             {"--procs", "1", "--pattern", "0,1,2", "--warmup", "1", "--sync-beside-k2", "malloc",
              "--blocks-per-sm", "1", "--threads", "128"},
             {"--sync-beside-k2", "none"}},
    Scenario{"sm-saturated",
             "local D2D copy (SM-executed) behind kernels filling every SM: held ~kernel length, every iteration",
             {"--procs", "1", "--pattern", "0,1", "--warmup", "1", "--copy-path", "local",
              "--blocks-per-sm", "8", "--threads", "256"},
             {"--blocks-per-sm", "1", "--threads", "128"}},
    Scenario{"sm-saturated-batch",
             "sm-saturated through cudaMemcpyBatchAsync(PreferOverlapWithCompute): still held",
             {"--procs", "1", "--pattern", "0,1", "--warmup", "1", "--copy-path", "local",
              "--copy-api", "batch", "--blocks-per-sm", "8", "--threads", "256"},
             {"--blocks-per-sm", "1", "--threads", "128"}},
    Scenario{"sm-headroom",
             "control for sm-saturated: 1 block of 128 threads per SM, copy starts at once",
             {"--procs", "1", "--pattern", "0,1", "--warmup", "1", "--copy-path", "local",
              "--blocks-per-sm", "1", "--threads", "128"},
             {}},
    Scenario{"copy-engine",
             "control: pinned H2D copy (copy engine) behind SM-filling kernels, starts within ~50 us",
             {"--procs", "1", "--pattern", "0,1", "--warmup", "1", "--copy-path", "h2d",
              "--signal", "pinned", "--blocks-per-sm", "8", "--threads", "256"},
             {}},
    Scenario{"shared-queue",
             "CUDA_DEVICE_MAX_CONNECTIONS=1: kernels and D2D copies share one queue, copy waits for later kernels",
             {"--procs", "1", "--pattern", "0,1,2", "--warmup", "1", "--max-connections", "1",
              "--blocks-per-sm", "1", "--threads", "128"},
             {"--max-connections", "8"}},
    Scenario{"module-reload",
             "a PTX module loaded and unloaded beside Kernel2 every iteration: held every iteration",
             {"--procs", "1", "--pattern", "0,1,2", "--warmup", "1", "--module-loading", "reload",
              "--blocks-per-sm", "1", "--threads", "128"},
             {"--module-loading", "lazy"}},
    Scenario{"set-limit",
             "cudaDeviceSetLimit(stack size) beside Kernel2 every iteration: held every iteration",
             {"--procs", "1", "--pattern", "0,1,2", "--warmup", "1", "--sync-beside-k2", "set-limit",
              "--blocks-per-sm", "1", "--threads", "128"},
             {"--sync-beside-k2", "none"}},
    Scenario{"host-lock",
             "Kernel2 in its own module, loaded by the launching thread: proxy's API call blocked on the host",
             {"--procs", "1", "--pattern", "0,1,2", "--warmup", "0", "--module-loading", "separate",
              "--blocks-per-sm", "1", "--threads", "128"},
             {"--warmup", "1"}},
    Scenario{"pageable",
             "pageable-memory H2D copy and pageable signal: host-synchronous staging in the proxy's API call",
             {"--procs", "1", "--pattern", "0,1,2", "--warmup", "1", "--copy-path", "pageable-h2d",
              "--signal", "pageable", "--bytes", "16777216", "--blocks-per-sm", "1", "--threads", "128"},
             {"--copy-path", "h2d", "--signal", "pinned"}},
    Scenario{"pinned-signal",
             "control for pageable: pinned H2D copy and pinned signal",
             {"--procs", "1", "--pattern", "0,1,2", "--warmup", "1", "--copy-path", "h2d",
              "--signal", "pinned", "--bytes", "16777216", "--blocks-per-sm", "1", "--threads", "128"},
             {}},
    Scenario{"default-stream",
             "compute on the legacy default stream, copy stream non-blocking: no hold expected",
             {"--procs", "1", "--pattern", "0,1,2", "--warmup", "1", "--default-stream",
              "--blocks-per-sm", "1", "--threads", "128"},
             {}},
    Scenario{"default-stream-blocking",
             "compute on the legacy default stream, copy stream blocking: copy waits for the running kernel",
             {"--procs", "1", "--pattern", "0,1,2", "--warmup", "1", "--default-stream",
              "--blocking-copy-stream", "--blocks-per-sm", "1", "--threads", "128"},
             {"--blocking-copy-stream=false"}},
    Scenario{"time-slice",
             "two processes on one GPU (--gpus 0,0): contexts time-slice, kernels stretch",
             {"--procs", "2", "--gpus", "0,0", "--pattern", "0,1", "--warmup", "1", "--copy-path", "peer",
              "--blocks-per-sm", "1", "--threads", "128"},
             {"--procs", "1", "--gpus", "0"}},
    Scenario{"thread-per-iteration",
             "a new proxy thread every iteration: for measuring the profiler's own per-thread cost",
             {"--procs", "1", "--pattern", "0,1", "--warmup", "1", "--thread-per-iteration",
              "--blocks-per-sm", "1", "--threads", "128"},
             {}},
    Scenario{"control",
             "pattern 0,1 with SM headroom: no hold expected",
             {"--procs", "1", "--pattern", "0,1", "--warmup", "1", "--blocks-per-sm", "1", "--threads", "128"},
             {}},
};

}  // namespace

std::span<const Scenario> all_scenarios() { return kScenarios; }

const Scenario* find_scenario(std::string_view name) {
  for (const Scenario& scenario : kScenarios) {
    if (scenario.name == name) return &scenario;
  }
  return nullptr;
}

}  // namespace holdup::workload
