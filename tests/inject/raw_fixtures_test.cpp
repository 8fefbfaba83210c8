// Replays every real CUPTI dump committed under tests/data/raw/ (captured on
// the H100 with HOLDUP_DUMP_RAW_DIR) through the recorder's decoding path,
// and checks it against the expectations file beside it, if any:
//
//   <name>.cupti-raw          the dump
//   <name>.expect.json        optional:
//   {
//     "counts":        {"kernel": 6, "memcpy": 4},      exact record counts
//     "min_counts":    {"api": 20, "overhead": 1},      lower bounds
//     "kernel_names":  ["spin"],                         substrings, each in some kernel name
//     "api_names":     ["cudaMemcpyAsync"],              exact ApiCall names present
//     "memcpy_channel_types": [1, 2],                    channel types seen among copies
//     "max_unknown_records": 0,
//     "max_zero_timestamp_records": 0
//   }
// Count keys: kernel memcpy memset api synchronization cuda_event stream
// device context overhead marker thread_name object_name.

#include <filesystem>
#include <fstream>
#include <set>

#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include "raw_replay.h"
#include "trace_test_util.h"

namespace holdup::inject {
namespace {

using namespace holdup::inject::testing;
namespace fs = std::filesystem;

std::map<std::string, uint64_t> count_records(const holdup::proto::TraceFile& trace) {
  std::map<std::string, uint64_t> n;
  for (const auto& c : trace.chunk()) {
    n["kernel"] += c.kernel_size();
    n["memcpy"] += c.memcpy_size();
    n["memset"] += c.memset_size();
    n["api"] += c.api_size();
    n["synchronization"] += c.synchronization_size();
    n["cuda_event"] += c.cuda_event_size();
    n["stream"] += c.stream_size();
    n["device"] += c.device_size();
    n["context"] += c.context_size();
    n["overhead"] += c.overhead_size();
    n["marker"] += c.marker_size();
    n["thread_name"] += c.thread_name_size();
    n["object_name"] += c.object_name_size();
  }
  return n;
}

TEST(RawFixtures, ReplayEveryCommittedDump) {
  const fs::path dir = HOLDUP_RAW_FIXTURE_DIR;
  std::vector<fs::path> dumps;
  if (fs::is_directory(dir))
    for (const auto& e : fs::directory_iterator(dir))
      if (e.path().extension() == ".cupti-raw") dumps.push_back(e.path());
  if (dumps.empty()) GTEST_SKIP() << "no *.cupti-raw fixtures in " << dir;

  const std::string out_dir = make_temp_dir();
  for (const fs::path& dump : dumps) {
    SCOPED_TRACE(dump.string());
    const std::string trace_path = out_dir + "/" + dump.stem().string() + ".trace";
    ReplayResult r = replay_raw_dump(dump.string(), trace_path);
    ASSERT_TRUE(r.error.empty()) << r.error;
    auto trace = read_trace(trace_path);
    auto strings = interned_strings(trace);
    auto counts = count_records(trace);
    const auto& health = trace.chunk(trace.chunk_size() - 1).health();
    EXPECT_GT(health.records(), 0u);

    fs::path expect_path = dump;
    expect_path.replace_extension(".expect.json");
    if (!fs::exists(expect_path)) continue;
    nlohmann::json expect = nlohmann::json::parse(std::ifstream(expect_path));
    if (expect.contains("counts"))
      for (auto& [key, value] : expect["counts"].items()) EXPECT_EQ(counts[key], value.get<uint64_t>()) << key;
    if (expect.contains("min_counts"))
      for (auto& [key, value] : expect["min_counts"].items()) EXPECT_GE(counts[key], value.get<uint64_t>()) << key;
    std::set<std::string> kernel_names, api_names;
    std::set<int> channel_types;
    for (const auto& c : trace.chunk()) {
      for (const auto& k : c.kernel()) kernel_names.insert(strings[k.name_iid()]);
      for (const auto& a : c.api()) api_names.insert(strings[a.name_iid()]);
      for (const auto& m : c.memcpy()) channel_types.insert(m.channel_type());
    }
    for (const auto& want : expect.value("kernel_names", nlohmann::json::array())) {
      bool found = false;
      for (const auto& name : kernel_names) found |= name.find(want.get<std::string>()) != std::string::npos;
      EXPECT_TRUE(found) << "no kernel name contains " << want;
    }
    for (const auto& want : expect.value("api_names", nlohmann::json::array()))
      EXPECT_TRUE(api_names.count(want.get<std::string>())) << "no API record named " << want;
    for (const auto& want : expect.value("memcpy_channel_types", nlohmann::json::array()))
      EXPECT_TRUE(channel_types.count(want.get<int>())) << "no copy on channel type " << want;
    if (expect.contains("max_unknown_records"))
      EXPECT_LE(health.unknown_records(), expect["max_unknown_records"].get<uint64_t>());
    if (expect.contains("max_zero_timestamp_records"))
      EXPECT_LE(health.zero_timestamp_records(), expect["max_zero_timestamp_records"].get<uint64_t>());
  }
  fs::remove_all(out_dir);
}

}  // namespace
}  // namespace holdup::inject
