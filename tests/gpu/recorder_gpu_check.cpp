// Checks a trace recorded on a GPU machine from recorder_smoke (see
// run_recorder_checks.sh). Skipped unless HOLDUP_GPU_TRACE_DIR names a
// directory holding smoke.json and the smoke program's *.trace. Needs no
// GPU itself: it only reads files.

#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <iostream>
#include <iterator>
#include <algorithm>
#include <map>
#include <set>

#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include "holdup/trace.pb.h"

namespace {

namespace fs = std::filesystem;
namespace pb = holdup::proto;

struct Loaded {
  pb::TraceFile trace;
  std::map<uint64_t, std::string> strings;
};

bool load(const fs::path& path, Loaded* out) {
  std::ifstream in(path, std::ios::binary);
  std::string bytes((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  if (!out->trace.ParseFromString(bytes)) return false;
  for (const auto& c : out->trace.chunk())
    for (const auto& s : c.string()) out->strings[s.iid()] = s.value();
  return true;
}

TEST(RecorderOnGpu, SmokeTraceIsComplete) {
  const char* dir_env = std::getenv("HOLDUP_GPU_TRACE_DIR");
  if (dir_env == nullptr) GTEST_SKIP() << "HOLDUP_GPU_TRACE_DIR not set (run tests/gpu/run_recorder_checks.sh on a GPU)";
  const fs::path dir = dir_env;
  ASSERT_TRUE(fs::exists(dir / "smoke.json")) << dir;
  nlohmann::json did = nlohmann::json::parse(std::ifstream(dir / "smoke.json"));

  Loaded t;
  bool found = false;
  for (const auto& e : fs::directory_iterator(dir)) {
    if (e.path().extension() != ".trace") continue;
    Loaded candidate;
    ASSERT_TRUE(load(e.path(), &candidate)) << e.path() << " does not parse";
    // Issue 21: a CRC32C after every chunk (the reader verifies them).
    EXPECT_EQ(candidate.trace.chunk_crc32c_size(), candidate.trace.chunk_size()) << e.path();
    if (candidate.trace.chunk_size() > 0 && candidate.trace.chunk(0).header().pid() == did["pid"].get<uint32_t>()) {
      t = std::move(candidate);
      found = true;
    }
  }
  ASSERT_TRUE(found) << "no trace of pid " << did["pid"] << " in " << dir;
  const auto& header = t.trace.chunk(0).header();
  EXPECT_EQ(header.magic(), "holdup-trace");
  ASSERT_GE(header.device_identity_size(), 1) << "no device identity in the header";
  EXPECT_EQ(header.device_identity(0).uuid().rfind("GPU-", 0), 0u) << header.device_identity(0).uuid();
  EXPECT_FALSE(header.device_identity(0).pci_bus_id().empty());
  EXPECT_GT(header.cuda_driver_version(), 0u);

  std::map<uint32_t, const pb::ApiCall*> runtime, driver;
  std::vector<const pb::Kernel*> kernels;
  std::vector<const pb::Memcpy*> copies;
  std::vector<const pb::Memset*> memsets;
  std::set<std::string> thread_names, kernel_names, markers;
  int launches = 0, first_launches = 0, events = 0, devices = 0;
  std::vector<const pb::EventCall*> records, waits;
  for (const auto& c : t.trace.chunk()) {
    for (const auto& a : c.api()) (a.domain() == pb::ApiCall::RUNTIME ? runtime : driver)[a.correlation_id()] = &a;
    for (const auto& k : c.kernel()) {
      kernels.push_back(&k);
      kernel_names.insert(t.strings[k.name_iid()]);
    }
    for (const auto& m : c.memcpy()) copies.push_back(&m);
    for (const auto& m : c.memset()) memsets.push_back(&m);
    for (const auto& n : c.thread_name()) thread_names.insert(t.strings[n.name_iid()]);
    for (const auto& m : c.marker())
      if (m.name_iid()) markers.insert(t.strings[m.name_iid()]);
    for (const auto& l : c.launch()) {
      ++launches;
      first_launches += l.first_launch();
    }
    for (const auto& e : c.event_call()) (e.kind() == pb::EventCall::RECORD ? records : waits).push_back(&e);
    events += c.cuda_event_size();
    devices += c.device_size();
  }
  EXPECT_GE(static_cast<int>(kernels.size()), did["kernels"].get<int>());
  EXPECT_GE(static_cast<int>(copies.size()), did["copies"].get<int>());
  EXPECT_GE(static_cast<int>(memsets.size()), did["memsets"].get<int>());
  const auto& left_out = header.config().not_recorded();
  if (std::find(left_out.begin(), left_out.end(), "launch:repeat") != left_out.end()) {
    EXPECT_EQ(launches, first_launches) << "only first launches are written (the default since issue 12)";
  } else {
    EXPECT_GE(launches, did["kernels"].get<int>());
  }
  EXPECT_GE(first_launches, 2);
  // The smoke program records `ready` on one stream and makes the other wait
  // for it: the event-call callbacks see both (SYNCHRONIZATION is off by
  // default since issue 12), with CUPTI's stream ids and the same CUevent.
  EXPECT_TRUE(header.config().event_calls());
  ASSERT_GE(records.size(), 1u);
  ASSERT_GE(waits.size(), 1u);
  const pb::EventCall* wait = waits.front();
  EXPECT_NE(wait->stream_id(), 0u);
  EXPECT_NE(wait->event_handle(), 0u);
  bool recorded = false;
  for (const auto* r : records)
    recorded |= r->event_handle() == wait->event_handle() && r->stream_id() != 0 && r->stream_id() != wait->stream_id() &&
                r->time_ns() <= wait->time_ns();
  EXPECT_TRUE(recorded) << "no record of the waited event on another stream before the wait";
  const auto& kinds = header.config().enabled_kinds();
  if (std::find(kinds.begin(), kinds.end(), "CUDA_EVENT") != kinds.end()) {
    EXPECT_GE(events, 1);
  } else {
    EXPECT_EQ(events, 0) << "CUDA_EVENT is off by default since issue 12 (its records come from event calls)";
  }
  EXPECT_GE(devices, 1);
  for (const auto& want : did["kernel_names"]) {
    bool hit = false;
    for (const auto& n : kernel_names) hit |= n.find(want.get<std::string>()) != std::string::npos;
    EXPECT_TRUE(hit) << "no kernel named like " << want;
  }
  for (const auto& want : did["threads"]) EXPECT_TRUE(thread_names.count(want.get<std::string>())) << want;
  for (const auto& want : did["nvtx_ranges"]) EXPECT_TRUE(markers.count(want.get<std::string>())) << want;

  // Which API record each GPU record joins: correlationId (and for copies
  // runtimeCorrelationId) against RUNTIME and DRIVER records.
  std::map<std::string, int> joins;
  auto join = [&](const char* what, uint32_t corr) {
    bool r = runtime.count(corr) != 0, d = driver.count(corr) != 0;
    joins[std::string(what) + (r ? "+runtime" : "") + (d ? "+driver" : "") + (!r && !d ? " unjoined" : "")]++;
    return r || d;
  };
  for (const auto* k : kernels) {
    EXPECT_TRUE(join("kernel.correlation_id", k->correlation_id())) << "kernel without API record";
    EXPECT_NE(k->channel_type(), pb::CHANNEL_TYPE_INVALID);
  }
  for (const auto* m : copies) {
    EXPECT_TRUE(join("memcpy.correlation_id", m->correlation_id())) << "copy without API record";
    if (m->runtime_correlation_id() != 0) join("memcpy.runtime_correlation_id", m->runtime_correlation_id());
    EXPECT_NE(m->channel_type(), pb::CHANNEL_TYPE_INVALID);
  }
  for (const auto* m : memsets) EXPECT_TRUE(join("memset.correlation_id", m->correlation_id()));

  const auto& health = t.trace.chunk(t.trace.chunk_size() - 1).health();
  EXPECT_EQ(health.buffers_denied(), 0u);
  EXPECT_EQ(health.dropped_records(), 0u);
  EXPECT_EQ(health.unknown_records(), 0u);
  // The smoke program ends normally: a final flush at exit, every buffer
  // back and readable to its end.
  EXPECT_TRUE(health.final_chunk());
  EXPECT_EQ(health.final_flush_signal(), 0u);
  EXPECT_EQ(health.buffers_requested(), health.buffers_completed());
  EXPECT_EQ(health.buffers_cut_short(), 0u);

  std::cout << "\n  what                                   count\n";
  for (const auto& [what, n] : joins) std::cout << "  " << what << std::string(39 - std::min<size_t>(39, what.size()), ' ') << n << "\n";
  std::cout << "  kernels " << kernels.size() << ", copies " << copies.size() << ", memsets " << memsets.size()
            << ", launches " << launches << " (first " << first_launches << "), records " << health.records()
            << ", zero-ts " << health.zero_timestamp_records() << ", incomplete " << health.incomplete_records()
            << ", forced flushes " << health.forced_flushes() << ", buffers " << health.buffers_completed()
            << ", chunks " << t.trace.chunk_size() << "\n";
  for (const auto& c : t.trace.chunk())
    for (const auto& n : c.note()) std::cout << "  note " << n.code() << ": " << n.message() << "\n";
}

}  // namespace
