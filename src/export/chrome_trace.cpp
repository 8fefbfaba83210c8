// Chrome trace JSON in Kineto's conventions (libkineto's output_json.cpp and
// CuptiActivity.cpp; HTA's default_event_args.py names the same args), so
// that Perfetto UI, chrome://tracing, TensorBoard and HTA read holdup traces
// as they read torch.profiler's; plus holdup's own layer (held intervals and
// flows from blockers to held copies). src/export/FORMATS.md lists it all.
//
// One trace holds millions of events: they are appended to a buffer with
// std::to_chars and written out in large blocks. Every string goes through
// nlohmann-json's escaping (each interned name once); the few structured
// values (header, holdup's args) are nlohmann-json objects.

#include <cerrno>
#include <cstring>
#include <algorithm>
#include <charconv>
#include <cstdlib>
#include <limits>
#include <map>
#include <ostream>
#include <set>
#include <unordered_map>
#include <unordered_set>

#include <fmt/format.h>
#include <nlohmann/json.hpp>

#include "common.h"
#include "analysis/recorder_records.h"
#include "holdup/version.h"
#include "holdup/trace.pb.h"

namespace holdup::exporting {

using analysis::GpuOp;
using analysis::kNone;
using analysis::OpKind;
using analysis::TimeNs;
using nlohmann::json;

namespace {

// holdup's own tracks beside a GPU's streams: the held intervals of a
// stream's copies, and records of other processes (or kinds not exported)
// that verdicts name, shown so that each flow has both ends.
constexpr int64_t kHeldTrack = 0x40000000;
constexpr int64_t kReferenceTrack = 0x50000000;
// holdup's flow ids start above every correlation id (ac2g's ids).
constexpr uint64_t kHoldupFlowBase = 1ull << 32;

std::string dump(const json& j, int indent = -1) {
  return j.dump(indent, ' ', false, json::error_handler_t::replace);
}

std::string json_string(std::string_view s) { return dump(json(std::string(s))); }

// Kineto's sanitizeTid: an int32 made positive.
int64_t tid_of(uint32_t id) {
  const auto v = static_cast<int32_t>(id);
  return v == std::numeric_limits<int32_t>::min() ? 0 : std::abs(static_cast<int64_t>(v));
}

// The traceEvents array, appended to a buffer and flushed in blocks.
class Events {
 public:
  Events(std::ostream& out, TimeNs base) : out_(out), base_(base) { buf_.reserve(kFlushAt + 4096); }

  // Starts the next element.
  void next() {
    if (buf_.size() >= kFlushAt) flush();
    if (!first_) buf_ += ",\n";
    first_ = false;
  }
  Events& s(std::string_view text) {
    buf_.append(text);
    return *this;
  }
  Events& n(uint64_t v) {
    char tmp[24];
    buf_.append(tmp, std::to_chars(tmp, tmp + sizeof tmp, v).ptr);
    return *this;
  }
  Events& i(int64_t v) {
    char tmp[24];
    buf_.append(tmp, std::to_chars(tmp, tmp + sizeof tmp, v).ptr);
    return *this;
  }
  Events& d(double v) {
    char tmp[40];
    buf_.append(tmp, std::to_chars(tmp, tmp + sizeof tmp, v).ptr);
    return *this;
  }
  // Microseconds to the nanosecond: "12.345".
  Events& us(TimeNs ns) {
    n(ns / 1000);
    const unsigned frac = static_cast<unsigned>(ns % 1000);
    const char digits[4] = {'.', static_cast<char>('0' + frac / 100), static_cast<char>('0' + frac / 10 % 10),
                            static_cast<char>('0' + frac % 10)};
    buf_.append(digits, 4);
    return *this;
  }
  Events& ts(TimeNs t) { return us(t > base_ ? t - base_ : 0); }
  Events& dur(TimeNs start, TimeNs end) { return us(end > start ? end - start : 0); }
  void flush() {
    out_.write(buf_.data(), static_cast<std::streamsize>(buf_.size()));
    buf_.clear();
  }

 private:
  static constexpr size_t kFlushAt = 1 << 20;
  std::ostream& out_;
  TimeNs base_;
  std::string buf_;
  bool first_ = true;
};

class ChromeTrace final : public detail::ProcessWriter {
 public:
  ChromeTrace(const Input& input, uint32_t process, const RankInfo& rank, const detail::Window& window,
              std::ostream& out)
      : in_(input),
        model_(*input.analysis->model),
        p_(process),
        process_(model_.processes[process]),
        extras_(input.extras && process < input.extras->processes.size() ? &input.extras->processes[process]
                                                                          : nullptr),
        rank_(rank),
        window_(window),
        out_(out),
        base_(model_.origin_ns / 1000 * 1000),
        names_(model_),
        e_(out, base_),
        records_(model_),
        api_flowed_(model_.api_calls.size(), false) {}

