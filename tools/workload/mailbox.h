#pragma once
// The FIFO between Kernel0 and the proxy thread, in host-mapped pinned memory
// (cudaHostAlloc(cudaHostAllocMapped)), one slot per iteration, as MSCCL++'s
// port channel posts a request that a CPU proxy serves. Shared by host and
// device code.

#include <cstdint>

namespace holdup::workload {

struct alignas(64) MailboxSlot {
  // Kernel0 -> proxy: iteration + 1 once Kernel0 has started.
  unsigned long long request;
  // Proxy -> Kernel0: 1 just before the proxy calls the copy API.
  unsigned long long issue_begin;
  // Kernel0's %globaltimer (ns) when it posted the request.
  unsigned long long post_globaltimer_ns;
  // Kernel0's %globaltimer when it saw issue_begin; 0 if it ended first.
  unsigned long long saw_issue_globaltimer_ns;
};

}  // namespace holdup::workload
