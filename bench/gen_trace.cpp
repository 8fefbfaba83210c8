// holdup-bench-gen: realistic synthetic holdup traces for the analysis at
// scale (issue 5). One file per process in OUT_DIR, written with
// holdup::TraceBuilder in chunks like the recorder's (strings, device,
// context and streams first; health last).
//
// Per process: several compute streams, each driven by its own host thread,
// repeating an iteration shaped like the reference workload: an NVTX range,
// K0 K1 K2 launched back to back (runtime API record + launch callback
// record + kernel, joined by correlation id), a proxy thread issuing a 1 MiB
// device-to-device cudaMemcpyAsync on its own stream during K0 (API record +
// memcpy on a COMPUTE channel), an event record, and every 8th iteration a
// stream synchronization. A share of the copies (--held-share) is held: it
// starts only when the SM-filling K1 drains. First launches carry a
// LAZY_FUNCTION_LOADING overhead record.
//
//   holdup-bench-gen --records 10000000 --out /tmp/scale-10M

#include <sys/stat.h>

#include <chrono>
#include <cstdio>
#include <string>
#include <vector>

#include <CLI/CLI.hpp>
#include <nlohmann/json.hpp>

#include "holdup/trace.pb.h"
#include "trace_builder.h"

namespace {

using holdup::proto::Chunk;

struct Options {
  uint64_t records = 1'000'000;
  uint32_t processes = 4;
  uint32_t streams = 4;  // compute streams per process, each with a copy stream
  double held_share = 0.1;
  uint32_t chunk_records = 20'000;  // about what one 4 MiB CUPTI buffer yields
  std::string out_dir;
};

constexpr uint64_t kOriginNs = 1'764'000'000'000'000'000ull;  // a realtime-clock epoch, 2025
constexpr uint64_t kIterationNs = 300'000;
constexpr uint64_t kKernelNs = 80'000;
constexpr uint32_t kContext = 1;
constexpr uint32_t kMarkerStart = 1u << 1;
constexpr uint32_t kMarkerEnd = 1u << 2;
constexpr uint32_t kMemcpyAsync = 1u << 0;
constexpr double kRecordsPerIteration = 15.25;  // see Lane::iteration

// String ids, the same in every file (interned in chunk 0).
enum Str : uint64_t {
  kLaunchKernel = 1, kMemcpyAsyncName, kEventRecord, kStreamSync, kK0, kK1, kK2, kStep, kCount
};
const char* const kStrings[] = {"", "cudaLaunchKernel", "cudaMemcpyAsync", "cudaEventRecord",
                                "cudaStreamSynchronize", "spin_kernel0(unsigned long)",
                                "spin_kernel1(unsigned long)", "reduce_kernel2(float const*, float*, int)", "step"};

// Deterministic share: iteration i of lane l is held when this falls below the share.
double unit_hash(uint64_t x) {
  x ^= x >> 33;
  x *= 0xff51afd7ed558ccdull;
  x ^= x >> 33;
  x *= 0xc4ceb9fe1a85ec53ull;
  x ^= x >> 33;
  return static_cast<double>(x >> 11) / static_cast<double>(1ull << 53);
}

class ProcessTrace {
 public:
  ProcessTrace(const Options& o, uint32_t index) : o_(o), pid_(4000 + index), index_(index) {}