  void records() override {
    header();
    out_ << "  \"traceEvents\": [\n";
    api_calls();
    gpu_ops();
    syncs();
    nvtx();
    overheads();
    health_marker();
  }

  void verdicts() override {
    holdup_layer();
    metadata();
    e_.flush();
    const auto& a = *in_.analysis;
    json verdicts = {{"schema", "holdup-chrome/1"},
                     {"threshold_ns", a.options.threshold_ns},
                     {"copies", copies_.size()},
                     {"flagged", flagged_},
                     {"cold", cold_}};
    out_ << "\n  ],\n  \"holdupVerdicts\": " << dump(verdicts) << ",\n  \"traceName\": "
         << json_string(process_.trace_path) << "\n}\n";
  }

  bool close(std::string* error) override {
    out_.flush();
    if (!out_) {
      *error = std::string("write failed (") + std::strerror(errno != 0 ? errno : EIO) + ") exporting " +
               process_.trace_path;
      return false;
    }
    return true;
  }

 private:
  const std::string& name(uint32_t index) {
    auto [it, added] = quoted_.try_emplace(index);
    if (added) it->second = json_string(index == kNone ? std::string_view("<unnamed>") : model_.name(index));
    return it->second;
  }
  const std::string& kernel_name(uint32_t index) {
    auto [it, added] = quoted_kernels_.try_emplace(index);
    if (added) it->second = json_string(index == kNone ? std::string("<unnamed>") : names_.demangled(index));
    return it->second;
  }
  const proto::Device* device(uint32_t id) const {
    if (!extras_) return nullptr;
    auto it = extras_->devices.find(id);
    return it == extras_->devices.end() ? nullptr : &it->second;
  }

  // Everything before traceEvents: Kineto's keys, then holdup's (the trace
  // and the recorder's health); no verdict is needed here.
  void header() {
    const auto problems = process_.problems;
    json devices = json::array();
    std::set<uint32_t> ids;
    if (extras_) {
      for (const auto& [id, d] : extras_->devices) ids.insert(id);
    }
    for (const auto& [id, gpu] : process_.device_gpu) ids.insert(id);
    for (uint32_t id : ids) {
      json dev = {{"id", id}};
      if (const auto* d = device(id)) {
        const uint32_t warp = d->num_threads_per_warp() ? d->num_threads_per_warp() : 32;
        dev.update({{"name", d->name()},
                    {"totalGlobalMem", d->global_memory_size()},
                    {"computeMajor", d->compute_capability_major()},
                    {"computeMinor", d->compute_capability_minor()},
                    {"maxThreadsPerBlock", d->max_threads_per_block()},
                    {"maxThreadsPerMultiprocessor", uint64_t{d->max_warps_per_multiprocessor()} * warp},
                    {"regsPerBlock", d->max_registers_per_block()},
                    {"regsPerMultiprocessor", d->max_registers_per_multiprocessor()},
                    {"warpSize", warp},
                    {"sharedMemPerBlock", d->max_shared_memory_per_block()},
                    {"sharedMemPerMultiprocessor", d->max_shared_memory_per_multiprocessor()},
                    {"numSms", d->num_multiprocessors()},
                    {"uuid", d->uuid()}});
      } else if (auto it = process_.device_gpu.find(id); it != process_.device_gpu.end()) {
        dev.update({{"name", model_.gpus[it->second].name}, {"uuid", model_.gpus[it->second].uuid}});
      }
      for (const auto& identity : process_.recorder->device_identities) {
        if (identity.ordinal() == id && !identity.pci_bus_id().empty()) dev["pciBusId"] = identity.pci_bus_id();
      }
      devices.push_back(std::move(dev));
    }
    // HTA finds the rank with `"rank":\s+\d+`, line by line: the indented
    // dump keeps the space and gives it a line of its own.
    json distributed = {{"rank", rank_.rank}};
    if (rank_.world_size) distributed["world_size"] = rank_.world_size;
    distributed["rank_source"] = rank_.source;

    const auto& h = process_.recorder->health;
    json holdup = {
        {"schema", "holdup-chrome/1"},
        {"tool_version", HOLDUP_VERSION},
        {"trace", process_.trace_path},
        {"pid", process_.pid},
        {"host", process_.hostname},
        {"command_line", process_.command_line},
        {"scheduling_env", process_.scheduling_env},
        {"recorder_health", problems.empty() ? std::string("ok, nothing lost")
                                             : fmt::format("{} problem(s)", problems.size())},
        {"problems", problems},
        {"not_recorded", process_.not_recorded},
        {"health",
         {{"records", h.records()},
          {"dropped_records", h.dropped_records()},
          {"zero_timestamp_records", h.zero_timestamp_records()},
          {"unknown_records", h.unknown_records()},
          {"buffers_denied", h.buffers_denied()},
          {"chunks_failed", h.chunks_failed()},
          {"callback_events_dropped", h.callback_events_dropped()},
          {"incomplete_records", h.incomplete_records()},
          {"incomplete_gpu_ops", process_.incomplete_ops()},
          {"contradicting_gpu_ops", process_.contradicting_ops},
          {"other_subscriber", h.other_subscriber()},
          {"activity_callbacks_lost", h.activity_callbacks_lost()},
          {"capture_stopped", h.capture_stopped()},
          {"torn_tail", process_.input.torn_tail},
          {"torn_bytes", process_.input.torn_bytes},
          {"sequence_gaps", process_.input.sequence_gaps},
          {"verified_chunks", process_.input.verified_chunks},
          {"damaged_chunks", process_.input.damaged_chunks},
          {"damaged_bytes", process_.input.damaged_bytes},
          {"chunks", process_.input.chunks}}}};
    if (!window_.all()) holdup["window_ns"] = {window_.from, window_.to};
    out_ << "{\n  \"schemaVersion\": 1,\n  \"deviceProperties\": " << dump(devices)
         << ",\n  \"distributedInfo\": " << dump(distributed, 1) << ",\n  \"holdup\": " << dump(holdup)
         << ",\n  \"displayTimeUnit\": \"ms\",\n  \"baseTimeNanoseconds\": " << base_ << ",\n";
  }

