#pragma once
// Builds one process's trace as a proto::Chunk in code, with times in
// microseconds from a fixed origin, for the analysis and report tests.
//
//   SyntheticTrace t(100);                // pid 100 on GPU-h100-0
//   t.normal_calls("cudaMemcpyAsync", 4, 5);
//   t.kernel("k0", 100, 4100, /*stream*/13, /*channel*/2, t.launch(90, 95));
//   auto model = build_model({t.chunk()});

#include <cstdint>
#include <initializer_list>
#include <string>
#include <unordered_map>
#include <vector>

#include "holdup/analysis_model.h"
#include "holdup/trace.pb.h"

namespace holdup::testing {

// Synthetic time origin (ns); times in the helpers are microseconds after it.
inline constexpr uint64_t kT0 = 2'000'000'000'000ull;
// (Negative times are before the origin: "long before the scenario".)
inline uint64_t at_us(double us) {
  return static_cast<uint64_t>(static_cast<int64_t>(kT0) + static_cast<int64_t>(us * 1000.0));
}

inline constexpr uint32_t kContext = 1;
inline constexpr uint32_t kNullStream = 7;
inline constexpr uint32_t kComputeStream = 13;
inline constexpr uint32_t kCopyStream = 14;

class SyntheticTrace {
 public:
  explicit SyntheticTrace(uint32_t pid, std::string uuid = "GPU-h100-0", std::string host = "node1") : pid_(pid) {
    auto* h = chunk_.mutable_header();
    h->set_magic("holdup-trace");
    h->set_format_version(1);
    h->set_hostname(host);
    h->set_pid(pid);
    h->add_command_line("./workload");
    auto* id = h->add_device_identity();
    id->set_ordinal(0);
    id->set_uuid(uuid);
    id->set_name("NVIDIA H100 80GB HBM3");
    // An H100's occupancy limits.
    auto* d = chunk_.add_device();
    d->set_id(0);
    d->set_name("NVIDIA H100 80GB HBM3");
    d->set_uuid(uuid);
    d->set_num_multiprocessors(132);
    d->set_max_blocks_per_multiprocessor(32);
    d->set_max_warps_per_multiprocessor(64);
    d->set_max_registers_per_multiprocessor(65536);
    d->set_max_shared_memory_per_multiprocessor(233472);
    d->set_num_threads_per_warp(32);
    auto* c = chunk_.add_context();
    c->set_context_id(kContext);
    c->set_device_id(0);
    c->set_null_stream_id(kNullStream);
    stream(kComputeStream, 2);
    stream(kCopyStream, 2);
  }

  proto::Chunk& chunk() { return chunk_; }
  proto::ProcessHeader& header() { return *chunk_.mutable_header(); }

  void env(const std::string& name, const std::string& value) {
    (*chunk_.mutable_header()->mutable_scheduling_env())[name] = value;
  }
  // flag: 1 blocking (default), 2 non-blocking.
  void stream(uint32_t id, uint32_t flag) {
    for (auto& s : *chunk_.mutable_stream()) {
      if (s.stream_id() == id) {
        s.set_flag(flag);
        return;
      }
    }
    auto* s = chunk_.add_stream();
    s->set_context_id(kContext);
    s->set_stream_id(id);
    s->set_flag(flag);
  }

  uint64_t str(const std::string& value) {
    auto it = iids_.find(value);
    if (it != iids_.end()) return it->second;
    const uint64_t iid = iids_.size() + 1;
    auto* s = chunk_.add_string();
    s->set_iid(iid);
    s->set_value(value);
    iids_.emplace(value, iid);
    return iid;
  }

  // An API call; returns its correlation id (a fresh one unless given).
  uint32_t api(const std::string& name, double start_us, double end_us, uint32_t thread = 1, uint32_t corr = 0,
               proto::ApiCall::Domain domain = proto::ApiCall::RUNTIME) {
    if (corr == 0) corr = next_corr_++;
    auto* a = chunk_.add_api();
    a->set_domain(domain);
    a->set_name_iid(str(name));
    a->set_start_ns(at_us(start_us));
    a->set_end_ns(at_us(end_us));
    a->set_thread_id(thread);
    a->set_correlation_id(corr);
    a->set_process_id(pid_);
    return corr;
  }
  uint32_t launch(double start_us, double end_us, uint32_t thread = 1) {
    return api("cudaLaunchKernel", start_us, end_us, thread);
  }
  // `count` calls of `name` lasting `duration_us` each, long before the
  // scenario (they set the name's normal cost).
  void normal_calls(const std::string& name, int count, double duration_us, uint32_t thread = 1) {
    for (int i = 0; i < count; ++i) api(name, -10000.0 + i * 100.0, -10000.0 + i * 100.0 + duration_us, thread);
  }

