// The model: merging processes by physical GPU, hosts, NVTX ranges, and
// the compactness of per-record structs.

#include <gtest/gtest.h>

#include "holdup/analysis.h"
#include "synthetic_trace.h"
#include "holdup/trace.pb.h"

namespace holdup::testing {
namespace {

TEST(Model, ProcessesMergeByGpuUuid) {
  SyntheticTrace a(100, "GPU-same");
  SyntheticTrace b(200, "GPU-same");
  SyntheticTrace c(300, "");  // no uuid: a GPU of its own
  c.chunk().mutable_device(0)->clear_uuid();
  a.kernel("ka", 100, 200, kComputeStream, 2, a.launch(90, 95));
  b.kernel("kb", 100, 200, kComputeStream, 2, b.launch(90, 95));
  c.kernel("kc", 100, 200, kComputeStream, 2, c.launch(90, 95));
  auto model = build_model({{a.chunk()}, {b.chunk()}, {c.chunk()}});
  ASSERT_EQ(model.processes.size(), 3u);
  ASSERT_EQ(model.gpus.size(), 2u);
  EXPECT_EQ(model.gpus[0].uuid, "GPU-same");
  EXPECT_EQ(model.gpus[0].members.size(), 2u);
  EXPECT_EQ(model.gpus[0].ops_by_start.size(), 2u);
  EXPECT_TRUE(model.gpus[1].uuid.empty());
  EXPECT_EQ(model.ops[2].gpu, 1u);
  EXPECT_TRUE(model.warnings.empty());
}

TEST(Model, SeveralHostsAreWarnedAbout) {
  SyntheticTrace a(100, "GPU-a", "node1");
  SyntheticTrace b(100, "GPU-b", "node2");
  auto model = build_model({{a.chunk()}, {b.chunk()}});
  EXPECT_EQ(model.hosts.size(), 2u);
  ASSERT_EQ(model.warnings.size(), 1u);
  EXPECT_NE(model.warnings[0].find("node1, node2"), std::string::npos);
}

TEST(Model, NvtxRangesPairStartAndEnd) {
  SyntheticTrace t(100);
  auto add = [&](uint32_t flags, double at, uint64_t id, const char* name) {
    auto* m = t.chunk().add_marker();
    m->set_flags(flags);
    m->set_timestamp_ns(at_us(at));
    m->set_id(id);
    m->set_thread_id(1);
    if (name) m->set_name_iid(t.str(name));
  };
  add(2, 10, 1, "step");
  add(4, 50, 1, nullptr);
  add(2, 60, 2, "open");
  auto model = build_model({{t.chunk()}});
  ASSERT_EQ(model.nvtx_ranges.size(), 2u);
  EXPECT_EQ(model.name(model.nvtx_ranges[0].name), "step");
  EXPECT_EQ(model.nvtx_ranges[0].end_ns, at_us(50));
  EXPECT_EQ(model.name(model.nvtx_ranges[1].name), "open");  // never closed: runs to the end
}

TEST(Model, InternedStringsAreSharedAcrossTraces) {
  SyntheticTrace a(100);
  SyntheticTrace b(200);
  a.kernel("same_name", 100, 200, kComputeStream, 2, a.launch(90, 95));
  b.kernel("same_name", 100, 200, kComputeStream, 2, b.launch(90, 95));
  auto model = build_model({{a.chunk()}, {b.chunk()}});
  ASSERT_EQ(model.ops.size(), 2u);
  EXPECT_EQ(model.ops[0].name, model.ops[1].name);
  EXPECT_EQ(model.name(model.ops[0].name), "same_name") << "both resolved, not both unresolved";
  EXPECT_NE(model.processes[model.ops[0].process].pid, model.processes[model.ops[1].process].pid);
}

// A corrupt file defines one string id twice: records read before the second
// definition keep the first name, later ones get the second, and nothing else
// that shares the first name changes (under ASan, tests/fuzz/model/regressions
// also shows the pool reads no freed memory).
TEST(Model, StringIdDefinedTwiceRenamesOnlyLaterRecords) {
  SyntheticTrace a(100);
  SyntheticTrace b(200);
  a.kernel("first", 100, 200, kComputeStream, 2, a.launch(90, 95));
  b.kernel("first", 100, 200, kComputeStream, 2, b.launch(90, 95));
  proto::Chunk again;
  again.set_sequence(1);
  auto* s = again.add_string();
  s->set_iid(a.str("first"));
  s->set_value("second");
  auto* k = again.add_kernel();
  *k = a.chunk().kernel(0);
  k->set_start_ns(at_us(300));
  k->set_end_ns(at_us(400));
  auto model = build_model({{a.chunk(), again}, {b.chunk()}});
  std::vector<std::string> names;  // by process, then start
  for (uint32_t p : {0u, 1u}) {
    for (const auto& op : model.ops) {
      if (op.process == p) names.emplace_back(model.name(op.name));
    }
  }
  EXPECT_EQ(names, (std::vector<std::string>{"first", "second", "first"}));
}

TEST(Model, RecordsAreCompact) {
  EXPECT_LE(sizeof(analysis::GpuOp), 96u);
  EXPECT_LE(sizeof(analysis::ApiCall), 48u);
}

}  // namespace
}  // namespace holdup::testing

namespace holdup::testing {
namespace {

// Many records on few streams and threads: the analysis must stay linear
// (a quadratic join or lookup would make this test crawl). No timing is
// asserted.
TEST(Scale, ManyCopiesOnOneStream) {
  SyntheticTrace t(100);
  constexpr int kCopies = 100'000;
  for (int i = 0; i < kCopies; ++i) {
    const double base = i * 100.0;
    t.kernel("k", base, base + 60, kComputeStream, 2, t.launch(base - 5, base - 3));
    const uint32_t copy = t.api("cudaMemcpyAsync", base + 1, base + 3, 2);
    // Every tenth copy is held 70 us behind nothing: flagged, unknown.
    const double start = base + (i % 10 == 0 ? 75 : 5);
    t.memcpy(proto::HTOD, start, start + 10, kCopyStream, 3, proto::CHANNEL_TYPE_ASYNC_MEMCPY, copy);
  }
  auto model = build_model({{t.chunk()}});
  analysis::AnalysisOptions options;
  options.threshold_ns = 50'000;  // the held copies' 70 us must pass it
  auto a = analysis::analyze(model, options);
  ASSERT_EQ(a.copies.size(), static_cast<size_t>(kCopies));
  EXPECT_EQ(a.details.size(), static_cast<size_t>(kCopies / 10));
}

}  // namespace
}  // namespace holdup::testing