  // {"ph":"X","cat":...,"name":...,"pid":...,"tid":...,"ts":...,"dur":...  (args follow)
  void complete(std::string_view cat, std::string_view quoted_name, int64_t pid, int64_t tid, TimeNs start,
                TimeNs end) {
    e_.next();
    e_.s("{\"ph\":\"X\",\"cat\":\"").s(cat).s("\",\"name\":").s(quoted_name).s(",\"pid\":").i(pid).s(",\"tid\":").i(tid);
    e_.s(",\"ts\":").ts(start).s(",\"dur\":").dur(start, end);
  }

  void flow(char phase, uint64_t id, int64_t pid, int64_t tid, TimeNs t, std::string_view cat,
            std::string_view name) {
    e_.next();
    e_.s(phase == 's' ? "{\"ph\":\"s\",\"id\":" : "{\"ph\":\"f\",\"id\":").n(id).s(",\"pid\":").i(pid);
    e_.s(",\"tid\":").i(tid).s(",\"ts\":").ts(t).s(",\"cat\":\"").s(cat).s("\",\"name\":\"").s(name).s("\"");
    e_.s(phase == 'f' ? ",\"bp\":\"e\"}" : "}");
  }

  bool included_api(uint32_t i) const {
    const auto& c = model_.api_calls[i];
    return c.process == p_ && window_.contains(c.start_ns, c.end_ns);
  }

  // ac2g, as Kineto links a launch or copy to its API call: once per call.
  void ac2g(uint32_t api, uint32_t correlation, int64_t device, int64_t tid, TimeNs start) {
    if (api == kNone || api_flowed_[api] || !included_api(api)) return;
    api_flowed_[api] = true;
    const auto& c = model_.api_calls[api];
    flow('s', correlation, process_.pid, c.thread_id, c.start_ns, "ac2g", "ac2g");
    flow('f', correlation, device, tid, start, "ac2g", "ac2g");
  }

  void api_calls() {
    for (uint32_t i = 0; i < model_.api_calls.size(); ++i) {
      const auto& c = model_.api_calls[i];
      if (c.process != p_ || !window_.contains(c.start_ns, c.end_ns)) continue;
      threads_.insert(c.thread_id);
      complete(c.domain == proto::ApiCall::DRIVER ? "cuda_driver" : "cuda_runtime", name(c.name), process_.pid,
               c.thread_id, c.start_ns, c.end_ns);
      e_.s(",\"args\":{\"correlation\":").n(c.correlation_id);
      if (c.return_value) e_.s(",\"return_value\":").n(c.return_value);
      e_.s("}}");
    }
  }

