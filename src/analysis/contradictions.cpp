// Records that contradict their own stream (contradictions.h).

#include "contradictions.h"

#include <algorithm>
#include <map>
#include <queue>
#include <tuple>
#include <vector>

#include <fmt/format.h>

#include "holdup/format.h"

namespace holdup::analysis::detail {

namespace {

// The op with the latest end among those seen so far.
struct LatestEnd {
  uint32_t op = kNone;
  TimeNs end_ns = 0;
  void offer(const Model& m, uint32_t i) {
    if (op == kNone || m.ops[i].end_ns > end_ns) {
      op = i;
      end_ns = m.ops[i].end_ns;
    }
  }
};

void flag(Model& m, uint32_t op, uint32_t witness, TimeNs overlap, Contradiction::Kind kind) {
  GpuOp& o = m.ops[op];
  if (o.contradicts()) return;
  o.flags |= GpuOp::kContradicts;
  m.contradictions.push_back({op, witness, overlap, kind});
}

// One stream's ops with a known issuing call, in issue order: an op must
// not start before an earlier-issued copy or memset of its stream ends, nor
// a copy or memset before an earlier-issued kernel ends. "Earlier" only
// where the earlier call returned before the later one was entered (calls
// of two threads that overlap may enqueue in either order); ops of one
// call (a graph launch) are never compared with each other.
void check_stream(Model& m, std::vector<uint32_t>& ops) {
  std::sort(ops.begin(), ops.end(), [&](uint32_t a, uint32_t b) {
    return std::tie(m.ops[a].issue_ns, m.ops[a].api, a) < std::tie(m.ops[b].issue_ns, m.ops[b].api, b);
  });
  // Ops whose call has not returned by the current op's issue, by return.
  const auto returns_later = [&](uint32_t a, uint32_t b) { return m.ops[a].api_end_ns > m.ops[b].api_end_ns; };
  std::priority_queue<uint32_t, std::vector<uint32_t>, decltype(returns_later)> pending(returns_later);
  LatestEnd copies, kernels;  // ops whose calls returned before the current op's call
  for (const uint32_t later : ops) {
    const GpuOp& b = m.ops[later];
    // Strictly before: ops of the same call (entered at b.issue_ns) stay apart.
    while (!pending.empty() && m.ops[pending.top()].api_end_ns < b.issue_ns) {
      const uint32_t earlier = pending.top();
      pending.pop();
      (m.ops[earlier].is_copy() ? copies : kernels).offer(m, earlier);
    }
    if (copies.op != kNone && copies.end_ns > b.start_ns + kStreamOrderSlackNs)
      flag(m, copies.op, later, copies.end_ns - b.start_ns, Contradiction::Kind::overlaps_later_work);
    if (b.is_copy() && kernels.op != kNone && kernels.end_ns > b.start_ns + kStreamOrderSlackNs)
      flag(m, kernels.op, later, kernels.end_ns - b.start_ns, Contradiction::Kind::overlaps_later_work);
    pending.push(later);
  }
}

std::string problem_line(const Model& m, const Process& p, uint32_t process) {
  const Contradiction* first = nullptr;
  for (const auto& c : m.contradictions)
    if (m.ops[c.op].process == process && (!first || m.ops[c.op].start_ns < m.ops[first->op].start_ns)) first = &c;
  std::string line = fmt::format(
      "{} GPU record{} contradict{} {} own stream (left out of the analysis, never used as an explanation)",
      p.contradicting_ops, p.contradicting_ops == 1 ? "" : "s", p.contradicting_ops == 1 ? "s" : "",
      p.contradicting_ops == 1 ? "its" : "their");
  if (first == nullptr) return line;
  const GpuOp& op = m.ops[first->op];
  if (first->kind == Contradiction::Kind::end_before_start) {
    return line + fmt::format("; first: {} (correlation id {}) ends {} before it starts", m.describe(op),
                              op.correlation_id, format_duration(first->overlap_ns));
  }
  const GpuOp& w = m.ops[first->witness];
  return line + fmt::format("; first: {} (correlation id {}, stream {}) ends {} after {} (correlation id {}), issued "
                            "after it on the same stream, started",
                            m.describe(op), op.correlation_id, op.stream_id, format_duration(first->overlap_ns),
                            m.describe(w), w.correlation_id);
}

}  // namespace

void find_contradictions(Model& m) {
  std::map<QueueKey, std::vector<uint32_t>> by_stream;
  for (uint32_t i = 0; i < m.ops.size(); ++i) {
    GpuOp& op = m.ops[i];
    if (op.end_ns < op.start_ns) {
      flag(m, i, kNone, op.start_ns - op.end_ns, Contradiction::Kind::end_before_start);
      continue;
    }
    // Order is known only between ops whose issuing calls were recorded.
    if (op.has_issue()) by_stream[{op.process, op.context_id, op.stream_id}].push_back(i);
  }
  for (auto& [key, ops] : by_stream) check_stream(m, ops);
  std::sort(m.contradictions.begin(), m.contradictions.end(),
            [](const Contradiction& a, const Contradiction& b) { return a.op < b.op; });
  for (const auto& c : m.contradictions) ++m.processes[m.ops[c.op].process].contradicting_ops;
  for (uint32_t p = 0; p < m.processes.size(); ++p) {
    Process& process = m.processes[p];
    if (process.contradicting_ops > 0) process.problems.push_back(problem_line(m, process, p));
  }
}

}  // namespace holdup::analysis::detail
