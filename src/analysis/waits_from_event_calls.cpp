#include "analysis/waits_from_event_calls.h"

#include <algorithm>
#include <map>
#include <unordered_map>
#include <unordered_set>
#include <vector>

#include "holdup/trace.pb.h"

namespace holdup::analysis {
namespace {

// Sync ids of EventRecords made here: above any CUPTI gives (small counters).
constexpr uint64_t kMadeSyncId = 1ull << 63;

// The event calls of one process to use, in time order: a driver call that
// shares a runtime call's correlation id is the runtime call's own (CUPTI
// gives the call the runtime makes inside it the same id) and is left out.
std::vector<uint32_t> outermost_calls(const Model& m, uint32_t process) {
  std::vector<uint32_t> calls;
  std::unordered_set<uint32_t> runtime_correlations;
  for (uint32_t i = 0; i < m.event_calls.size(); ++i) {
    const EventCall& c = m.event_calls[i];
    if (c.process != process) continue;
    calls.push_back(i);
    if (!c.driver && c.correlation_id != 0) runtime_correlations.insert(c.correlation_id);
  }
  std::erase_if(calls, [&](uint32_t i) {
    return m.event_calls[i].driver && runtime_correlations.count(m.event_calls[i].correlation_id) != 0;
  });
  std::stable_sort(calls.begin(), calls.end(),
                   [&](uint32_t a, uint32_t b) { return m.event_calls[a].time_ns < m.event_calls[b].time_ns; });
  return calls;
}

class WaitMaker {
 public:
  WaitMaker(Model& m, uint32_t process) : m_(m), process_(process) {
    for (uint32_t i = 0; i < m.events.size(); ++i)
      if (m.events[i].process == process && m.events[i].correlation_id != 0)
        event_by_correlation_.emplace(m.events[i].correlation_id, i);
  }

  void add(uint32_t call_index) {
    const EventCall& c = m_.event_calls[call_index];
    if (c.kind == EventCall::Kind::host_func) return;  // no event: split.cpp reads these
    if (c.kind == EventCall::Kind::record) {
      latest_record_[c.event_handle] = call_index;
      return;
    }
    Synchronization wait;
    // The call's span, as CUPTI's STREAM_WAIT_EVENT record has it: its API
    // record's when there is one, else the callback's instant.
    wait.start_ns = wait.end_ns = c.time_ns;
    if (const uint32_t api = m_.api_for_correlation(process_, c.correlation_id); api != kNone) {
      wait.start_ns = m_.api_calls[api].start_ns;
      wait.end_ns = m_.api_calls[api].end_ns;
    }
    wait.process = process_;
    wait.context_id = c.context_id;
    wait.stream_id = c.stream_id;
    wait.correlation_id = c.correlation_id;
    wait.type = static_cast<uint8_t>(proto::STREAM_WAIT_EVENT);
    if (auto it = latest_record_.find(c.event_handle); it != latest_record_.end()) wait.event_sync_id = sync_id_of(it->second);
    m_.synchronizations.push_back(wait);
  }

 private:
  // The sync id of the event a record call recorded: its CUDA_EVENT record's,
  // or that of an EventRecord made from the call.
  uint64_t sync_id_of(uint32_t record_call) {
    if (auto it = made_.find(record_call); it != made_.end()) return it->second;
    const EventCall& r = m_.event_calls[record_call];
    uint64_t id = 0;
    if (auto it = event_by_correlation_.find(r.correlation_id); it != event_by_correlation_.end()) {
      EventRecord& event = m_.events[it->second];
      event.recorded_ns = r.time_ns;
      id = event.sync_id;
    }
    if (id == 0) {
      EventRecord event;
      event.recorded_ns = r.time_ns;
      event.sync_id = id = kMadeSyncId | (m_.events.size() + 1);
      event.process = process_;
      event.context_id = r.context_id;
      event.stream_id = r.stream_id;
      event.correlation_id = r.correlation_id;
      m_.events.push_back(event);
    }
    made_.emplace(record_call, id);
    return id;
  }

  Model& m_;
  const uint32_t process_;
  std::unordered_multimap<uint32_t, uint32_t> event_by_correlation_;
  std::unordered_map<uint64_t, uint32_t> latest_record_;  // CUevent -> record call
  std::unordered_map<uint32_t, uint64_t> made_;           // record call -> sync id
};

}  // namespace

void add_waits_from_event_calls(Model& m) {
  if (m.event_calls.empty()) return;
  for (uint32_t p = 0; p < m.processes.size(); ++p) {
    if (!m.processes[p].waits_from_event_calls) continue;
    WaitMaker maker(m, p);
    for (uint32_t call : outermost_calls(m, p)) maker.add(call);
  }
}

}  // namespace holdup::analysis