  void gpu_ops() {
    size_t extras_cursor = 0;
    for (uint32_t i = 0; i < model_.ops.size(); ++i) {
      const GpuOp& op = model_.ops[i];
      if (op.process != p_ || !window_.contains(op.start_ns, op.end_ns)) continue;
      streams_.insert({op.device_id, op.stream_id});
      const OpExtra* x = extras_ ? extras_->find(op, &extras_cursor) : nullptr;
      if (op.kind == OpKind::kernel) {
        kernel(op, x);
      } else if (op.kind == OpKind::memcpy) {
        memcpy(op, x);
      } else {
        memset(op, x);
      }
      e_.s(",\"channel\":").n(op.channel_id).s(",\"channel_type\":\"").s(channel_type(op.channel_type)).s("\"");
      if (op.graph_id) e_.s(",\"graph id\":").n(op.graph_id);
      e_.s("}}");
      ac2g(op.api, op.correlation_id, op.device_id, op.stream_id, op.start_ns);
    }
  }

  const std::string& channel_type(uint8_t type) {
    auto [it, added] = channel_types_.try_emplace(type);
    if (added) it->second = channel_type_text(type);
    return it->second;
  }

  void kernel(const GpuOp& op, const OpExtra* x) {
    complete("kernel", kernel_name(op.name), op.device_id, op.stream_id, op.start_ns, op.end_ns);
    const auto occ = detail::occupancy(op, x, device(op.device_id));
    int64_t grid[3] = {static_cast<int64_t>(op.bytes_or_blocks), 1, 1};
    int64_t block[3] = {op.threads_per_block, 1, 1};
    if (x) {
      for (int k = 0; k < 3; ++k) {
        grid[k] = x->grid[k];
        block[k] = x->block[k];
      }
    }
    e_.s(",\"args\":{\"queued\":").n(x ? x->queued_ns / 1000 : 0).s(",\"device\":").n(op.device_id);
    e_.s(",\"context\":").n(op.context_id).s(",\"stream\":").n(op.stream_id).s(",\"correlation\":").n(op.correlation_id);
    e_.s(",\"registers per thread\":").n(op.registers_per_thread).s(",\"shared memory\":").n(op.shared_memory_per_block);
    e_.s(",\"blocks per SM\":").d(occ.blocks_per_sm).s(",\"warps per SM\":").d(occ.warps_per_sm);
    e_.s(",\"grid\":[").i(grid[0]).s(",").i(grid[1]).s(",").i(grid[2]).s("],\"block\":[").i(block[0]).s(",");
    e_.i(block[1]).s(",").i(block[2]).s("],\"est. achieved occupancy %\":").i(occ.occupancy_percent);
    contradiction(op);
  }

  // A record that contradicts its own stream says so on the timeline.
  void contradiction(const GpuOp& op) {
    if (op.contradicts()) e_.s(",\"holdup: contradicts its own stream\":true");
  }

  void bandwidth(const GpuOp& op) {
    const TimeNs d = op.end_ns > op.start_ns ? op.end_ns - op.start_ns : 0;
    if (d == 0) {
      e_.s(",\"memory bandwidth (GB/s)\":\"N/A\"");
    } else {
      e_.s(",\"memory bandwidth (GB/s)\":").d(static_cast<double>(op.bytes_or_blocks) / static_cast<double>(d));
    }
  }

  void copy_args(const GpuOp& op) {
    e_.s(",\"args\":{\"device\":").n(op.device_id).s(",\"context\":").n(op.context_id).s(",\"stream\":").n(op.stream_id);
    e_.s(",\"correlation\":").n(op.correlation_id).s(",\"bytes\":").n(op.bytes_or_blocks);
    bandwidth(op);
    contradiction(op);
  }

  void memcpy(const GpuOp& op, const OpExtra* x) {
    const uint8_t src = x ? x->src_kind : 0, dst = x ? x->dst_kind : 0;
    auto [it, added] = memcpy_names_.try_emplace({op.copy_kind, src, dst});
    if (added) {
      it->second = json_string(fmt::format("Memcpy {} ({} -> {})", detail::memcpy_kind_text(op.copy_kind),
                                           detail::memory_kind_text(src), detail::memory_kind_text(dst)));
    }
    complete("gpu_memcpy", it->second, op.device_id, op.stream_id, op.start_ns, op.end_ns);
    copy_args(op);
    if ((op.flags & GpuOp::kPeer) && x) {
      e_.s(",\"fromDevice\":").n(x->src_device_id).s(",\"inDevice\":").n(op.device_id).s(",\"toDevice\":");
      e_.n(x->dst_device_id).s(",\"fromContext\":").n(x->src_context_id).s(",\"inContext\":").n(op.context_id);
      e_.s(",\"toContext\":").n(x->dst_context_id);
    }
  }

  void memset(const GpuOp& op, const OpExtra* x) {
    const uint8_t kind = x ? x->src_kind : 0;
    auto [it, added] = memset_names_.try_emplace(kind);
    if (added) it->second = json_string(fmt::format("Memset ({})", detail::memory_kind_text(kind)));
    complete("gpu_memset", it->second, op.device_id, op.stream_id, op.start_ns, op.end_ns);
    copy_args(op);
  }

