// Exports of fixtures and synthetic traces: the Chrome trace JSON has
// Kineto's schema and args, every flow (ac2g and holdup's) has both ends,
// its kernels and copies are those `holdup info` counts; SQLite answers the
// kernel-runtime join and a held-copies query; the HTML page is
// self-contained; the recorder's health is in every format; files are
// replaced whole.

#include <unistd.h>

#include <filesystem>
#include <fstream>
#include <map>
#include <regex>
#include <set>
#include <sstream>

#include <gtest/gtest.h>
#include <nlohmann/json.hpp>
#include <sqlite3.h>

#include "holdup/analysis_load.h"
#include "export/export.h"
#include "trace/trace_summary.h"
#include "trace_builder.h"
#include "synthetic_trace.h"
#include "holdup/trace.pb.h"

namespace holdup::testing {
namespace {

namespace fs = std::filesystem;
using nlohmann::json;

const std::string kData = HOLDUP_TEST_DATA_DIR;
const std::string kSeedLazy = kData + "/h100/seed-lazy/trace";
const std::string kTwoProcess = kData + "/corpus/h200-corpus/two-process/trace";

fs::path temp_dir(const std::string& tag) {
  const auto dir = fs::temp_directory_path() / ("holdup-export-test-" + tag + "-" + std::to_string(::getpid()));
  fs::remove_all(dir);
  fs::create_directories(dir);
  return dir;
}

std::string read_file(const fs::path& path) {
  std::ifstream in(path, std::ios::binary);
  std::ostringstream s;
  s << in.rdbuf();
  return s.str();
}

// Runs `holdup export` on `traces` into `output`; its stdout.
std::string run(const std::vector<std::string>& traces, const fs::path& output, exporting::Format format,
                const report::Filters& filters = {}, bool force = false) {
  exporting::ExportOptions o;
  o.force = force;
  o.common.traces = traces;
  o.common.filters = filters;
  o.format = format;
  o.output = output.string();
  std::ostringstream out, err;
  EXPECT_EQ(exporting::run_export(o, out, err), report::kExitOk) << err.str();
  return out.str();
}

json export_json(const std::string& trace_dir, const std::string& tag, const report::Filters& filters = {}) {
  const auto dir = temp_dir(tag);
  run({trace_dir}, dir / "out.json", exporting::Format::chrome_json, filters);
  const std::string text = read_file(dir / "out.json");
  fs::remove_all(dir);
  return json::parse(text);
}

std::map<std::string, int> count_by_cat(const json& trace) {
  std::map<std::string, int> n;
  for (const auto& e : trace["traceEvents"]) {
    if (e["ph"] == "X") ++n[e["cat"].get<std::string>()];
  }
  return n;
}

// Every flow id has one start and at least one end, per category; the
// number of flows of `cat`.
size_t check_flows(const json& trace, const std::string& cat) {
  std::map<uint64_t, int> starts, ends;
  for (const auto& e : trace["traceEvents"]) {
    if (e["ph"] != "s" && e["ph"] != "f") continue;
    if (e["cat"] != cat) continue;
    EXPECT_EQ(e["name"], cat == "ac2g" ? "ac2g" : "held behind");
    for (const char* key : {"id", "pid", "tid", "ts"}) EXPECT_TRUE(e.contains(key)) << e.dump();
    if (e["ph"] == "s") {
      ++starts[e["id"].get<uint64_t>()];
    } else {
      EXPECT_EQ(e["bp"], "e") << e.dump();
      ++ends[e["id"].get<uint64_t>()];
    }
  }
  for (const auto& [id, n] : starts) {
    EXPECT_EQ(n, 1) << cat << " flow " << id << " starts " << n << " times";
    EXPECT_TRUE(ends.count(id)) << cat << " flow " << id << " has no end";
  }
  for (const auto& [id, n] : ends) EXPECT_TRUE(starts.count(id)) << cat << " flow " << id << " has no start";
  return starts.size();
}

// Whether some X event of `trace` encloses time `ts` on (pid, tid).
bool bound(const json& trace, int64_t pid, int64_t tid, double ts) {
  for (const auto& e : trace["traceEvents"]) {
    if (e["ph"] != "X" || e["pid"] != pid || e["tid"] != tid) continue;
    const double start = e["ts"].get<double>(), end = start + e["dur"].get<double>();
    if (ts >= start && ts <= end) return true;
  }
  return false;
}

TEST(ChromeTrace, KinetoSchemaOfAFixture) {
  const auto dir = temp_dir("schema");
  run({kSeedLazy}, dir / "seed.json", exporting::Format::chrome_json);
  const std::string text = read_file(dir / "seed.json");
  fs::remove_all(dir);
  // HTA reads the rank with this pattern, line by line.
  EXPECT_TRUE(std::regex_search(text, std::regex("\"rank\":\\s+\\d+"))) << text.substr(0, 600);
  const json t = json::parse(text);
  EXPECT_EQ(t["schemaVersion"], 1);
  EXPECT_EQ(t["distributedInfo"]["rank"], 0);
  EXPECT_GT(t["baseTimeNanoseconds"].get<uint64_t>(), 0u);
  ASSERT_EQ(t["deviceProperties"].size(), 1u);
  const auto& device = t["deviceProperties"][0];
  for (const char* key : {"id", "name", "totalGlobalMem", "computeMajor", "computeMinor", "maxThreadsPerBlock",
                          "maxThreadsPerMultiprocessor", "regsPerBlock", "regsPerMultiprocessor", "warpSize",
                          "sharedMemPerBlock", "sharedMemPerMultiprocessor", "numSms"}) {
    EXPECT_TRUE(device.contains(key)) << key;
  }
  EXPECT_EQ(device["numSms"], 132);
  EXPECT_EQ(t["holdup"]["recorder_health"], "ok, nothing lost");

  std::set<std::string> cats;
  for (const auto& e : t["traceEvents"]) {
    ASSERT_TRUE(e.contains("ph") && e.contains("pid") && e.contains("name")) << e.dump();
    if (e["ph"] != "X") continue;
    for (const char* key : {"cat", "tid", "ts", "dur"}) ASSERT_TRUE(e.contains(key)) << e.dump();
    EXPECT_TRUE(e["ts"].is_number() && e["dur"].is_number()) << e.dump();
    const std::string cat = e["cat"];
    const auto& args = e["args"];
    if (cats.insert(cat).second) {
      if (cat == "kernel") {
        for (const char* key : {"queued", "device", "context", "stream", "correlation", "registers per thread",
                                "shared memory", "blocks per SM", "warps per SM", "grid", "block",
                                "est. achieved occupancy %", "channel", "channel_type"}) {
          EXPECT_TRUE(args.contains(key)) << key << " in " << e.dump();
        }
        EXPECT_EQ(args["grid"].size(), 3u);
        EXPECT_EQ(e["pid"], args["device"]);  // GPU ops: pid = device, tid = stream
        EXPECT_EQ(e["tid"], args["stream"]);
      } else if (cat == "gpu_memcpy" || cat == "gpu_memset") {
        for (const char* key : {"device", "context", "stream", "correlation", "bytes", "memory bandwidth (GB/s)",
                                "channel", "channel_type"}) {
          EXPECT_TRUE(args.contains(key)) << key << " in " << e.dump();
        }
        EXPECT_TRUE(e["name"].get<std::string>().starts_with(cat == "gpu_memcpy" ? "Memcpy " : "Memset ("));
      } else if (cat == "cuda_runtime" || cat == "cuda_driver") {
        EXPECT_TRUE(args.contains("correlation"));
        EXPECT_EQ(e["pid"], 1498);  // API calls: pid = process, tid = thread
      } else if (cat == "cuda_sync") {
        EXPECT_TRUE(args.contains("cuda_sync_kind") && args.contains("stream") && args.contains("correlation"));
      }
    }
  }
  for (const char* cat : {"kernel", "gpu_memcpy", "gpu_memset", "cuda_runtime", "cuda_driver", "cuda_sync", "overhead",
                          "holdup"}) {
    EXPECT_TRUE(cats.count(cat)) << cat;
  }
  // Process and thread names.
  std::set<std::string> meta;
  for (const auto& e : t["traceEvents"]) {
    if (e["ph"] == "M") meta.insert(e["name"].get<std::string>());
  }
  for (const char* m : {"process_name", "process_labels", "process_sort_index", "thread_name", "thread_sort_index"}) {
    EXPECT_TRUE(meta.count(m)) << m;
  }
}

// Recorded without SYNCHRONIZATION (the default since issue 12): the stream
// waits come from EventCall records and reach the export as Kineto's
// "Stream Wait Event" cuda_sync events, with the stream and the event-record
// call they wait on, as SYNCHRONIZATION records would.
TEST(ChromeTrace, StreamWaitsFromEventCalls) {
  const json t = export_json(kData + "/corpus/h200-corpus-event-calls/wait-stream/trace", "event-calls");
  int waits = 0, joined = 0;
  for (const auto& e : t["traceEvents"]) {
    if (e["ph"] != "X" || e["cat"] != "cuda_sync" || e["name"] != "Stream Wait Event") continue;
    ++waits;
    const auto& args = e["args"];
    if (args["wait_on_stream"].get<int64_t>() >= 0 && args["wait_on_cuda_event_record_corr_id"].get<int64_t>() > 0 &&
        args["wait_on_stream"] != args["stream"])
      ++joined;
  }
  EXPECT_GE(waits, 12);
  EXPECT_EQ(joined, waits);
}

TEST(ChromeTrace, KernelsAndCopiesAreThoseHoldupInfoCounts) {
  for (const auto& dir : {kSeedLazy, kData + "/corpus/h200-corpus/gemm-side-copy/trace"}) {
    std::vector<std::string> errors;
    const auto files = analysis::expand_trace_paths({dir}, &errors);
    ASSERT_EQ(files.size(), 1u);
    const auto summary = summarize_trace(files[0]);  // what `holdup info` prints
    ASSERT_EQ(summary.incomplete_gpu_records, 0u);
    const auto n = count_by_cat(export_json(dir, "counts"));
    EXPECT_EQ(n.count("kernel") ? n.at("kernel") : 0, static_cast<int>(summary.count(RecordKind::kernel))) << dir;
    EXPECT_EQ(n.count("gpu_memcpy") ? n.at("gpu_memcpy") : 0, static_cast<int>(summary.count(RecordKind::memcpy)))
        << dir;
    EXPECT_EQ(n.count("gpu_memset") ? n.at("gpu_memset") : 0, static_cast<int>(summary.count(RecordKind::memset)))
        << dir;
  }
}

TEST(ChromeTrace, FlowsHaveBothEnds) {
  const json t = export_json(kSeedLazy, "flows");
  // ac2g: one per launch or copy (and synchronization), as Kineto links them.
  EXPECT_GE(check_flows(t, "ac2g"), 30u);
  // holdup: one per blocker of each held copy (2 copies, 3 blockers each).
  EXPECT_EQ(check_flows(t, "holdup"), 6u);
  // Each end lies on a slice of its track (flows bind to slices).
  for (const auto& e : t["traceEvents"]) {
    if (e["ph"] == "s" || e["ph"] == "f") {
      EXPECT_TRUE(bound(t, e["pid"], e["tid"], e["ts"].get<double>())) << e.dump();
    }
  }
}

TEST(ChromeTrace, HeldSlicesNameTheCauseBesideTheCopysStream) {
  const json t = export_json(kSeedLazy, "held");
  int held = 0;
  std::map<int64_t, std::string> thread_names;
  for (const auto& e : t["traceEvents"]) {
    if (e["ph"] == "M" && e["name"] == "thread_name" && e["pid"] == 0) thread_names[e["tid"]] = e["args"]["name"];
  }
  for (const auto& e : t["traceEvents"]) {
    if (e["ph"] != "X" || e["cat"] != "holdup") continue;
    ++held;
    EXPECT_EQ(e["name"], "device-wide-barrier");
    const auto& args = e["args"];
    EXPECT_EQ(args["cause"], "device-wide-barrier");
    EXPECT_FALSE(args.contains("stream")) << "HTA would take it for a GPU op";
    ASSERT_GE(args["signals"].size(), 2u);
    std::set<std::string> codes;
    for (const auto& s : args["signals"]) {
      codes.insert(s["code"].get<std::string>());
      EXPECT_FALSE(s["text"].get<std::string>().empty());
    }
    EXPECT_TRUE(codes.count("barrier.lazy-function-load"));
    EXPECT_NE(args["remedy"].get<std::string>().find("CUDA_MODULE_LOADING=EAGER"), std::string::npos);
    EXPECT_GT(e["dur"].get<double>(), 5000.0);  // held 5.9 ms / 5.8 ms
    EXPECT_EQ(thread_names[e["tid"].get<int64_t>()], "stream 14 - holdup: held");
  }
  EXPECT_EQ(held, 2);
}

// A synthetic trace whose recorder lost records: the export says so.
SyntheticTrace lossy_trace() {
  SyntheticTrace t(100);
  t.normal_calls("cudaMemcpyAsync", 4, 5, 2);
  t.kernel("k0", 100, 1100, kComputeStream, 2, t.launch(90, 95));
  const uint32_t copy = t.api("cudaMemcpyAsync", 222, 227, 2, 20);
  t.memcpy(proto::DTOD, 2110, 2200, kCopyStream, 1, proto::CHANNEL_TYPE_COMPUTE, copy);
  t.kernel("k1", 1100, 2100, kComputeStream, 2, t.launch(210, 215));
  const uint32_t k2 = t.launch(220, 260);
  t.overhead(proto::LAZY_FUNCTION_LOADING, 225, 255, k2, 1);
  t.kernel("k2", 2100, 3100, kComputeStream, 2, k2);
  t.chunk().mutable_health()->set_dropped_records(7);
  t.chunk().mutable_health()->set_other_subscriber(true);
  t.nvtx_range("step", 1, 150, 300, 2);  // around the copy's call
  return t;
}

struct Synthetic {
  analysis::Model model;
  analysis::Analysis analysis;
  exporting::Input input;
  explicit Synthetic(SyntheticTrace t) {
    model = build_model({{t.chunk()}});
    analysis = analysis::analyze(model);
    std::string error;
    input.analysis = &analysis;
    input.selection = report::select_copies(analysis, {}, &error);
  }
};

TEST(ChromeTrace, RecorderHealthTravelsWithTheTrace) {
  Synthetic s(lossy_trace());
  std::ostringstream out;
  exporting::write_chrome_trace(s.input, 0, {0, 1, "position"}, out);
  const json t = json::parse(out.str());
  const auto& problems = t["holdup"]["problems"];
  ASSERT_GE(problems.size(), 2u);
  EXPECT_NE(problems.dump().find("CUPTI dropped 7 records"), std::string::npos);
  EXPECT_NE(problems.dump().find("another CUPTI client"), std::string::npos);
  EXPECT_EQ(t["holdup"]["health"]["dropped_records"], 7);
  bool marker = false, label = false;
  for (const auto& e : t["traceEvents"]) {
    if (e["ph"] == "i" && e["cat"] == "holdup") {
      marker = true;
      EXPECT_NE(e["name"].get<std::string>().find("lost records"), std::string::npos);
      EXPECT_EQ(e["args"]["problems"], problems);
    }
    if (e["ph"] == "M" && e["name"] == "process_labels" && e["pid"] == 100) {
      label = e["args"]["labels"].get<std::string>().find("problem") != std::string::npos;
    }
  }
  EXPECT_TRUE(marker);
  EXPECT_TRUE(label);
  // The NVTX range, on its thread.
  int ranges = 0;
  for (const auto& e : t["traceEvents"]) {
    if (e["ph"] == "X" && e["cat"] == "user_annotation") {
      ++ranges;
      EXPECT_EQ(e["name"], "step");
      EXPECT_EQ(e["pid"], 100);
      EXPECT_DOUBLE_EQ(e["dur"].get<double>(), 150.0);
    }
  }
  EXPECT_EQ(ranges, 1);
}

TEST(ChromeTrace, SeveralTracesGoToADirectoryWithDistinctRanks) {
  const auto dir = temp_dir("several");
  const std::string out = run({kTwoProcess}, dir / "out", exporting::Format::chrome_json);
  std::set<int> ranks;
  size_t files = 0, references = 0;
  for (const auto& entry : fs::directory_iterator(dir / "out")) {
    ASSERT_EQ(entry.path().extension(), ".json") << entry.path();
    ++files;
    const json t = json::parse(read_file(entry.path()));
    ranks.insert(t["distributedInfo"]["rank"].get<int>());
    check_flows(t, "ac2g");
    check_flows(t, "holdup");
    for (const auto& e : t["traceEvents"]) {
      if (e["ph"] == "X" && e["cat"] == "holdup" && e["args"].contains("reference")) ++references;
    }
  }
  EXPECT_EQ(files, 2u) << out;
  EXPECT_EQ(ranks, (std::set<int>{0, 1}));
  // Copies of one process held behind the other's kernels: those kernels are
  // drawn in the held copy's file so that the flows have both ends.
  EXPECT_GT(references, 0u);
  fs::remove_all(dir);
}

TEST(ChromeTrace, FiltersChooseProcessesCopiesAndWindow) {
  const auto dir = temp_dir("filters");
  report::Filters f;
  f.pids = {3729};  // the measuring process of the two-process fixture (re-recorded 2026-12-02)
  run({kTwoProcess}, dir / "one.json", exporting::Format::chrome_json, f);
  EXPECT_TRUE(fs::is_regular_file(dir / "one.json"));  // one process exported: a file
  EXPECT_EQ(json::parse(read_file(dir / "one.json"))["holdup"]["pid"], 3729);

  const json all = export_json(kSeedLazy, "all");
  report::Filters window;
  window.from_us = 120'000;
  window.to_us = 125'000;
  const json part = export_json(kSeedLazy, "window", window);
  EXPECT_LT(part["traceEvents"].size(), all["traceEvents"].size());
  EXPECT_TRUE(part["holdup"].contains("window_ns"));
  EXPECT_EQ(count_by_cat(part)["holdup"], 2);  // both held copies issued in the window, with their blockers
  check_flows(part, "holdup");
  check_flows(part, "ac2g");

  report::Filters kinds;
  kinds.kinds = {"htod"};
  EXPECT_EQ(count_by_cat(export_json(kSeedLazy, "kind", kinds))["holdup"], 1);  // the held htod copy only
  fs::remove_all(dir);
}

TEST(Export, ReplacesAnExistingFileWholeWithForce) {
  const auto dir = temp_dir("replace");
  {
    std::ofstream old(dir / "x.json");
    old << "old";
  }
  run({kSeedLazy}, dir / "x.json", exporting::Format::chrome_json, {}, true);
  EXPECT_NO_THROW(json::parse(read_file(dir / "x.json")));
  run({kSeedLazy}, dir / "x.sqlite", exporting::Format::sqlite);
  run({kSeedLazy}, dir / "x.sqlite", exporting::Format::sqlite, {}, true);  // over the first
  size_t entries = 0;
  for (const auto& e : fs::directory_iterator(dir)) {
    ++entries;
    EXPECT_EQ(e.path().filename().string().find(".tmp"), std::string::npos) << e.path();
  }
  EXPECT_EQ(entries, 2u);
  fs::remove_all(dir);
}

// --- SQLite ----------------------------------------------------------------

class Db {
 public:
  explicit Db(const fs::path& path) { EXPECT_EQ(sqlite3_open_v2(path.c_str(), &db_, SQLITE_OPEN_READONLY, nullptr), SQLITE_OK); }
  ~Db() { sqlite3_close(db_); }
  // Rows of `sql`, each column as text ("" for NULL).
  std::vector<std::vector<std::string>> query(const std::string& sql) {
    std::vector<std::vector<std::string>> rows;
    sqlite3_stmt* stmt = nullptr;
    EXPECT_EQ(sqlite3_prepare_v2(db_, sql.c_str(), -1, &stmt, nullptr), SQLITE_OK) << sqlite3_errmsg(db_) << "\n" << sql;
    while (stmt && sqlite3_step(stmt) == SQLITE_ROW) {
      std::vector<std::string> row;
      for (int c = 0; c < sqlite3_column_count(stmt); ++c) {
        const auto* text = sqlite3_column_text(stmt, c);
        row.emplace_back(text ? reinterpret_cast<const char*>(text) : "");
      }
      rows.push_back(std::move(row));
    }
    sqlite3_finalize(stmt);
    return rows;
  }
  std::string one(const std::string& sql) {
    auto rows = query(sql);
    return rows.empty() || rows[0].empty() ? std::string("<none>") : rows[0][0];
  }

