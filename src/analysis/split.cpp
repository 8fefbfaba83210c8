// Splitting a copy's issue-to-start time into api, stream order,
// dependency and held (see analysis.h for the definitions).

#include <algorithm>
#include <iterator>
#include <tuple>

#include "causes.h"

namespace holdup::analysis {

namespace {

// Earlier ops on the stream are sequential: once one ended before the issue,
// those before it did too. The bound guards against odd traces.
constexpr int kMaxStreamLookback = 64;
constexpr int kMaxWaitLookback = 256;

TimeNs clip(TimeNs until, TimeNs from, TimeNs limit) {
  // How far `until` lies beyond `from`, at most up to `limit`.
  const TimeNs end = std::min(until, limit);
  return end > from ? end - from : 0;
}

// When the event waited for fired: its device timestamp, or else the end of
// the last op issued on its stream before the event record (the record's API
// call, or its EventCall when the API record is missing).
TimeNs event_ready(const Model& model, const EventRecord& event) {
  if (event.device_timestamp_ns != 0) return event.device_timestamp_ns;
  const uint32_t record_call = model.api_for_correlation(event.process, event.correlation_id);
  const TimeNs recorded_at = record_call != kNone ? model.api_calls[record_call].start_ns : event.recorded_ns;
  if (recorded_at == 0) return 0;
  auto it = model.ops_by_stream.find({event.process, event.context_id, event.stream_id});
  if (it == model.ops_by_stream.end()) return 0;
  // Ops of one stream are issued in the order they run: the ops issued
  // before the record form a prefix of the start-sorted list.
  const auto& list = it->second;
  auto end = std::partition_point(list.begin(), list.end(),
                                  [&](uint32_t i) { return model.ops[i].issue_ns < recorded_at; });
  TimeNs ready = 0;
  for (auto k = end; k != list.begin() && ready == 0;) {
    --k;
    if (model.ops[*k].has_issue()) ready = model.ops[*k].end_ns;
  }
  return ready;
}

}  // namespace

TimeNs normal_api_cost(const Model& model, const ApiCall& call, const AnalysisOptions& options) {
  const Process& process = model.processes[call.process];
  auto median = process.api_median_ns.find(call.name);
  if (median == process.api_median_ns.end()) return std::min(call.duration(), options.normal_cost_cap_ns);
  auto count = process.api_name_count.find(call.name);
  if (count == process.api_name_count.end() || count->second < options.min_calls_for_median) {
    return std::min(median->second, options.normal_cost_cap_ns);
  }
  return median->second;
}

namespace detail {

std::vector<uint32_t> burst_before(const Model& model, uint32_t copy_api, const AnalysisOptions& options) {
  std::vector<uint32_t> burst;
  const ApiCall& copy_call = model.api_calls[copy_api];
  const Process& process = model.processes[copy_call.process];
  auto thread = process.api_by_thread.find(copy_call.thread_id);
  if (thread == process.api_by_thread.end()) return burst;
  const auto& calls = thread->second;
  auto it = std::lower_bound(calls.begin(), calls.end(), copy_call.start_ns,
                             [&](uint32_t i, TimeNs t) { return model.api_calls[i].start_ns < t; });
  // Walking back in start order: a call that ends after the frontier
  // encloses the previous candidate (a runtime call around its driver call).
  TimeNs frontier = copy_call.start_ns;
  const TimeNs gap = process.queries_unrecorded ? options.burst_gap_lean_ns : options.burst_gap_ns;
  for (int steps = 0; it != calls.begin() && steps < 4 * static_cast<int>(options.max_burst_calls); ++steps) {
    --it;
    const ApiCall& c = model.api_calls[*it];
    if (c.end_ns > frontier) {
      if (c.start_ns <= frontier && !burst.empty() && c.end_ns >= model.api_calls[burst.back()].end_ns) {
        burst.back() = *it;  // the enclosing call replaces its nested one
        frontier = c.start_ns;
      }
      continue;
    }
    if (frontier - c.end_ns > gap) break;
    const std::string_view name = cuda_names::api_base_name(model.name(c.name));
    if (name.ends_with("Synchronize")) break;  // a wait by intent: the burst begins after it
    // The thread's previous copy closes the previous unit of intent (a
    // proxy serves one request after another).
    if (name.starts_with("cudaMemcpy") || name.starts_with("cuMemcpy") || name.starts_with("cudaMemset") ||
        name.starts_with("cuMemset")) {
      break;
    }
    if (burst.size() >= options.max_burst_calls) break;
    burst.push_back(*it);
    frontier = c.start_ns;
  }
  return burst;
}

}  // namespace detail

namespace {

// The last stream-wait-event call of the copy's process in [after, issue),
// when its trace has no wait records to say which stream waited (kNone else).
uint32_t unseen_wait_before(const Model& model, const GpuOp& op, TimeNs after) {
  const auto& waits = model.processes[op.process].unseen_waits;
  auto pos = std::lower_bound(waits.begin(), waits.end(), op.issue_ns,
                              [&](uint32_t a, TimeNs t0) { return model.api_calls[a].start_ns < t0; });
  if (pos == waits.begin() || model.api_calls[*std::prev(pos)].start_ns < after) return kNone;
  return *std::prev(pos);
}

// Where op `index` stands in its stream's list, sorted by (start, end,
// index) as ModelBuilder::finish sorts it.
std::vector<uint32_t>::const_iterator stream_position(const Model& model, const std::vector<uint32_t>& list,
                                                      uint32_t index) {
  return std::lower_bound(list.begin(), list.end(), index, [&](uint32_t a, uint32_t b) {
    return std::tie(model.ops[a].start_ns, model.ops[a].end_ns, a) <
           std::tie(model.ops[b].start_ns, model.ops[b].end_ns, b);
  });
}

// The latest issue, before `issue`, of the ops that started before the
// copy (`self`) on its stream (0 if none within the look-back).
TimeNs last_issue_before(const Model& model, const QueueKey& stream, uint32_t self, TimeNs issue) {
  auto it = model.ops_by_stream.find(stream);
  if (it == model.ops_by_stream.end()) return 0;
  const auto& list = it->second;
  auto pos = stream_position(model, list, self);
  TimeNs latest = 0;
  for (int steps = 0; pos != list.begin() && steps < kMaxStreamLookback; ++steps) {
    --pos;
    const GpuOp& op = model.ops[*pos];
    if (op.has_issue() && op.issue_ns < issue) latest = std::max(latest, op.issue_ns);
  }
  return latest;
}

// The latest host function enqueued on `stream` in (after, issue), or kNone.
uint32_t host_func_before(const Model& model, const QueueKey& stream, TimeNs issue, TimeNs after) {
  auto it = model.host_funcs_by_stream.find(stream);
  if (it == model.host_funcs_by_stream.end()) return kNone;
  const auto& calls = it->second;
  auto pos = std::lower_bound(calls.begin(), calls.end(), issue,
                              [&](uint32_t c, TimeNs t0) { return model.event_calls[c].time_ns < t0; });
  if (pos == calls.begin()) return kNone;
  --pos;
  return model.event_calls[*pos].time_ns > after ? *pos : kNone;
}

}  // namespace

Split split_copy(const Model& model, uint32_t index, const AnalysisOptions& options) {
  return detail::split_copy_cached(model, index, options, nullptr);
}

namespace detail {

Split split_copy_cached(const Model& model, uint32_t index, const AnalysisOptions& options, BarrierKinds* cache) {
  const GpuOp& op = model.ops[index];
  Split s;
  if (!op.has_issue()) return s;
  const ApiCall& call = model.api_calls[op.api];
  const TimeNs issue = op.issue_ns;
  const TimeNs start = std::max(op.start_ns, issue);
  s.issue_to_start = start - issue;
  // Host-staged copies (synchronous, pageable) spend their call staging
  // data: the call up to the GPU start is their cost.
  s.normal_api_ns = op.host_staged() ? call.duration() : normal_api_cost(model, call, options);
  // A call that waited for another thread's lock is not its normal cost,
  // however many of its kind waited too.
  if (!op.host_staged() && call.duration() > options.host_lock_min_ns) {
    const TimeNs wait = lock_wait_ns(model, op.api, find_lock_holder(model, op.api, cache), s.normal_api_ns, options);
    if (wait > 0) s.normal_api_ns = std::min(s.normal_api_ns, call.duration() - wait);
  }
  s.api = std::min({call.duration(), s.normal_api_ns, s.issue_to_start});
  TimeNs t = issue + s.api;

  // Behind earlier work of its own stream.
  const QueueKey stream_key{op.process, op.context_id, op.stream_id};
  TimeNs previous_end = 0;
  TimeNs previous_issue = 0;  // of the op just before it in stream order
  if (auto it = model.ops_by_stream.find(stream_key); it != model.ops_by_stream.end()) {
    const auto& list = it->second;
    auto pos = stream_position(model, list, index);
    if (pos != list.begin() && model.ops[*std::prev(pos)].has_issue()) {
      previous_issue = model.ops[*std::prev(pos)].issue_ns;
    }
    for (int steps = 0; pos != list.begin() && steps < kMaxStreamLookback; ++steps) {
      --pos;
      const GpuOp& prev = model.ops[*pos];
      if (prev.end_ns > previous_end) {
        previous_end = prev.end_ns;
        s.stream_predecessor = *pos;
      }
      if (prev.end_ns <= issue) break;
    }
  }
  if (previous_end <= issue) s.stream_predecessor = kNone;
  s.stream_order = clip(previous_end, t, start);
  // A host function enqueued before it on its stream: the copy could not
  // start before it had run, and its end is not recorded.
  s.host_func = host_func_before(model, stream_key, issue, last_issue_before(model, stream_key, index, issue));
  if (s.host_func != kNone) s.stream_order = start - t;
  t += s.stream_order;

  // Waiting for a declared dependency: stream-wait-events on its stream
  // issued before it (and after the work it follows in stream order, whose
  // waits were already satisfied).
  const TimeNs waits_after = s.stream_predecessor != kNone && model.ops[s.stream_predecessor].has_issue()
                                 ? model.ops[s.stream_predecessor].issue_ns
                                 : 0;
  if (auto it = model.waits_by_stream.find(stream_key); it != model.waits_by_stream.end()) {
    const auto& waits = it->second;
    auto pos = std::lower_bound(waits.begin(), waits.end(), issue, [&](uint32_t w, TimeNs t0) {
      return model.synchronizations[w].start_ns < t0;
    });
    const auto& events = model.processes[op.process].event_by_sync_id;
    for (int steps = 0; pos != waits.begin() && steps < kMaxWaitLookback; ++steps) {
      --pos;
      const Synchronization& wait = model.synchronizations[*pos];
      if (wait.start_ns < waits_after) break;
      auto event = events.find(wait.event_sync_id);
      if (event == events.end()) continue;
      const TimeNs ready = event_ready(model, model.events[event->second]);
      if (ready > s.dependency_ready_ns) {
        s.dependency_ready_ns = ready;
        s.dependency_wait = *pos;
      }
    }
  }
  s.dependency = clip(s.dependency_ready_ns, t, start);
  t += s.dependency;
  // An unseen wait issued before the previous op of the stream held that op
  // (if it was this stream's), which started before this copy could.
  s.unseen_wait = unseen_wait_before(model, op, previous_issue);

  s.held_begin_ns = t;
  s.held = start - t;
  s.held_host = clip(op.api_end_ns, t, start);

  // Earlier calls of the thread's burst that waited for another thread's
  // context lock: the thread had set out to issue the copy.
  s.intent_ns = issue;
  if (!op.host_staged()) {
    TimeNs stalled = 0;
    const auto burst = burst_before(model, op.api, options);
    for (uint32_t b : burst) {
      stalled += burst_stall(model, b, options, cache).wait;
    }
    if (stalled > 0) {
      s.burst_first_api = burst.back();
      s.intent_ns = model.api_calls[burst.back()].start_ns;
      s.held_in_burst = std::min(stalled, issue - s.intent_ns);
      s.burst = issue - s.intent_ns - s.held_in_burst;
      s.held += s.held_in_burst;
      s.held_host += s.held_in_burst;
      s.issue_to_start += issue - s.intent_ns;
    }
  }
  return s;
}

}  // namespace detail

}  // namespace holdup::analysis