  // A kernel of `blocks` blocks of `threads` threads (defaults: small grid).
  proto::Kernel& kernel(const std::string& name, double start_us, double end_us, uint32_t stream, uint32_t channel,
                        uint32_t corr, int blocks = 132, int threads = 128, uint32_t registers = 32) {
    auto* k = chunk_.add_kernel();
    k->set_name_iid(str(name));
    k->set_start_ns(at_us(start_us));
    k->set_end_ns(at_us(end_us));
    k->set_device_id(0);
    k->set_context_id(kContext);
    k->set_stream_id(stream);
    k->set_channel_id(channel);
    k->set_channel_type(proto::CHANNEL_TYPE_COMPUTE);
    k->set_correlation_id(corr);
    k->set_grid_x(blocks);
    k->set_grid_y(1);
    k->set_grid_z(1);
    k->set_block_x(threads);
    k->set_block_y(1);
    k->set_block_z(1);
    k->set_registers_per_thread(registers);
    return *k;
  }

  proto::Memcpy& memcpy(proto::CopyKind kind, double start_us, double end_us, uint32_t stream, uint32_t channel,
                        proto::ChannelType channel_type, uint32_t corr, uint64_t bytes = 64ull << 20) {
    auto* m = chunk_.add_memcpy();
    m->set_copy_kind(kind);
    m->set_start_ns(at_us(start_us));
    m->set_end_ns(at_us(end_us));
    m->set_device_id(0);
    m->set_context_id(kContext);
    m->set_stream_id(stream);
    m->set_channel_id(channel);
    m->set_channel_type(channel_type);
    m->set_correlation_id(corr);
    m->set_bytes(bytes);
    m->set_flags(1);
    return *m;
  }

  // A STREAM_WAIT_EVENT Synchronization record (CUPTI's SYNCHRONIZATION
  // kind): `stream` made to wait for the event of `sync_id`.
  void stream_wait_record(double start_us, double end_us, uint32_t corr, uint32_t stream, uint64_t sync_id = 0) {
    auto* s = chunk_.add_synchronization();
    s->set_type(proto::STREAM_WAIT_EVENT);
    s->set_start_ns(at_us(start_us));
    s->set_end_ns(at_us(end_us));
    s->set_correlation_id(corr);
    s->set_context_id(kContext);
    s->set_stream_id(stream);
    s->set_cuda_event_sync_id(sync_id);
  }

  // An EventCall (the recorder's callback on cudaEventRecord /
  // cudaStreamWaitEvent and their driver calls): `stream` is the recording
  // or the waiting stream, `event` the CUevent handle.
  void event_call(proto::EventCall::Kind kind, double time_us, uint32_t stream, uint64_t event, uint32_t corr,
                  uint32_t thread = 1, proto::ApiCall::Domain domain = proto::ApiCall::RUNTIME) {
    auto* c = chunk_.add_event_call();
    c->set_kind(kind);
    c->set_time_ns(at_us(time_us));
    c->set_thread_id(thread);
    c->set_context_id(kContext);
    c->set_correlation_id(corr);
    c->set_stream_id(stream);
    c->set_event_handle(event);
    c->set_domain(domain);
  }

  // An NVTX push/pop range: a start marker with the name, an end marker
  // (CUpti_ActivityFlag START = 2, END = 4). Thread 0: none recorded.
  void nvtx_range(const std::string& name, uint32_t id, double start_us, double end_us, uint32_t thread = 0) {
    auto* m = chunk_.add_marker();
    m->set_flags(2);
    m->set_id(id);
    if (thread) m->set_thread_id(thread);
    m->set_timestamp_ns(at_us(start_us));
    m->set_name_iid(str(name));
    m = chunk_.add_marker();
    m->set_flags(4);
    m->set_id(id);
    if (thread) m->set_thread_id(thread);
    m->set_timestamp_ns(at_us(end_us));
  }

  proto::Overhead& overhead(proto::OverheadKind kind, double start_us, double end_us, uint32_t corr,
                            uint32_t thread = 0) {
    auto* o = chunk_.add_overhead();
    o->set_kind(kind);
    o->set_start_ns(at_us(start_us));
    o->set_end_ns(at_us(end_us));
    o->set_correlation_id(corr);
    o->set_object_kind(thread ? 2 : 1);
    o->set_process_id(pid_);
    o->set_thread_id(thread);
    return *o;
  }

 private:
  uint32_t pid_;
  uint32_t next_corr_ = 1000;
  proto::Chunk chunk_;
  std::unordered_map<std::string, uint64_t> iids_;
};

// A model of one process per chunk list.
inline analysis::Model build_model(std::initializer_list<std::vector<proto::Chunk>> traces) {
  analysis::ModelBuilder builder;
  int n = 0;
  for (const auto& chunks : traces) {
    builder.begin_trace("synthetic-" + std::to_string(n++));
    for (const auto& c : chunks) builder.add_chunk(c);
    builder.end_trace({});
  }
  return builder.finish();
}

}  // namespace holdup::testing