  void syncs() {
    for (const auto& s : model_.synchronizations) {
      if (s.process != p_ || !window_.contains(s.start_ns, s.end_ns)) continue;
      const int64_t device = detail::device_of_context(model_, p_, s.context_id);
      const int64_t tid = tid_of(s.stream_id);
      const std::string_view kind = detail::sync_type_text(s.type);
      if (device >= 0) streams_.insert({static_cast<uint32_t>(device), static_cast<uint32_t>(tid)});
      complete("cuda_sync", json_string(kind), device, tid, s.start_ns, s.end_ns);
      e_.s(",\"args\":{\"cuda_sync_kind\":\"").s(kind).s("\",\"stream\":").i(static_cast<int32_t>(s.stream_id));
      e_.s(",\"correlation\":").n(s.correlation_id).s(",\"device\":").i(device).s(",\"context\":").n(s.context_id);
      if (s.type == proto::EVENT_SYNCHRONIZE || s.type == proto::STREAM_WAIT_EVENT) {
        int64_t stream = -1, record = -1;
        const auto& events = process_.event_by_sync_id;
        if (auto it = events.find(s.event_sync_id); it != events.end()) {
          stream = model_.events[it->second].stream_id;
          record = model_.events[it->second].correlation_id;
        }
        e_.s(",\"wait_on_stream\":").i(stream).s(",\"wait_on_cuda_event_record_corr_id\":").i(record);
      }
      e_.s("}}");
      if (device >= 0) ac2g(model_.api_for_correlation(p_, s.correlation_id), s.correlation_id, device, tid, s.start_ns);
    }
  }

  void nvtx() {
    for (const auto& r : model_.nvtx_ranges) {
      if (r.process != p_ || !window_.contains(r.start_ns, r.end_ns)) continue;
      threads_.insert(r.thread_id);
      complete("user_annotation", name(r.name), process_.pid, r.thread_id, r.start_ns, r.end_ns);
      e_.s(",\"args\":{\"source\":\"NVTX\"}}");
    }
  }

  void overheads() {
    for (const auto& o : model_.overheads) {
      if (o.process != p_ || !window_.contains(o.start_ns, o.end_ns)) continue;
      threads_.insert(o.thread_id);
      const auto* d = proto::OverheadKind_descriptor()->FindValueByNumber(static_cast<int>(o.kind));
      complete("overhead", json_string(d ? d->name() : std::to_string(o.kind)), process_.pid, o.thread_id, o.start_ns,
               o.end_ns);
      e_.s(",\"args\":{\"correlation\":").n(o.correlation_id).s("}}");
    }
  }

  // An instant at the start of the process saying what the recorder lost.
  void health_marker() {
    const auto problems = process_.problems;
    TimeNs first = std::max(window_.from, model_.origin_ns);
    if (!process_.api_by_start.empty()) {
      first = std::max(first, model_.api_calls[process_.api_by_start.front()].start_ns);
    }
    e_.next();
    e_.s("{\"ph\":\"i\",\"s\":\"p\",\"cat\":\"holdup\",\"name\":");
    e_.s(json_string(problems.empty() ? std::string("holdup: recorder health ok, nothing lost")
                                      : fmt::format("holdup: the recorder lost records ({} problem(s))",
                                                    problems.size())));
    e_.s(",\"pid\":").n(process_.pid).s(",\"tid\":0,\"ts\":").ts(first).s(",\"args\":");
    e_.s(dump(json{{"problems", problems}, {"not_recorded", process_.not_recorded}, {"trace", process_.trace_path}}))
        .s("}");
  }

  // Where a record named by a verdict lies in this file: (pid, tid, start, end).
  struct Place {
    int64_t pid = 0, tid = 0;
    TimeNs start = 0, end = 0;
  };

