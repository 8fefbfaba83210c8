// The profiler's own cost: CUPTI requesting/zeroing an activity buffer,
// flushing, instrumenting on the app's thread inside the issuing call. The
// hold is ours, and the report says so.

#include <algorithm>
#include <fmt/format.h>

#include "causes.h"
#include "holdup/format.h"
#include "holdup/trace.pb.h"

namespace holdup::analysis::detail {

namespace {
bool is_profiler_overhead(uint32_t kind) {
  return kind == proto::ACTIVITY_BUFFER_REQUEST || kind == proto::CUPTI_BUFFER_FLUSH ||
         kind == proto::CUPTI_INSTRUMENTATION || kind == proto::CUPTI_RESOURCE;
}
constexpr TimeNs kLookbackNs = 1'000'000'000;  // overheads starting up to 1 s before the call
}  // namespace

std::optional<Finding> find_profiler_overhead(const CauseInput& in) {
  const Model& model = in.model;
  const ApiCall& call = model.api_calls[in.copy.api];
  const auto& list = model.overheads_by_process[in.copy.process];
  const TimeNs from = call.start_ns > kLookbackNs ? call.start_ns - kLookbackNs : 0;
  auto it = std::lower_bound(list.begin(), list.end(), from,
                             [&](uint32_t i, TimeNs t) { return model.overheads[i].start_ns < t; });
  // The host-held part of the hold: inside the call, beyond its normal cost.
  const TimeNs host_begin = in.held_begin();
  const TimeNs host_end = std::min(call.end_ns, in.held_end());
  std::vector<uint32_t> inside;
  TimeNs covered = 0;
  for (; it != list.end() && model.overheads[*it].start_ns < call.end_ns; ++it) {
    const OverheadRecord& o = model.overheads[*it];
    if (!is_profiler_overhead(o.kind)) continue;
    const bool ours = o.correlation_id == call.correlation_id && call.correlation_id != 0;
    const bool same_thread = o.thread_id == call.thread_id && o.thread_id != 0;
    if (!ours && !same_thread) continue;
    if (overlap(o.start_ns, o.end_ns, call.start_ns, call.end_ns) == 0) continue;
    inside.push_back(*it);
    covered += overlap(o.start_ns, o.end_ns, host_begin, host_end);
  }
  if (inside.empty()) return std::nullopt;

  Finding f;
  f.cause = Cause::profiler_overhead;
  Signal s1;
  s1.code = "profiler.overhead-record";
  s1.text = fmt::format("{} profiler overhead record(s) on the issuing thread {} inside the copy's {} (first: {})",
                        inside.size(), call.thread_id, model.name(call.name),
                        ref_overhead(model, inside.front()).name);
  for (uint32_t o : inside) s1.records.push_back(ref_overhead(model, o));
  f.signals.push_back(std::move(s1));
  const TimeNs held_host = in.split.held_host - in.split.held_in_burst;
  if (held_host > 0 && covered * 2 >= held_host) {
    Signal s2;
    s2.code = "profiler.call-time";
    s2.text = fmt::format("the call lasted {} beyond its normal cost ({}), {} of it inside those records",
                          format_duration(held_host), format_duration(in.split.normal_api_ns), format_duration(covered));
    s2.records.push_back(ref_api(model, in.copy.api));
    f.signals.push_back(std::move(s2));
    f.claimed = true;
    f.released_ns = call.end_ns;
  } else {
    f.corroboration.push_back("but the overhead does not account for the call's time beyond its normal cost");
  }
  f.explains_ns = covered;
  for (uint32_t o : inside) {
    Blocker b;
    b.record = ref_overhead(model, o);
    b.held_behind_ns = overlap(model.overheads[o].start_ns, model.overheads[o].end_ns, host_begin, host_end);
    f.blockers.push_back(std::move(b));
  }
  f.remedy = "this hold is holdup's own (CUPTI working on the app's thread), not the application's: record with "
             "per-thread activity buffers off or with pre-zeroed buffers (see the recorder settings), and discount it";
  return f;
}

}  // namespace holdup::analysis::detail