 private:
  sqlite3* db_ = nullptr;
};

TEST(Sqlite, KernelRuntimeJoinOnCorrelationId) {
  const auto dir = temp_dir("sqlite-join");
  run({kSeedLazy}, dir / "seed.sqlite", exporting::Format::sqlite);
  Db db(dir / "seed.sqlite");
  // The classic nsys query: each kernel with the API call that launched it.
  const auto rows = db.query(R"SQL(
    SELECT k.correlationId, kn.value, rn.value, k.start - r.start, r.globalTid / 0x1000000 % 0x1000000,
           r.globalTid % 0x1000000
    FROM CUPTI_ACTIVITY_KIND_KERNEL AS k
    JOIN CUPTI_ACTIVITY_KIND_RUNTIME AS r
      ON r.correlationId = k.correlationId
     AND r.globalTid / 0x1000000 % 0x1000000 = k.globalPid / 0x1000000 % 0x1000000
    JOIN StringIds AS kn ON kn.id = k.shortName
    JOIN StringIds AS rn ON rn.id = r.nameId
    ORDER BY k.start)SQL");
  ASSERT_EQ(rows.size(), 12u);  // every kernel of the trace (holdup info: kernel 12)
  EXPECT_EQ(rows[0][1], "Kernel0");
  EXPECT_EQ(rows[0][2], "cudaLaunchKernel");
  EXPECT_EQ(rows[0][4], "1498");  // pid and thread from globalTid, as nsys encodes them
  EXPECT_EQ(rows[0][5], "1498");
  for (const auto& r : rows) EXPECT_GT(std::stoll(r[3]), 0) << "a kernel starts after its launch";
  EXPECT_EQ(db.one("SELECT count(*) FROM CUPTI_ACTIVITY_KIND_MEMCPY"), "15");
  EXPECT_EQ(db.one("SELECT count(*) FROM CUPTI_ACTIVITY_KIND_MEMSET"), "3");
  EXPECT_EQ(db.one("SELECT s.value FROM CUPTI_ACTIVITY_KIND_KERNEL k JOIN StringIds s ON s.id = k.demangledName "
                   "ORDER BY k.start LIMIT 1"),
            "holdup::workload::Kernel0(unsigned long long, holdup::workload::MailboxSlot*, unsigned long long)");
  EXPECT_EQ(db.one("SELECT name || ' ' || uuid || ' ' || smCount FROM TARGET_INFO_GPU"),
            "NVIDIA H100 80GB HBM3 GPU-7ac44925-6923-5b37-3b9e-a630b6670909 132");
  EXPECT_EQ(db.one("SELECT label FROM ENUM_CUDA_MEMCPY_OPER e JOIN CUPTI_ACTIVITY_KIND_MEMCPY m ON m.copyKind = e.id "
                   "WHERE m.bytes = 67108864 LIMIT 1"),
            "DtoD");
  fs::remove_all(dir);
}

TEST(Sqlite, HeldCopiesWithTheirCauseSignalsAndRecords) {
  const auto dir = temp_dir("sqlite-held");
  run({kSeedLazy}, dir / "seed.sqlite", exporting::Format::sqlite);
  Db db(dir / "seed.sqlite");
  const auto held = db.query(R"SQL(
    SELECT c.copyId, c.kind, c.cause, c.heldNs, m.correlationId, c.issueToStartNs,
           c.apiNs + c.streamOrderNs + c.dependencyNs + c.heldNs + c.burstNs
    FROM HOLDUP_HELD_COPIES AS c
    JOIN CUPTI_ACTIVITY_KIND_MEMCPY AS m ON m.rowid = c.opRowId
    ORDER BY c.heldNs DESC)SQL");
  ASSERT_EQ(held.size(), 2u);
  EXPECT_EQ(held[0][1], "dtod");
  EXPECT_EQ(held[0][2], "device-wide-barrier");
  EXPECT_EQ(held[0][3], "5942589");
  EXPECT_EQ(held[0][4], "204");
  EXPECT_EQ(held[0][5], held[0][6]) << "the split sums to issue-to-start";
  // The primary finding's signals, with their codes.
  const auto signals = db.query("SELECT s.code FROM HOLDUP_SIGNALS s JOIN HOLDUP_FINDINGS f ON f.findingId = "
                                "s.findingId WHERE f.copyId = " + held[0][0] + " AND f.primaryCause = 1");
  ASSERT_EQ(signals.size(), 2u);
  EXPECT_EQ(signals[0][0], "barrier.lazy-function-load");
  EXPECT_EQ(signals[1][0], "barrier.drained");
  // The blockers point at rows of this file: the lazy-loading launch.
  EXPECT_EQ(db.one("SELECT r.correlationId || ' ' || n.value FROM HOLDUP_RECORDS h "
                   "JOIN CUPTI_ACTIVITY_KIND_RUNTIME r ON r.rowid = h.rowId JOIN StringIds n ON n.id = r.nameId "
                   "WHERE h.role = 'blocker' AND h.copyId = " + held[0][0] + " AND h.tableName = "
                   "'CUPTI_ACTIVITY_KIND_RUNTIME' ORDER BY h.heldBehindNs DESC LIMIT 1"),
            "203 cudaLaunchKernel");
  EXPECT_EQ(db.one("SELECT count(*) FROM HOLDUP_RECORDS WHERE tableName IS NOT NULL AND rowId IS NULL"), "0");
  EXPECT_EQ(db.one("SELECT count(*) FROM HOLDUP_RECORDS r JOIN CUPTI_ACTIVITY_KIND_KERNEL k ON k.rowid = r.rowId "
                   "WHERE r.tableName = 'CUPTI_ACTIVITY_KIND_KERNEL' AND k.correlationId != r.correlationId"),
            "0");
  EXPECT_EQ(db.one("SELECT copies || ' ' || cause || ' ' || blockerName FROM HOLDUP_PATTERNS"),
            "2 device-wide-barrier cudaLaunchKernel");
  EXPECT_EQ(db.one("SELECT count(*) FROM HOLDUP_COPIES"), "18");
  EXPECT_EQ(db.one("SELECT ok FROM HOLDUP_TRACE_HEALTH"), "1");
  fs::remove_all(dir);
}

TEST(Sqlite, RecorderHealthTable) {
  Synthetic s(lossy_trace());
  const auto dir = temp_dir("sqlite-health");
  std::string error;
  ASSERT_TRUE(exporting::write_sqlite(s.input, 0, (dir / "h.sqlite").string(), &error)) << error;
  Db db(dir / "h.sqlite");
  EXPECT_EQ(db.one("SELECT ok || ' ' || droppedRecords || ' ' || otherSubscriber FROM HOLDUP_TRACE_HEALTH"), "0 7 1");
  const auto problems = db.query("SELECT problem FROM HOLDUP_TRACE_PROBLEMS");
  ASSERT_GE(problems.size(), 2u);
  EXPECT_NE(problems[1][0].find("CUPTI dropped 7 records"), std::string::npos) << problems[1][0];
  EXPECT_EQ(db.one("SELECT s.value || ' ' || (n.end - n.start) || ' ' || (n.globalTid % 0x1000000) FROM NVTX_EVENTS n "
                   "JOIN StringIds s ON s.id = n.textId"),
            "step 150000 2");
  fs::remove_all(dir);
}

// A record that contradicts its own stream: every export says so.
SyntheticTrace contradicting_trace() {
  SyntheticTrace t(100);
  t.normal_calls("cudaMemcpyAsync", 4, 5);
  t.memcpy(proto::DTOD, 100, 50'900, kCopyStream, 1, proto::CHANNEL_TYPE_COMPUTE, t.api("cudaMemcpyAsync", 90, 95));
  t.memcpy(proto::DTOD, 4050, 4150, kCopyStream, 1, proto::CHANNEL_TYPE_COMPUTE, t.api("cudaMemcpyAsync", 1000, 1005));
  return t;
}

TEST(Export, ContradictingRecordsTravelWithTheTrace) {
  Synthetic s(contradicting_trace());
  std::ostringstream out;
  exporting::write_chrome_trace(s.input, 0, {0, 1, "position"}, out);
  const json t = json::parse(out.str());
  EXPECT_NE(t["holdup"]["problems"].dump().find("contradicts its own stream"), std::string::npos);
  EXPECT_EQ(t["holdup"]["health"]["contradicting_gpu_ops"], 1);
  int marked = 0;
  for (const auto& e : t["traceEvents"])
    if (e.contains("args") && e["args"].contains("holdup: contradicts its own stream")) ++marked;
  EXPECT_EQ(marked, 1);
  const auto dir = temp_dir("sqlite-contradicting");
  std::string error;
  ASSERT_TRUE(exporting::write_sqlite(s.input, 0, (dir / "c.sqlite").string(), &error)) << error;
  Db db(dir / "c.sqlite");
  EXPECT_EQ(db.one("SELECT contradictingGpuOps FROM HOLDUP_TRACE_HEALTH"), "1");
  fs::remove_all(dir);
}

// Issue 12: what the settings left out travels with every export, apart
// from what was lost.
TEST(Export, NotRecordedTravelsWithTheTrace) {
  auto t = lossy_trace();
  t.chunk().mutable_header()->mutable_config()->add_not_recorded("api:cudaGetDevice");
  t.chunk().mutable_header()->mutable_config()->add_not_recorded("launch:repeat");
  Synthetic s(std::move(t));
  std::ostringstream out;
  exporting::write_chrome_trace(s.input, 0, {0, 1, "position"}, out);
  const json chrome = json::parse(out.str());
  ASSERT_EQ(chrome["holdup"]["not_recorded"].size(), 2u);
  EXPECT_NE(chrome["holdup"]["not_recorded"][0].get<std::string>().find("cudaGetDevice"), std::string::npos);
  const auto dir = temp_dir("sqlite-not-recorded");
  std::string error;
  ASSERT_TRUE(exporting::write_sqlite(s.input, 0, (dir / "n.sqlite").string(), &error)) << error;
  Db db(dir / "n.sqlite");
  EXPECT_EQ(db.one("SELECT count(*) FROM HOLDUP_TRACE_NOT_RECORDED"), "2");
  fs::remove_all(dir);
}

// Without wait records a copy after a cudaStreamWaitEvent is unknown, and
// every export says why.
TEST(Export, UnseenWaitReasonTravelsWithTheVerdict) {
  auto t = lossy_trace();
  for (const char* kind : {"CONCURRENT_KERNEL", "MEMCPY", "MEMSET", "RUNTIME", "DRIVER", "OVERHEAD"})
    t.chunk().mutable_header()->mutable_config()->add_enabled_kinds(kind);
  t.api("cudaStreamWaitEvent", 200, 202, 2, 19);
  Synthetic s(std::move(t));
  std::ostringstream out;
  exporting::write_chrome_trace(s.input, 0, {0, 1, "position"}, out);
  EXPECT_NE(out.str().find("unknown: cudaStreamWaitEvent on thread 2 (correlation id 19)"), std::string::npos);
  const auto dir = temp_dir("sqlite-unseen-wait");
  std::string error;
  ASSERT_TRUE(exporting::write_sqlite(s.input, 0, (dir / "w.sqlite").string(), &error)) << error;
  Db db(dir / "w.sqlite");
  EXPECT_EQ(db.one("SELECT cause || ' ' || substr(unknownReason, 1, 19) FROM HOLDUP_COPIES WHERE flagged = 1"),
            "unknown cudaStreamWaitEvent");
  fs::remove_all(dir);
  EXPECT_NE(exporting::render_html(s.input, {}).find("cudaStreamWaitEvent on thread 2"), std::string::npos);
}

// --- HTML -------------------------------------------------------------------

TEST(Html, OneSelfContainedPage) {
  const auto dir = temp_dir("html");
  report::CommonOptions o;
  o.traces = {kSeedLazy};
  report::ReportOptions r;
  std::ostringstream out, err;
  ASSERT_EQ(exporting::run_html_report(o, r, (dir / "r.html").string(), false, out, err), report::kExitOk) << err.str();
  const std::string html = read_file(dir / "r.html");
  fs::remove_all(dir);
  EXPECT_TRUE(html.starts_with("<!doctype html>"));
  // Nothing fetched: no script, stylesheet, image or font from elsewhere.
  for (const char* fetch : {"<script", "<link", "<img", "src=", "url(", "@import", "https://"}) {
    EXPECT_EQ(html.find(fetch), std::string::npos) << fetch;
  }
  // The summary, health, patterns, a timeline per worst copy, histograms.
  for (const char* part : {"2</div><div class=\"l\">flagged", "ok, nothing lost", "Patterns", "device-wide-barrier",
                           "barrier.lazy-function-load", "Remedy:", "CUDA_MODULE_LOADING=EAGER", "held 5.94 ms",
                           "GPU start", "stream 14", "channel 1 COMPUTE", "Kernel1", "issue to start"}) {
    EXPECT_NE(html.find(part), std::string::npos) << part;
  }
  size_t svgs = 0;
  for (size_t at = html.find("<svg"); at != std::string::npos; at = html.find("<svg", at + 1)) ++svgs;
  EXPECT_GE(svgs, 2u * 2 + 2);  // per worst copy a split bar and a timeline; two histograms at least
}

TEST(Html, ShowsWhatTheRecorderLost) {
  Synthetic s(lossy_trace());
  const std::string html = exporting::render_html(s.input, {});
  EXPECT_NE(html.find("CUPTI dropped 7 records"), std::string::npos);
  EXPECT_NE(html.find("lost records"), std::string::npos);
}

}  // namespace
}  // namespace holdup::testing