  Place place_of(const analysis::RecordRef& ref, int64_t copy_device) {
    const auto r = records_.find(ref);
    if (r.process == p_) {
      if (r.kind == detail::Resolved::Kind::op) {
        const auto& op = model_.ops[r.index];
        if (window_.contains(op.start_ns, op.end_ns)) return {op.device_id, op.stream_id, op.start_ns, op.end_ns};
      } else if (r.kind == detail::Resolved::Kind::api) {
        const auto& c = model_.api_calls[r.index];
        if (window_.contains(c.start_ns, c.end_ns)) return {process_.pid, c.thread_id, c.start_ns, c.end_ns};
      } else if (r.kind == detail::Resolved::Kind::overhead) {
        const auto& o = model_.overheads[r.index];
        if (window_.contains(o.start_ns, o.end_ns)) return {process_.pid, o.thread_id, o.start_ns, o.end_ns};
      } else if (r.kind == detail::Resolved::Kind::sync) {
        const auto& s = model_.synchronizations[r.index];
        const int64_t device = detail::device_of_context(model_, p_, s.context_id);
        if (device >= 0 && window_.contains(s.start_ns, s.end_ns)) {
          return {device, tid_of(s.stream_id), s.start_ns, s.end_ns};
        }
      }
    }
    // Not in this file (another process's record, or a kind not exported):
    // a slice of its own on a reference track, written once.
    const bool gpu = is_gpu_work(ref.kind);
    int64_t pid = process_.pid;
    if (gpu) {
      pid = ref.gpu.empty() ? -1 : detail::device_of_gpu(model_, p_, ref.gpu);
      if (pid < 0) pid = copy_device;
    }
    const int64_t tid = kReferenceTrack + (ref.pid & 0xFFFFFF);
    const Place place{pid, tid, ref.start_ns, std::max(ref.end_ns, ref.start_ns)};
    if (references_.insert({ref.kind, ref.pid, ref.correlation_id, ref.start_ns, ref.end_ns, ref.stream_id,
                            ref.thread_id})
            .second) {
      reference_tracks_.insert({pid, tid, ref.pid});
      // Written with cached escaped strings: a trace whose copies wait on
      // another process names thousands of these.
      const std::string& title = quoted_text(ref.kind == RecordKind::kernel ? names_.demangled_text(ref.name) : ref.name);
      const std::string kind(record_kind_name(ref.kind));
      complete("holdup", ref.name.empty() ? quoted_text(kind) : title, pid, tid, place.start, place.end);
      e_.s(",\"args\":{\"reference\":").s(reference_note(kind, ref.pid)).s(",\"kind\":").s(quoted_text(kind));
      e_.s(",\"pid\":").n(ref.pid).s(",\"correlation\":").n(ref.correlation_id);
      if (ref.thread_id) e_.s(",\"thread\":").n(ref.thread_id);
      if (gpu) {
        e_.s(",\"context\":").n(ref.context_id).s(",\"on_stream\":").n(ref.stream_id).s(",\"channel\":");
        e_.n(ref.channel_id).s(",\"channel_type\":").s(quoted_text(ref.channel_type)).s(",\"gpu\":");
        e_.s(quoted_text(ref.gpu));
      }
      e_.s("}}");
    }
    return place;
  }

  // A string as JSON, escaped once.
  const std::string& quoted_text(const std::string& text) {
    auto [it, added] = quoted_texts_.try_emplace(text);
    if (added) it->second = json_string(text);
    return it->second;
  }

  const std::string& reference_note(const std::string& kind, uint32_t pid) {
    auto [it, added] = reference_notes_.try_emplace({kind, pid});
    if (added) {
      it->second = json_string(fmt::format(
          "a {} of pid {} named by holdup's verdicts, shown here so that their flows have both ends{}", kind, pid,
          pid == process_.pid ? " (its kind is not exported as a slice)" : "; the file of that process has it"));
    }
    return it->second;
  }

  struct ReferenceKey {
    RecordKind kind;
    uint32_t pid, correlation;
    TimeNs start, end;
    uint32_t stream, thread;
    bool operator==(const ReferenceKey&) const = default;
  };
  struct ReferenceHash {
    size_t operator()(const ReferenceKey& k) const {
      return std::hash<uint64_t>()(k.start * 1000003 ^ k.end ^ (uint64_t{k.correlation} << 32) ^ k.pid ^ k.stream);
    }
  };

  // [{"code": ..., "text": ...}, ...]
  void signals(const analysis::Finding& f) {
    e_.s("[");
    for (size_t i = 0; i < f.signals.size(); ++i) {
      e_.s(i ? ",{\"code\":" : "{\"code\":").s(quoted_text(f.signals[i].code)).s(",\"text\":");
      e_.s(json_string(f.signals[i].text)).s("}");
    }
    e_.s("]");
  }

  static TimeNs middle(TimeNs start, TimeNs end) { return end > start ? start + (end - start) / 2 : start; }

