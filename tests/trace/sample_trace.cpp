#include "sample_trace.h"

#include <gtest/gtest.h>

#include <filesystem>
#include <random>

#include <unistd.h>

#include "trace_builder.h"

namespace holdup::testing {

proto::ProcessHeader sample_header() {
  proto::ProcessHeader h;
  h.set_magic("holdup-trace");
  h.set_format_version(proto::FORMAT_VERSION_1);
  h.set_tool_version("0.1.0");
  h.set_hostname("gpu-node-7");
  h.set_pid(4242);
  h.set_parent_pid(4200);
  h.add_command_line("./proxy_demo");
  h.add_command_line("--iters=3");
  (*h.mutable_rank_env())["RANK"] = "1";
  (*h.mutable_scheduling_env())["CUDA_MODULE_LOADING"] = "LAZY";
  h.set_start_time_unix_ns(kSampleT0 - 5'000'000);
  h.set_cupti_clock("cupti-default");
  h.set_cuda_driver_version(13000);
  h.set_cuda_runtime_version(12090);
  h.set_cupti_api_version(130000);
  h.set_cupti_build_api_version(130000);
  auto* dev = h.add_device_identity();
  dev->set_ordinal(0);
  dev->set_uuid("GPU-11111111-2222-3333-4444-555555555555");
  dev->set_pci_bus_id("0000:18:00.0");
  dev->set_name("NVIDIA H100 80GB HBM3");
  auto* config = h.mutable_config();
  config->set_flush_period_ms(100);
  config->set_buffer_size_bytes(1 << 20);
  config->set_buffer_count(64);
  config->add_enabled_kinds("CONCURRENT_KERNEL");
  config->add_enabled_kinds("MEMCPY");
  h.set_driver_version_string("580.159.04");
  return h;
}

proto::Chunk bare_chunk(uint64_t sequence) {
  proto::Chunk chunk;
  chunk.set_sequence(sequence);
  return chunk;
}

std::vector<proto::Chunk> sample_chunks() {
  const uint64_t t = kSampleT0;
  std::vector<proto::Chunk> chunks(3);

  auto& c0 = chunks[0];
  c0.set_sequence(0);
  *c0.mutable_header() = sample_header();
  c0.mutable_health()->set_records(7);
  c0.mutable_health()->set_buffers_requested(2);
  c0.mutable_health()->set_buffers_completed(1);
  auto add_string = [](proto::Chunk& c, uint64_t iid, const char* value) {
    auto* s = c.add_string();
    s->set_iid(iid);
    s->set_value(value);
  };
  add_string(c0, 1, "_Z7kernel0Pf");
  add_string(c0, 2, "_Z7kernel1Pf");
  add_string(c0, 3, "cudaLaunchKernel");
  add_string(c0, 4, "cudaMemcpyAsync");
  auto* device = c0.add_device();
  device->set_id(0);
  device->set_name("NVIDIA H100 80GB HBM3");
  device->set_num_multiprocessors(132);
  device->set_num_memcpy_engines(3);
  auto* context = c0.add_context();
  context->set_context_id(1);
  context->set_device_id(0);
  context->set_null_stream_id(7);
  for (uint32_t id : {13u, 14u}) {
    auto* stream = c0.add_stream();
    stream->set_context_id(1);
    stream->set_stream_id(id);
    stream->set_flag(2);
  }
  auto add_kernel = [&](proto::Chunk& c, uint64_t start, uint64_t end, uint32_t corr, uint64_t name) {
    auto* k = c.add_kernel();
    k->set_start_ns(start);
    k->set_end_ns(end);
    k->set_queued_ns(start - 1000);
    k->set_submitted_ns(start - 500);
    k->set_device_id(0);
    k->set_context_id(1);
    k->set_stream_id(13);
    k->set_correlation_id(corr);
    k->set_channel_id(2);
    k->set_channel_type(proto::CHANNEL_TYPE_COMPUTE);
    k->set_name_iid(name);
    k->set_grid_x(1056);
    k->set_grid_y(1);
    k->set_grid_z(1);
    k->set_block_x(256);
    k->set_block_y(1);
    k->set_block_z(1);
  };
  // Kernel1 first in the chunk: dump sorts by time.
  add_kernel(c0, t + 4'000'000, t + 8'000'000, 11, 2);
  add_kernel(c0, t, t + 4'000'000, 10, 1);
  auto add_api = [&](proto::Chunk& c, uint64_t start, uint64_t end, uint32_t corr, uint64_t name) {
    auto* a = c.add_api();
    a->set_domain(proto::ApiCall::RUNTIME);
    a->set_cbid(211);
    a->set_name_iid(name);
    a->set_start_ns(start);
    a->set_end_ns(end);
    a->set_thread_id(5001);
    a->set_correlation_id(corr);
    a->set_process_id(4242);
  };
  add_api(c0, t - 20'000, t - 15'000, 10, 3);
  add_api(c0, t - 14'000, t - 9'000, 11, 3);
  add_api(c0, t + 1'000'000, t + 1'010'000, 12, 4);
  auto* launch = c0.add_launch();
  launch->set_correlation_id(11);
  launch->set_thread_id(5001);
  launch->set_context_id(1);
  launch->set_function_handle(0xabc);
  launch->set_function_name_iid(2);
  launch->set_first_launch(true);
  launch->set_api_enter_ns(t - 14'000);
  auto* overhead = c0.add_overhead();
  overhead->set_kind(proto::LAZY_FUNCTION_LOADING);
  overhead->set_start_ns(t - 13'000);
  overhead->set_end_ns(t - 10'000);
  overhead->set_correlation_id(11);
  overhead->set_object_kind(2);
  overhead->set_process_id(4242);
  overhead->set_thread_id(5001);

  auto& c1 = chunks[1];
  c1.set_sequence(1);
  c1.mutable_health()->set_records(14);
  c1.mutable_health()->set_buffers_requested(3);
  c1.mutable_health()->set_buffers_completed(2);
  auto* copy = c1.add_memcpy();
  copy->set_start_ns(t + 8'010'000);
  copy->set_end_ns(t + 8'110'000);
  copy->set_copy_kind(proto::DTOD);
  copy->set_src_kind(proto::DEVICE);
  copy->set_dst_kind(proto::DEVICE);
  copy->set_flags(1);
  copy->set_bytes(64 << 20);
  copy->set_device_id(0);
  copy->set_context_id(1);
  copy->set_stream_id(14);
  copy->set_correlation_id(12);
  copy->set_channel_id(1);
  copy->set_channel_type(proto::CHANNEL_TYPE_COMPUTE);
  auto* peer = c1.add_memcpy();
  peer->set_start_ns(t + 8'200'000);
  peer->set_end_ns(t + 8'300'000);
  peer->set_copy_kind(proto::PTOP);
  peer->set_bytes(1 << 20);
  peer->set_device_id(0);
  peer->set_context_id(1);
  peer->set_stream_id(14);
  peer->set_correlation_id(13);
  peer->set_channel_id(5);
  peer->set_channel_type(proto::CHANNEL_TYPE_ASYNC_MEMCPY);
  peer->set_is_peer(true);
  peer->set_src_device_id(0);
  peer->set_dst_device_id(1);
  auto* memset = c1.add_memset();
  memset->set_start_ns(t + 8'400'000);
  memset->set_end_ns(t + 8'410'000);
  memset->set_bytes(4096);
  memset->set_device_id(0);
  memset->set_context_id(1);
  memset->set_stream_id(13);
  memset->set_correlation_id(14);
  memset->set_channel_id(2);
  memset->set_channel_type(proto::CHANNEL_TYPE_COMPUTE);
  auto* sync = c1.add_synchronization();
  sync->set_type(proto::STREAM_SYNCHRONIZE);
  sync->set_start_ns(t + 8'500'000);
  sync->set_end_ns(t + 8'600'000);
  sync->set_correlation_id(15);
  sync->set_context_id(1);
  sync->set_stream_id(14);
  auto* event = c1.add_cuda_event();
  event->set_correlation_id(16);
  event->set_context_id(1);
  event->set_stream_id(13);
  event->set_event_id(3);
  event->set_device_id(0);
  event->set_device_timestamp_ns(t + 8'700'000);
  event->set_cuda_event_sync_id(99);
  add_string(c1, 5, "iteration");
  add_string(c1, 6, "proxy");
  auto* marker = c1.add_marker();
  marker->set_flags(2);
  marker->set_timestamp_ns(t + 100);
  marker->set_id(1);
  marker->set_thread_id(5001);
  marker->set_name_iid(5);
  auto* thread = c1.add_thread_name();
  thread->set_thread_id(5002);
  thread->set_name_iid(6);
  thread->set_source(proto::ThreadName::PROC_COMM);
  auto* module = c1.add_module();
  module->set_kind(proto::ModuleEvent::LOADED);
  module->set_time_ns(t - 30'000);
  module->set_context_id(1);
  module->set_object_id(1);
  module->set_size_bytes(123456);
  auto* clock = c1.add_clock();
  clock->set_cupti_ns(t);
  clock->set_realtime_ns(t);
  clock->set_monotonic_ns(1000);
  auto* note = c1.add_note();
  note->set_severity(proto::Note::INFO);
  note->set_time_ns(t + 8'000'000);
  note->set_code("sample-note");
  note->set_message("a note from the sample");

  auto& c2 = chunks[2];
  c2.set_sequence(2);
  add_kernel(c2, t + 9'000'000, t + 10'000'000, 17, 1);
  auto* health = c2.mutable_health();
  health->set_records(15);
  health->set_buffers_requested(3);
  health->set_buffers_completed(3);
  health->set_bytes_written(4096);
  return chunks;
}

void write_sample_trace(const std::string& path) {
  std::string error;
  ASSERT_TRUE(write_trace_file(path, sample_chunks(), &error)) << error;
}

std::string make_temp_dir(const std::string& tag) {
  std::random_device random;
  auto dir = std::filesystem::temp_directory_path() /
             ("holdup-test-" + tag + "-" + std::to_string(::getpid()) + "-" + std::to_string(random()));
  std::filesystem::create_directories(dir);
  return dir.string();
}

}  // namespace holdup::testing