  // Writes the file; returns records written, or 0 with *error set.
  uint64_t write(uint64_t iterations_per_lane, const std::string& path, std::string* error) {
    writer_ = holdup::TraceBuilder::create(path, error);
    if (!writer_) return 0;
    first_chunk();
    for (uint64_t i = 0; i < iterations_per_lane; ++i) {
      for (uint32_t s = 0; s < o_.streams; ++s) iteration(s, i);
      if (pending_ >= o_.chunk_records && !flush(error)) return 0;
    }
    auto* h = chunk_.mutable_health();
    h->set_records(records_ + pending_);
    h->set_buffers_requested(records_ / 20'000 + 1);
    h->set_buffers_completed(records_ / 20'000 + 1);
    if (!flush(error)) return 0;
    if (!writer_->close()) {
      *error = writer_->error();
      return 0;
    }
    bytes_ = writer_->bytes_written();
    return records_;
  }
  uint64_t bytes() const { return bytes_; }

 private:
  void first_chunk() {
    auto* h = chunk_.mutable_header();
    h->set_magic("holdup-trace");
    h->set_format_version(1);
    h->set_tool_version("bench-gen");
    h->set_hostname("node1");
    h->set_pid(pid_);
    h->set_parent_pid(1);
    h->add_command_line("./train");
    h->add_command_line("--rank=" + std::to_string(index_));
    (*h->mutable_rank_env())["RANK"] = std::to_string(index_);
    h->set_start_time_unix_ns(kOriginNs);
    h->set_cupti_clock("realtime");
    h->set_cuda_driver_version(13000);
    h->set_cuda_runtime_version(13000);
    h->set_cupti_api_version(130000);
    h->set_cupti_build_api_version(130000);
    auto* id = h->add_device_identity();
    id->set_ordinal(0);
    id->set_uuid("GPU-bench-0");
    id->set_name("NVIDIA H100 80GB HBM3");
    auto* c = h->mutable_config();
    c->set_flush_period_ms(100);
    c->set_buffer_size_bytes(4 << 20);
    c->set_buffer_count(8);
    for (uint64_t i = 1; i < kCount; ++i) {
      auto* s = chunk_.add_string();
      s->set_iid(i);
      s->set_value(kStrings[i]);
    }
    auto* d = chunk_.add_device();
    d->set_id(0);
    d->set_name("NVIDIA H100 80GB HBM3");
    d->set_uuid("GPU-bench-0");
    d->set_compute_capability_major(9);
    d->set_num_multiprocessors(132);
    d->set_num_memcpy_engines(7);
    d->set_max_blocks_per_multiprocessor(32);
    d->set_max_warps_per_multiprocessor(64);
    d->set_max_registers_per_multiprocessor(65536);
    d->set_max_shared_memory_per_multiprocessor(233472);
    d->set_num_threads_per_warp(32);
    auto* ctx = chunk_.add_context();
    ctx->set_context_id(kContext);
    ctx->set_device_id(0);
    ctx->set_null_stream_id(7);
    for (uint32_t s = 0; s < o_.streams; ++s) {
      for (uint32_t id : {compute_stream(s), copy_stream(s)}) {
        auto* st = chunk_.add_stream();
        st->set_context_id(kContext);
        st->set_stream_id(id);
        st->set_flag(2);  // non-blocking
      }
    }
    pending_ += 3 + 2 * o_.streams;
  }

  bool flush(std::string* error) {
    chunk_.set_sequence(sequence_++);
    if (!writer_->append(chunk_)) {
      *error = writer_->error();
      return false;
    }
    records_ += pending_;
    pending_ = 0;
    chunk_.Clear();
    return true;
  }

  static uint32_t compute_stream(uint32_t s) { return 13 + 2 * s; }
  static uint32_t copy_stream(uint32_t s) { return 14 + 2 * s; }
  uint32_t host_thread(uint32_t s) const { return pid_ * 10 + s; }
  uint32_t proxy_thread(uint32_t s) const { return pid_ * 10 + 5 + s % 5; }

  void api(uint64_t name, uint64_t start, uint64_t end, uint32_t thread, uint32_t corr) {
    auto* a = chunk_.add_api();
    a->set_domain(holdup::proto::ApiCall::RUNTIME);
    a->set_cbid(static_cast<uint32_t>(name));
    a->set_name_iid(name);
    a->set_start_ns(start);
    a->set_end_ns(end);
    a->set_thread_id(thread);
    a->set_correlation_id(corr);
    a->set_process_id(pid_);
  }

  void kernel(uint32_t s, uint64_t name, uint64_t host_ns, uint64_t start, uint64_t end, bool first, bool fills) {
    const uint32_t corr = next_corr_++;
    api(kLaunchKernel, host_ns, host_ns + 3'000, host_thread(s), corr);
    auto* l = chunk_.add_launch();
    l->set_correlation_id(corr);
    l->set_thread_id(host_thread(s));
    l->set_context_id(kContext);
    l->set_function_handle(0x7f0000000000ull + name);
    l->set_function_name_iid(name);
    l->set_first_launch(first);
    l->set_api_enter_ns(host_ns + 200);
    l->set_cbid(307);
    auto* k = chunk_.add_kernel();
    k->set_start_ns(start);
    k->set_end_ns(end);
    k->set_queued_ns(host_ns + 2'000);
    k->set_submitted_ns(host_ns + 2'500);
    k->set_completed_ns(end);
    k->set_device_id(0);
    k->set_context_id(kContext);
    k->set_stream_id(compute_stream(s));
    k->set_correlation_id(corr);
    k->set_channel_id(2 + s);
    k->set_channel_type(holdup::proto::CHANNEL_TYPE_COMPUTE);
    k->set_name_iid(name);
    k->set_grid_x(fills ? 132 * 8 : 132);
    k->set_grid_y(1);
    k->set_grid_z(1);
    k->set_block_x(fills ? 256 : 128);
    k->set_block_y(1);
    k->set_block_z(1);
    k->set_registers_per_thread(32);
    pending_ += 3;
    if (first) {
      auto* ov = chunk_.add_overhead();
      ov->set_kind(holdup::proto::LAZY_FUNCTION_LOADING);
      ov->set_start_ns(host_ns + 300);
      ov->set_end_ns(host_ns + 30'000);
      ov->set_correlation_id(corr);
      ov->set_object_kind(2);
      ov->set_process_id(pid_);
      ov->set_thread_id(host_thread(s));
      pending_ += 1;
    }
  }

  // 15.25 records on average: marker pair 2, three kernels 9, copy 2,
  // event record 2, and every 8th iteration a synchronization 2.
  void iteration(uint32_t s, uint64_t i) {
    const uint64_t base = kOriginNs + 1'000'000 + i * kIterationNs + s * 7'000 + index_ * 1'300;
    const uint64_t host = base - 40'000;  // launches run ahead of the GPU
    const bool first = i == 0;
    auto* m = chunk_.add_marker();
    m->set_flags(kMarkerStart);
    m->set_timestamp_ns(host - 1'000);
    m->set_id(++marker_id_);
    m->set_object_kind(2);
    m->set_process_id(pid_);
    m->set_thread_id(host_thread(s));
    m->set_name_iid(kStep);
    kernel(s, kK0, host, base, base + kKernelNs, first, true);
    kernel(s, kK1, host + 4'000, base + kKernelNs, base + 2 * kKernelNs, first, true);
    kernel(s, kK2, host + 8'000, base + 2 * kKernelNs, base + 2 * kKernelNs + 10'000, first, false);

    // The proxy's copy, issued during K0; a held one starts only when the
    // SM-filling K1 drains (held ~150 us).
    const uint32_t corr = next_corr_++;
    const uint64_t issue = base + 10'000;
    const bool held = unit_hash((static_cast<uint64_t>(pid_) << 40) ^ (static_cast<uint64_t>(s) << 32) ^ i) <
                      o_.held_share;
    const uint64_t copy_start = held ? base + 2 * kKernelNs - 2'000 : issue + 6'000;
    api(kMemcpyAsyncName, issue, issue + 5'000, proxy_thread(s), corr);
    auto* c = chunk_.add_memcpy();
    c->set_start_ns(copy_start);
    c->set_end_ns(copy_start + 8'000);
    c->set_copy_kind(holdup::proto::DTOD);
    c->set_src_kind(holdup::proto::DEVICE);
    c->set_dst_kind(holdup::proto::DEVICE);
    c->set_flags(kMemcpyAsync);
    c->set_bytes(1 << 20);
    c->set_device_id(0);
    c->set_context_id(kContext);
    c->set_stream_id(copy_stream(s));
    c->set_correlation_id(corr);
    c->set_runtime_correlation_id(corr);
    c->set_channel_id(20 + s);
    c->set_channel_type(holdup::proto::CHANNEL_TYPE_COMPUTE);

    const uint32_t ecorr = next_corr_++;
    api(kEventRecord, host + 12'000, host + 13'000, host_thread(s), ecorr);
    auto* e = chunk_.add_cuda_event();
    e->set_correlation_id(ecorr);
    e->set_context_id(kContext);
    e->set_stream_id(compute_stream(s));
    e->set_event_id(s + 1);
    e->set_device_id(0);
    e->set_device_timestamp_ns(base + 2 * kKernelNs + 10'000);
    e->set_cuda_event_sync_id(++event_sync_id_);
    pending_ += 1 + 2 + 2;  // start marker, copy, event

    if (i % 8 == 7) {
      const uint32_t scorr = next_corr_++;
      const uint64_t sync_end = base + 2 * kKernelNs + 11'000;
      api(kStreamSync, host + 14'000, sync_end, host_thread(s), scorr);
      auto* y = chunk_.add_synchronization();
      y->set_type(holdup::proto::STREAM_SYNCHRONIZE);
      y->set_start_ns(host + 14'000);
      y->set_end_ns(sync_end);
      y->set_correlation_id(scorr);
      y->set_context_id(kContext);
      y->set_stream_id(compute_stream(s));
      pending_ += 2;
    }
    auto* me = chunk_.add_marker();
    me->set_flags(kMarkerEnd);
    me->set_timestamp_ns(base + 2 * kKernelNs + 12'000);
    me->set_id(marker_id_);
    me->set_object_kind(2);
    me->set_process_id(pid_);
    me->set_thread_id(host_thread(s));
    pending_ += 1;
  }

  const Options& o_;
  const uint32_t pid_;
  const uint32_t index_;
  std::unique_ptr<holdup::TraceBuilder> writer_;
  Chunk chunk_;
  uint64_t sequence_ = 0;
  uint64_t pending_ = 0;
  uint64_t records_ = 0;
  uint64_t bytes_ = 0;
  uint32_t next_corr_ = 1;
  uint64_t marker_id_ = 0;
  uint64_t event_sync_id_ = 0;
};

}  // namespace

int main(int argc, char** argv) {
  Options o;
  CLI::App app{"Writes realistic synthetic holdup traces (one file per process) for the scale benchmark"};
  app.add_option("--records", o.records, "Records in all files together (about)")->capture_default_str();
  app.add_option("--processes", o.processes, "Processes (files)")->check(CLI::Range(1, 1024))->capture_default_str();
  app.add_option("--streams", o.streams, "Compute streams per process")->check(CLI::Range(1, 64))->capture_default_str();
  app.add_option("--held-share", o.held_share, "Share of copies held behind K0 and K1")->check(CLI::Range(0.0, 1.0))->capture_default_str();
  app.add_option("--chunk-records", o.chunk_records, "Records per chunk")->check(CLI::Range(100, 10'000'000))->capture_default_str();
  app.add_option("--out", o.out_dir, "Output directory (created)")->required();
  CLI11_PARSE(app, argc, argv);

  if (::mkdir(o.out_dir.c_str(), 0755) != 0 && errno != EEXIST) {
    std::fprintf(stderr, "holdup-bench-gen: cannot create %s: %s\n", o.out_dir.c_str(), std::strerror(errno));
    return 1;
  }
  const auto t0 = std::chrono::steady_clock::now();
  const uint64_t lanes = static_cast<uint64_t>(o.processes) * o.streams;
  const uint64_t iterations = std::max<uint64_t>(1, static_cast<uint64_t>(o.records / (lanes * kRecordsPerIteration)));
  uint64_t records = 0, bytes = 0;
  nlohmann::json files = nlohmann::json::array();
  for (uint32_t p = 0; p < o.processes; ++p) {
    std::string path = o.out_dir + "/holdup-bench-" + std::to_string(p) + ".trace";
    std::string error;
    ProcessTrace trace(o, p);
    uint64_t n = trace.write(iterations, path, &error);
    if (n == 0) {
      std::fprintf(stderr, "holdup-bench-gen: %s\n", error.c_str());
      return 1;
    }
    records += n;
    bytes += trace.bytes();
    files.push_back(path);
    std::fprintf(stderr, "holdup-bench-gen: %u/%u files, %llu records\n", p + 1, o.processes,
                 static_cast<unsigned long long>(records));
  }
  const double seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
  nlohmann::json out = {{"tool", "holdup-bench-gen"}, {"records", records},     {"bytes", bytes},
                        {"processes", o.processes},   {"streams", o.streams},   {"iterations_per_stream", iterations},
                        {"held_share", o.held_share}, {"seconds", seconds},     {"files", files}};
  std::printf("%s\n", out.dump().c_str());
  return 0;
}