  void holdup_layer() {
    const analysis::Analysis& a = *in_.analysis;
    copies_ = detail::copies_of(in_, p_);
    uint64_t flow_id = kHoldupFlowBase;
    detail::HeldCopy held;
    for (uint32_t c : copies_) {
      const auto& v = a.copies[c];
      const GpuOp& op = model_.ops[v.op];
      const int64_t track = kHeldTrack + op.stream_id;
      if (v.cold()) {
        ++cold_;
        held_tracks_.insert({op.device_id, op.stream_id});
        const TimeNs from = v.has_issue() ? v.split.intent_ns : op.start_ns;
        complete("holdup", "\"cold (not held)\"", op.device_id, track, from, op.start_ns);
        json args = {{"copy", model_.describe(op)},
                     {"copy_correlation", op.correlation_id},
                     {"issue_to_start_ns", v.split.issue_to_start},
                     {"verdict", "late with no recorded work on its GPU ahead of it (first use of a mapping or cold "
                                 "start): not held, never flagged"}};
        e_.s(",\"args\":").s(dump(args)).s("}");
        continue;
      }
      if (!v.flagged()) continue;
      ++flagged_;
      held_tracks_.insert({op.device_id, op.stream_id});
      detail::held_copy(a, c, &held);
      const auto& findings = held.detail->findings;
      const bool claimed = v.cause != analysis::Cause::unknown && !findings.empty() && findings.front().claimed;
      // Written field by field (thousands of held copies): numbers as they
      // are, every string through the JSON library's escaping.
      complete("holdup", quoted_text(std::string(analysis::cause_id(v.cause))), op.device_id, track,
               detail::held_from(v, op), op.start_ns);
      e_.s(",\"args\":{\"copy\":").s(json_string(model_.describe(op))).s(",\"copy_correlation\":").n(op.correlation_id);
      e_.s(",\"copy_stream\":").n(op.stream_id).s(",\"cause\":").s(quoted_text(std::string(analysis::cause_id(v.cause))));
      e_.s(",\"cause_title\":").s(quoted_text(std::string(analysis::cause_title(v.cause))));
      e_.s(",\"held_ns\":").n(v.split.held).s(",\"held_host_ns\":").n(v.split.held_host);
      e_.s(",\"issue_to_start_ns\":").n(v.split.issue_to_start).s(",\"split_ns\":{\"burst\":").n(v.split.burst);
      e_.s(",\"api\":").n(v.split.api).s(",\"stream_order\":").n(v.split.stream_order).s(",\"dependency\":");
      e_.n(v.split.dependency).s(",\"held\":").n(v.split.held).s(",\"held_in_burst\":").n(v.split.held_in_burst);
      e_.s(",\"inherited\":").n(v.split.inherited).s("},\"signals\":");
      if (claimed) {
        signals(findings.front());
      } else {
        e_.s("[]");
      }
      e_.s(",\"remedy\":").s(claimed ? json_string(findings.front().remedy) : std::string("\"\""));
      if (!claimed) e_.s(",\"verdict\":").s(quoted_text("unknown: " + analysis::unknown_reason(a, c)));
      if (findings.size() > (claimed ? 1u : 0u)) {
        e_.s(",\"other_findings\":[");
        for (size_t i = claimed ? 1 : 0; i < findings.size(); ++i) {
          const auto& f = findings[i];
          e_.s(i > (claimed ? 1u : 0u) ? ",{\"cause\":" : "{\"cause\":");
          e_.s(quoted_text(std::string(analysis::cause_id(f.cause)))).s(f.claimed ? ",\"claimed\":true" : ",\"claimed\":false");
          e_.s(",\"explains_ns\":").n(f.explains_ns).s(",\"signals\":");
          signals(f);
          e_.s(",\"remedy\":").s(json_string(f.remedy)).s("}");
        }
        e_.s("]");
      }
      e_.s(",\"blockers\":[");
      for (size_t i = 0; i < held.blockers.size(); ++i) {
        const auto& b = held.blockers[i];
        if (i) e_.s(",");
        e_.s(json_string(fmt::format("{} {} (pid {}{}, corr {}): held behind it {} ns", record_kind_name(b.record.kind),
                                     b.record.kind == RecordKind::kernel ? names_.demangled_text(b.record.name) : b.record.name,
                                     b.record.pid,
                                     b.record.thread_id ? fmt::format(" thread {}", b.record.thread_id)
                                                        : fmt::format(" stream {}", b.record.stream_id),
                                     b.record.correlation_id, b.held_behind_ns)));
      }
      e_.s("]}}");
      // A flow from each blocker to the held copy.
      for (const auto& b : held.blockers) {
        const Place from = place_of(b.record, op.device_id);
        ++flow_id;
        flow('s', flow_id, from.pid, from.tid, middle(from.start, from.end), "holdup", "held behind");
        flow('f', flow_id, op.device_id, op.stream_id, middle(op.start_ns, op.end_ns), "holdup", "held behind");
      }
    }
  }

  void meta(std::string_view what, int64_t pid, int64_t tid, std::string_view key, const json& value) {
    e_.next();
    e_.s("{\"name\":\"").s(what).s("\",\"ph\":\"M\",\"pid\":").i(pid).s(",\"tid\":").i(tid).s(",\"args\":{\"");
    e_.s(key).s("\":").s(dump(value)).s("}}");
  }

