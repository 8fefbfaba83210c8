#pragma once
// Why did this copy start when it did?
//
// For every copy (memcpy, peer copy, memset) the time from issue (entry of
// the outermost API call with its correlation id; for a graph-launched copy,
// the graph launch) to its GPU start is split, in this order, into
//   api          inside the API call, up to that API name's normal cost
//                (its median duration in the process); for a synchronous
//                or pageable copy the whole call (host staging is its cost);
//   stream_order behind earlier work of its own stream;
//   dependency   waiting for a declared dependency (stream-wait-event);
//   held         the rest: behind work it does not depend on. `held_host`
//                is the part of it spent inside the API call beyond the
//                normal cost (a host-side hold).
// Each part starts where the previous one ended, clipped so that they sum
// to start - issue. Stream order behind a copy of the same stream that was
// itself flagged and had not started yet is held time passed on
// (`inherited`), with that copy's cause. A copy whose held time passes the
// threshold is flagged (a synchronous or pageable copy only when a cause is
// claimed), and the causes (causes.h) that have two agreeing signals are
// named.

#include <cstdint>
#include <functional>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "holdup/analysis_model.h"
#include "holdup/record_kind.h"

namespace holdup::analysis {

struct AnalysisOptions {
  // Flag a copy when held > threshold. Derived from the H100 control
  // fixtures (tests/data/h100, MANIFEST.json control=true: every copy issued
  // after the warm-up, 2026-11-25): p99 of held = kControlHeldP99Ns; the
  // margin (about the p99 again, rounded up to 100 us) keeps the scatter of
  // a recorder's host cost unflagged. Fixtures.ThresholdAboveControlCopies
  // re-derives the p99 from the fixtures.
  static constexpr TimeNs kControlHeldP99Ns = 45'300;
  // The timing windows below, from the fixtures' distributions (all sets,
  // 2026-12-01; Fixtures.TimingThresholdsAboveMeasuredDistributions prints
  // them): a held copy that started with nothing running went p99 14.2 us
  // (max 14.2) after the last op ended; the gap before a data copy's call
  // on its thread was p99 4.2 us (max 20.5).
  static constexpr TimeNs kReleaseToStartP99Ns = 14'200;
  static constexpr TimeNs kBurstGapP99Ns = 4'200;
  // The same gap in traces whose query calls (cudaGetDevice, ...) were not
  // recorded (issue 12's lean default, RecorderConfig.not_recorded "api:"):
  // the unrecorded calls no longer split the host code between the
  // recorded ones (a Python thread's dispatch, a wait for the GIL). On the
  // H200 fixtures recorded that way (2026-12-02): p99 79.2 us, max 128.1 us.
  static constexpr TimeNs kBurstGapLeanP99Ns = 79'200;
  static constexpr TimeNs kDefaultThresholdNs = 100'000;
  TimeNs threshold_ns = kDefaultThresholdNs;
  // A copy "started right after" a blocker ended: within this much.
  TimeNs adjacency_ns = 50'000;
  // SM-waiting: the copy started within this much before the filling
  // kernel's end (its blocks drain before the recorded end) ...
  TimeNs drain_before_ns = 100'000;
  // ... or this much after it.
  TimeNs drain_after_ns = 30'000;
  // Device-wide barrier: the copy started within this much of the drain.
  TimeNs barrier_ns = 30'000;
  // Host-side lock: the call lasted > factor x normal and > min.
  uint32_t host_lock_factor = 10;
  TimeNs host_lock_min_ns = 100'000;
  // The issuing thread's burst: calls back to back, at most this far apart
  // (a thread that set out to issue the copy; see src/report/README.md).
  TimeNs burst_gap_ns = 100'000;
  // ... and in a process whose query calls were not recorded
  // (Process::queries_unrecorded): about twice the largest gap measured.
  TimeNs burst_gap_lean_ns = 250'000;
  uint32_t max_burst_calls = 32;
  // With fewer calls of a name than this, its median is not trusted as the
  // normal cost: the normal cost is capped at normal_cost_cap_ns.
  uint32_t min_calls_for_median = 3;
  TimeNs normal_cost_cap_ns = 50'000;
  // Keep every flagged copy's findings (evidence text and records) in
  // Analysis::details. A report shows only the worst few: with false,
  // details stay empty (CopyVerdict::detail == kNone) and detail_of()
  // builds them for the copies shown, so memory does not grow with the
  // number of flagged copies. Verdicts (flagged, cause, split) are the same.
  bool keep_details = true;
  // Called now and then while copies are judged (copies judged, copies in
  // all); for a progress line on long runs. Never called with a lock held.
  std::function<void(uint64_t done, uint64_t total)> on_progress;
};

struct Split {
  // From the start of the issuing thread's burst of CUDA calls that ends in
  // the copy's call (intent_ns; == issue when the burst had no stall) to
  // the GPU start. The parts below sum to it.
  TimeNs issue_to_start = 0;
  TimeNs intent_ns = 0;
  // Earlier calls of the burst, up to their normal cost (not held).
  TimeNs burst = 0;
  // Part of `held` (and of `held_host`) spent in earlier calls of the burst
  // beyond their normal cost while another thread held the context: the
  // thread had set out to issue the copy.
  TimeNs held_in_burst = 0;
  uint32_t burst_first_api = kNone;  // first call of the burst (index into Model::api_calls)
  TimeNs api = 0;
  TimeNs stream_order = 0;
  TimeNs dependency = 0;
  TimeNs held = 0;
  TimeNs held_host = 0;  // part of `held`
  // Part of `held` spent in stream order behind a copy of its own stream
  // that was itself held (flagged) at the time: the hold is passed on.
  TimeNs inherited = 0;
  uint32_t inherited_from = kNone;  // that copy (op index)
  // Where `held` begins (issue + api + stream_order + dependency).
  TimeNs held_begin_ns = 0;
  // The normal cost the api part was capped at.
  TimeNs normal_api_ns = 0;
  // The op on its own stream / the wait it waited for (kNone if none).
  uint32_t stream_predecessor = kNone;
  uint32_t dependency_wait = kNone;  // index into Model::synchronizations
  TimeNs dependency_ready_ns = 0;
  // In a trace without wait records (Process::waits_unrecorded): the last
  // stream-wait-event call (index into Model::api_calls) of the process
  // issued before the copy and after the op before it on its stream.
  // The copy may have waited for that event, which the split cannot see:
  // such a copy's cause is unknown (unknown_reason).
  uint32_t unseen_wait = kNone;
  // A host function enqueued on the copy's stream between the work before
  // it and the copy (index into Model::event_calls): the copy waited in
  // stream order until the host function had run, which CUPTI does not
  // record, so the time after the work before it up to the copy's start is
  // stream order, not held (a hold after the host function ended, if any,
  // cannot be told from it).
  uint32_t host_func = kNone;
};

// Splits start - issue of `op` (a copy with an API record).
Split split_copy(const Model& model, uint32_t op, const AnalysisOptions& options);
// The normal cost of an API call's name in its process.
TimeNs normal_api_cost(const Model& model, const ApiCall& call, const AnalysisOptions& options);

enum class Cause : uint8_t {
  none,  // not flagged
  profiler_overhead,
  host_lock,
  device_barrier,
  shared_hardware_queue,
  legacy_default_stream,
  sm_waiting,
  copy_channel_shared,
  other_process,
  unknown,
};
inline constexpr int kCauseCount = static_cast<int>(Cause::unknown) + 1;

// Stable ids used in text, JSON and the fixture manifest:
// "none", "profiler-overhead", "host-side-lock", "device-wide-barrier",
// "shared-hardware-queue", "legacy-default-stream", "sm-waiting",
// "copy-channel-shared", "other-process", "unknown".
std::string_view cause_id(Cause cause);
std::string_view cause_title(Cause cause);
bool parse_cause(std::string_view id, Cause* cause);

// A record the verdict refers to, with what a user needs to find it.
struct RecordRef {
  RecordKind kind = RecordKind::kernel;  // kernel, memcpy, memset, api, overhead, launch, module, sync or event
  std::string name;  // kernel / API / overhead name, or copy description
  uint32_t pid = 0;
  uint32_t thread_id = 0;     // API, overhead, launch, module
  uint32_t context_id = 0;
  uint32_t stream_id = 0;
  uint32_t channel_id = 0;
  std::string channel_type;   // "COMPUTE", "ASYNC_MEMCPY", ...
  std::string gpu;            // uuid or label
  uint32_t correlation_id = 0;
  TimeNs start_ns = 0;
  TimeNs end_ns = 0;
};

struct Blocker {
  RecordRef record;
  // How long the copy was held behind it (overlap with the held window).
  TimeNs held_behind_ns = 0;
};

// One observation, with the records that show it. `code` is a stable,
// machine-readable id of what was observed (e.g. "sm.device-full",
// "barrier.lazy-function-load"); `text` renders it for people. The codes
// are listed in src/report/JSON.md.
struct Signal {
  std::string code;
  std::string text;
  std::vector<RecordRef> records;
};

struct Finding {
  Cause cause = Cause::unknown;
  // A cause is claimed only with two agreeing signals; a finding with one
  // is kept (claimed = false) to show what was nearly there.
  bool claimed = false;
  TimeNs explains_ns = 0;  // how much of the held time it accounts for
  // When the mechanism let the copy go (a drain, a kernel's end or tail,
  // a lock's release): of two claimed causes, the copy's start follows the
  // later one, which is ranked first.
  TimeNs released_ns = 0;
  std::vector<Blocker> blockers;
  std::vector<Signal> signals;
  std::vector<std::string> corroboration;
  std::string remedy;
};

// Details kept only for flagged copies.
struct FlaggedDetail {
  std::vector<Finding> findings;  // claimed first, the primary one first
};

// What the analysis made of a copy: one state.
enum class CopyState : uint8_t {
  no_issue,     // no API record joins it: not split
  contradicts,  // its record contradicts its own stream (Model::contradictions): not split, not judged
  prompt,       // split; not held past the threshold (or its time is its own host staging)
  // Late by more than the threshold with no recorded work on its GPU ahead
  // of it and no cause claimed (first use of a mapping, cold start): not
  // held behind anything, so never flagged; reported apart.
  cold,
  flagged,  // held past the threshold
};

struct CopyVerdict {
  uint32_t op = kNone;
  CopyState state = CopyState::no_issue;
  bool has_issue() const { return state != CopyState::no_issue; }
  bool contradicts() const { return state == CopyState::contradicts; }
  bool flagged() const { return state == CopyState::flagged; }
  bool cold() const { return state == CopyState::cold; }
  // Flagged copies: index into Analysis::pattern_keys (kNone otherwise).
  uint32_t pattern = kNone;
  Cause cause = Cause::none;
  Split split;
  uint32_t detail = kNone;  // index into Analysis::details when flagged
};

// What repeats in a real loop: flagged copies issued by the same thread on
// the same stream, held for the same cause behind the same blocker (its
// kind and name: a kernel's or an API call's name, not one instance).
struct PatternKey {
  uint32_t process = kNone;
  uint32_t thread_id = 0;
  uint32_t stream_id = 0;
  Cause cause = Cause::unknown;
  std::optional<RecordKind> blocker_kind;  // RecordRef::kind of the primary finding's first blocker, if any
  std::string blocker_name;
  auto operator<=>(const PatternKey&) const = default;
};

struct Pattern {
  PatternKey key;
  uint64_t copies = 0;
  TimeNs held_ns = 0;      // total
  TimeNs max_held_ns = 0;
  std::vector<uint32_t> worst;  // indexes into Analysis::copies, most held first
};

struct Analysis {
  const Model* model = nullptr;
  AnalysisOptions options;
  std::vector<CopyVerdict> copies;  // in Model::ops order
  std::vector<FlaggedDetail> details;
  std::vector<PatternKey> pattern_keys;  // CopyVerdict::pattern
};

// The patterns of the flagged copies among `selection` (indexes into
// a.copies), most held first, each with its `worst` most-held copies.
std::vector<Pattern> find_patterns(const Analysis& a, const std::vector<uint32_t>& selection, size_t worst = 3);

// Analyses every copy in the model.
Analysis analyze(const Model& model, const AnalysisOptions& options = {});

// The findings of a.copies[copy] (empty for a copy not flagged): the kept
// ones, or, without keep_details, the same findings built now.
FlaggedDetail detail_of(const Analysis& a, uint32_t copy);
// Why a flagged copy's cause is unknown, one sentence (empty when it is
// known): no cause has two agreeing signals, or a stream-wait-event the
// trace cannot see came before it (Split::unseen_wait, its own or that of
// the copy whose hold it inherited).
std::string unknown_reason(const Analysis& a, uint32_t copy);

// Names that stay the same across two recordings of one program (pids and
// thread ids do not), for comparing them (`holdup diff`). A process: its
// executable (for a Python interpreter, with its script or module),
// numbered "#k" in pid order when several traced processes run it. A
// thread: its recorded name, else "thread#k" by the order of the threads'
// first CUDA calls in the process (numbered likewise when names repeat).
std::string process_label(const Model& model, uint32_t process);
std::string thread_label(const Model& model, uint32_t process, uint32_t thread_id);

// A description of a record for verdicts.
RecordRef ref_op(const Model& model, uint32_t op);
RecordRef ref_api(const Model& model, uint32_t api);
RecordRef ref_overhead(const Model& model, uint32_t overhead);

// Overlap of [a0, a1) and [b0, b1).
inline TimeNs overlap(TimeNs a0, TimeNs a1, TimeNs b0, TimeNs b1) {
  const TimeNs lo = a0 > b0 ? a0 : b0;
  const TimeNs hi = a1 < b1 ? a1 : b1;
  return hi > lo ? hi - lo : 0;
}

}  // namespace holdup::analysis