  void metadata() {
    const auto problems = process_.problems;
    const std::string labels = fmt::format("rank {}; host {}; recorder health: {}", rank_.rank, process_.hostname,
                                           problems.empty() ? "ok" : fmt::format("{} problem(s)", problems.size()));
    meta("process_name", process_.pid, 0, "name", detail::process_title(model_, p_));
    meta("process_labels", process_.pid, 0, "labels", labels);
    meta("process_sort_index", process_.pid, 0, "sort_index", 0);
    for (uint32_t t : threads_) {
      auto it = process_.thread_names.find(t);
      std::string title = it != process_.thread_names.end() ? std::string(model_.name(it->second)) : std::string();
      title = title.empty() ? fmt::format("thread {}", t) : fmt::format("{} (thread {})", title, t);
      meta("thread_name", process_.pid, t, "name", title);
      meta("thread_sort_index", process_.pid, t, "sort_index", t);
    }
    std::set<uint32_t> devices;
    for (const auto& [d, s] : streams_) devices.insert(d);
    for (const auto& [d, s] : held_tracks_) devices.insert(d);
    for (const auto& [pid, tid, other] : reference_tracks_) {
      if (pid != process_.pid && pid >= 0) devices.insert(static_cast<uint32_t>(pid));
    }
    for (uint32_t d : devices) {
      std::string label;
      if (auto it = process_.device_gpu.find(d); it != process_.device_gpu.end()) {
        const auto& gpu = model_.gpus[it->second];
        label = gpu.name.empty() ? gpu.label : gpu.name + " " + gpu.label;
      }
      meta("process_name", d, 0, "name", fmt::format("GPU {}", d));
      meta("process_labels", d, 0, "labels", label);
      meta("process_sort_index", d, 0, "sort_index", 0x1000000 + d);
    }
    for (const auto& [d, s] : streams_) {
      meta("thread_name", d, s, "name", fmt::format("stream {}", static_cast<int32_t>(s)));
      meta("thread_sort_index", d, s, "sort_index", int64_t{s} * 2);
    }
    for (const auto& [d, s] : held_tracks_) {
      meta("thread_name", d, kHeldTrack + s, "name", fmt::format("stream {} - holdup: held", s));
      meta("thread_sort_index", d, kHeldTrack + s, "sort_index", int64_t{s} * 2 + 1);
    }
    for (const auto& [pid, tid, other] : reference_tracks_) {
      meta("thread_name", pid, tid, "name",
           other == process_.pid ? std::string("holdup: records named by verdicts")
                                 : fmt::format("holdup: records of pid {} named by verdicts", other));
      meta("thread_sort_index", pid, tid, "sort_index", tid);
    }
  }

  const Input& in_;
  const analysis::Model& model_;
  const uint32_t p_;
  const analysis::Process& process_;
  const ProcessExtras* extras_;
  const RankInfo rank_;
  const detail::Window window_;
  std::ostream& out_;
  const TimeNs base_;
  detail::NameCache names_;
  Events e_;
  detail::RecordIndex records_;
  std::vector<bool> api_flowed_;
  std::vector<uint32_t> copies_;
  uint64_t flagged_ = 0, cold_ = 0;
  std::unordered_map<uint32_t, std::string> quoted_, quoted_kernels_;
  std::unordered_map<uint8_t, std::string> channel_types_;
  std::map<std::tuple<uint8_t, uint8_t, uint8_t>, std::string> memcpy_names_;
  std::map<uint8_t, std::string> memset_names_;
  std::set<uint32_t> threads_;
  std::set<std::pair<uint32_t, uint32_t>> streams_, held_tracks_;
  std::set<std::tuple<int64_t, int64_t, uint32_t>> reference_tracks_;
  std::unordered_set<ReferenceKey, ReferenceHash> references_;
  std::unordered_map<std::string, std::string> quoted_texts_;
  std::map<std::pair<std::string, uint32_t>, std::string> reference_notes_;
};

}  // namespace

namespace detail {

std::unique_ptr<ProcessWriter> chrome_writer(const Input& input, uint32_t process, const RankInfo& rank,
                                             const Window& window, std::ostream& out) {
  return std::make_unique<ChromeTrace>(input, process, rank, window, out);
}

}  // namespace detail

void write_chrome_trace(const Input& input, uint32_t process, const RankInfo& rank, std::ostream& out) {
  ChromeTrace trace(input, process, rank, detail::window_of(input, process), out);
  trace.records();
  trace.verdicts();
}

}  // namespace holdup::exporting
