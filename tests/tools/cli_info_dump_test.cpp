// `holdup info` and `holdup dump` on synthetic traces, their errors, and
// --help of every verb.

#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>
#include <nlohmann/json.hpp>
#include <sstream>

#include "trace_builder.h"
#include "holdup_process.h"
#include "sample_trace.h"

namespace holdup::testing {
namespace {

namespace fs = std::filesystem;

size_t count_lines(const std::string& text, const std::string& containing) {
  std::istringstream in(text);
  size_t n = 0;
  for (std::string line; std::getline(in, line);) n += line.find(containing) != std::string::npos;
  return n;
}

size_t record_lines(const std::string& text) {
  std::istringstream in(text);
  size_t n = 0;
  for (std::string line; std::getline(in, line);) n += !line.empty() && line[0] != '#';
  return n;
}

class InfoDumpTest : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = make_temp_dir("info");
    sample_ = dir_ + "/holdup-sample.trace";
    write_sample_trace(sample_);
  }
  void TearDown() override { fs::remove_all(dir_); }
  std::string dir_;
  std::string sample_;
};

TEST_F(InfoDumpTest, InfoShowsHeaderCountsAndHealth) {
  auto r = run_holdup({"info", sample_});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  for (const char* expected : {
           "trace: ",
           "  process: pid 4242 (parent 4200) on gpu-node-7\n",
           "  command: ./proxy_demo --iters=3\n",
           "  versions: holdup 0.1.0, format 1, driver 580.159.04 (CUDA 13.0), runtime 12.9, CUPTI API 130000",
           "  device 0: NVIDIA H100 80GB HBM3  uuid GPU-11111111-2222-3333-4444-555555555555  pci 0000:18:00.0\n",
           "  scheduling env: CUDA_MODULE_LOADING=LAZY\n",
           "  rank env: RANK=1\n",
           "  config: flush every 100 ms, 64 buffers of 1.0 MiB",
           "  records: kernel 3, memcpy 2, memset 1, api 3, sync 1, event 1, overhead 1, marker 1,",
           "  copies: 3 (2 memcpy, 1 peer, 65.0 MiB moved; 1 memset)\n",
           "  time span: 10.030 ms",
           "  health: 15 records written, 0 dropped, 0 zero-timestamp, 0 unknown\n",
           "  buffers: 3 requested, 3 completed, 0 denied; 0 callback events dropped\n",
           "  other subscriber: no, activity callbacks lost: no, capture stopped: no\n",
           "torn tail: no, sequence gaps: 0",
           "    INFO sample-note: a note from the sample (at +8.030 ms)\n",
           "  complete: nothing lost\n",
       }) {
    EXPECT_NE(r.out.find(expected), std::string::npos) << "missing: " << expected << "\nin:\n" << r.out;
  }
  EXPECT_EQ(r.out.find("WARNING"), std::string::npos);
}

TEST_F(InfoDumpTest, InfoShowsLossesAsWarnings) {
  auto chunks = sample_chunks();
  chunks.back().mutable_health()->set_dropped_records(5);
  chunks.back().mutable_health()->set_other_subscriber(true);
  std::string error;
  ASSERT_TRUE(write_trace_file(dir_ + "/lossy.trace", chunks, &error)) << error;
  fs::resize_file(dir_ + "/lossy.trace", fs::file_size(dir_ + "/lossy.trace") - 2);
  // The torn last chunk carried the lossy health: what remains is chunk 1's.
  auto r = run_holdup({"info", dir_ + "/lossy.trace"});
  EXPECT_EQ(r.exit_code, 0) << r.err;
  EXPECT_EQ(count_lines(r.out, "WARNING: the last chunk is torn"), 1u) << r.out;
  EXPECT_EQ(count_lines(r.out, "WARNING: 1 activity buffer never came back"), 1u) << r.out;

  chunks[1].mutable_health()->set_dropped_records(5);
  chunks[1].mutable_health()->set_other_subscriber(true);
  ASSERT_TRUE(write_trace_file(dir_ + "/lossy2.trace", chunks, &error)) << error;
  r = run_holdup({"info", dir_ + "/lossy2.trace"});
  EXPECT_EQ(count_lines(r.out, "WARNING: CUPTI dropped 5 records"), 1u) << r.out;
  EXPECT_EQ(count_lines(r.out, "WARNING: another CUPTI client"), 1u) << r.out;
}

TEST_F(InfoDumpTest, InfoCountsIncompleteRecordsAndSaysHowTheTraceEnded) {
  auto chunks = sample_chunks();
  chunks[0].mutable_header()->mutable_config()->set_max_loss_ms(1000);
  chunks[0].mutable_header()->mutable_config()->add_final_flush_signals("SIGTERM");
  chunks[0].mutable_header()->mutable_config()->add_final_flush_signals("SIGSEGV");
  proto::Kernel running;  // a kernel of the sample, cut in flight
  for (const auto& c : chunks)
    if (c.kernel_size() > 0) running = c.kernel(0);
  running.set_end_ns(0);
  running.set_incomplete(true);
  *chunks.back().add_kernel() = running;
  auto* h = chunks.back().mutable_health();
  h->set_forced_flushes(4);
  h->set_incomplete_records(3);
  auto* k = h->add_incomplete();
  k->set_kind("CONCURRENT_KERNEL");
  k->set_count(2);
  k = h->add_incomplete();
  k->set_kind("MEMCPY");
  k->set_count(1);
  h->set_final_flush_signal(15);
  h->set_final_chunk(true);
  std::string error;
  ASSERT_TRUE(write_trace_file(dir_ + "/cut.trace", chunks, &error)) << error;
  auto r = run_holdup({"info", dir_ + "/cut.trace"});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  for (const char* expected : {
           "  endings: loss bound 1000 ms; final flush on exit, SIGTERM, SIGSEGV\n",
           "  flushes: 4 forced, 3 incomplete records (2 CONCURRENT_KERNEL, 1 MEMCPY), 0 buffers cut short; ended: by "
           "SIGTERM (15) after a final flush\n",
           "WARNING: 3 records incomplete (2 CONCURRENT_KERNEL, 1 MEMCPY): work in flight",
       }) {
    EXPECT_NE(r.out.find(expected), std::string::npos) << "missing: " << expected << "\nin:\n" << r.out;
  }
  auto dump = run_holdup({"dump", "--kind", "kernel", dir_ + "/cut.trace"});
  EXPECT_EQ(count_lines(dump.out, "incomplete"), 1u) << dump.out;
}

TEST_F(InfoDumpTest, InfoSaysATraceWithoutAFinalFlushLostUpToTheBound) {
  auto chunks = sample_chunks();
  chunks[0].mutable_header()->mutable_config()->set_max_loss_ms(1000);
  chunks.back().mutable_health()->set_buffers_requested(chunks.back().health().buffers_completed() + 1);
  std::string error;
  ASSERT_TRUE(write_trace_file(dir_ + "/killed.trace", chunks, &error)) << error;
  auto r = run_holdup({"info", dir_ + "/killed.trace"});
  EXPECT_NE(r.out.find("ended: no final chunk (killed, or still running)"), std::string::npos) << r.out;
  EXPECT_NE(r.out.find("WARNING: 1 activity buffer never came back from CUPTI by the last chunk"), std::string::npos)
      << r.out;
  EXPECT_NE(r.out.find("forces buffers back when none came back for 1000 ms"), std::string::npos) << r.out;
}

// exec of another program (or _exit) right after a flush: every buffer came
// back, yet the records CUPTI still held are gone; only the missing final
// chunk says so (tests/gpu/run_fault_checks.sh, exec-non-cuda).
TEST_F(InfoDumpTest, InfoSaysATraceWithoutAFinalChunkLostItsEndEvenWhenEveryBufferCameBack) {
  auto chunks = sample_chunks();
  chunks[0].mutable_header()->mutable_config()->set_max_loss_ms(1000);
  chunks.back().mutable_health()->set_buffers_requested(chunks.back().health().buffers_completed());
  chunks.back().mutable_health()->set_final_chunk(false);
  std::string error;
  ASSERT_TRUE(write_trace_file(dir_ + "/exec.trace", chunks, &error)) << error;
  auto r = run_holdup({"info", dir_ + "/exec.trace"});
  EXPECT_NE(r.out.find("WARNING: no final chunk: the process ended without holdup's final flush"), std::string::npos)
      << r.out;
  EXPECT_NE(r.out.find("about the last 1000 ms of records before its end are missing"), std::string::npos) << r.out;
  EXPECT_EQ(r.out.find("complete: nothing lost"), std::string::npos) << r.out;
}

TEST_F(InfoDumpTest, InfoOnUnreadableFilesExits2NamingTheFile) {
  auto missing = run_holdup({"info", dir_ + "/missing.trace"});
  EXPECT_EQ(missing.exit_code, 2);
  EXPECT_NE(missing.err.find(dir_ + "/missing.trace"), std::string::npos) << missing.err;

  std::ofstream(dir_ + "/text.trace") << "not a trace at all\n";
  auto text = run_holdup({"info", dir_ + "/text.trace"});
  EXPECT_EQ(text.exit_code, 2);
  EXPECT_NE(text.err.find(dir_ + "/text.trace"), std::string::npos) << text.err;
  EXPECT_NE(text.err.find("not a holdup trace"), std::string::npos) << text.err;

  std::ofstream(dir_ + "/empty.trace").close();
  auto empty = run_holdup({"info", dir_ + "/empty.trace"});
  EXPECT_EQ(empty.exit_code, 2);
  EXPECT_NE(empty.err.find("empty"), std::string::npos) << empty.err;

  // A good file and a bad one: the good one is shown, the status is still 2.
  auto both = run_holdup({"info", sample_, dir_ + "/missing.trace"});
  EXPECT_EQ(both.exit_code, 2);
  EXPECT_NE(both.out.find("pid 4242"), std::string::npos);
}

TEST_F(InfoDumpTest, InfoJson) {
  auto r = run_holdup({"info", "--json", sample_});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  auto json = nlohmann::json::parse(r.out);
  ASSERT_TRUE(json.is_array());
  ASSERT_EQ(json.size(), 1u);
  EXPECT_EQ(json[0]["counts"]["kernel"], 3);
  EXPECT_EQ(json[0]["copies"], 3);
  EXPECT_EQ(json[0]["header"]["pid"], 4242);
  EXPECT_EQ(json[0]["header"]["hostname"], "gpu-node-7");
  EXPECT_EQ(json[0]["torn_tail"], false);
  EXPECT_TRUE(json[0]["warnings"].empty());
}

TEST_F(InfoDumpTest, DumpListsRecordsSortedWithinChunks) {
  auto r = run_holdup({"dump", sample_});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_NE(r.out.find("        30.000  kernel    dev 0 ctx 1 stream 13  ch 2 COMPUTE  corr 10  dur 4000.000 us  "
                       "_Z7kernel0Pf  grid 1056x1x1 block 256x1x1"),
            std::string::npos)
      << r.out;
  EXPECT_NE(r.out.find("      8040.000  memcpy    dev 0 ctx 1 stream 14  ch 1 COMPUTE  corr 12  dur 100.000 us  "
                       "DTOD DEVICE->DEVICE  64.0 MiB  async"),
            std::string::npos)
      << r.out;
  EXPECT_NE(r.out.find("runtime cudaMemcpyAsync  tid 5001  corr 12"), std::string::npos) << r.out;
  EXPECT_NE(r.out.find("LAZY_FUNCTION_LOADING"), std::string::npos) << r.out;
  EXPECT_NE(r.out.find("_Z7kernel1Pf  tid 5001  ctx 1  corr 11  function 0xabc  first launch"), std::string::npos);
  // Kernel0 (corr 10) is second in chunk 0 but earlier: listed first.
  EXPECT_LT(r.out.find("corr 10  dur 4000"), r.out.find("corr 11  dur 4000"));
  EXPECT_EQ(count_lines(r.out, "  string  "), 0u) << "strings are shown inline, not as records by default";
  // Every record but the 6 strings: 22 in the sample.
  EXPECT_EQ(record_lines(r.out), 22u) << r.out;
}

TEST_F(InfoDumpTest, DumpFilters) {
  auto kinds = run_holdup({"dump", "--kind", "memcpy,memset", sample_});
  ASSERT_EQ(kinds.exit_code, 0) << kinds.err;
  EXPECT_EQ(record_lines(kinds.out), 3u) << kinds.out;
  EXPECT_EQ(count_lines(kinds.out, "  memcpy  "), 2u);

  auto stream = run_holdup({"dump", "--stream", "14", "--kind", "memcpy,sync,kernel", sample_});
  EXPECT_EQ(record_lines(stream.out), 3u) << stream.out;
  EXPECT_EQ(count_lines(stream.out, "kernel"), 0u);

  auto window = run_holdup({"dump", "--from-us", "8000", "--to-us", "8300", sample_});
  EXPECT_EQ(record_lines(window.out), 3u) << window.out;  // the note, two memcpys

  auto limit = run_holdup({"dump", "--sorted", "--limit", "2", "--kind", "kernel", sample_});
  EXPECT_EQ(record_lines(limit.out), 2u) << limit.out;

  auto absolute = run_holdup({"dump", "--abs", "--kind", "kernel", "--limit", "1", sample_});
  EXPECT_NE(absolute.out.find(" 1700000000000000000  kernel"), std::string::npos) << absolute.out;
}

TEST_F(InfoDumpTest, DumpSortedOrdersTheWholeFile) {
  auto r = run_holdup({"dump", "--sorted", "--kind", "kernel,module", sample_});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  // The module load (chunk 1) is the earliest record of the file.
  EXPECT_LT(r.out.find("module"), r.out.find("kernel")) << r.out;
}

TEST_F(InfoDumpTest, DumpErrors) {
  auto bad_kind = run_holdup({"dump", "--kind", "kernal", sample_});
  EXPECT_EQ(bad_kind.exit_code, 2);
  EXPECT_NE(bad_kind.err.find("unknown record kind \"kernal\""), std::string::npos) << bad_kind.err;

  auto missing = run_holdup({"dump", dir_ + "/missing.trace"});
  EXPECT_EQ(missing.exit_code, 2);
  EXPECT_NE(missing.err.find(dir_ + "/missing.trace"), std::string::npos) << missing.err;

  // Corrupt after the first chunk: what was read is listed, then exit 2.
  std::string bytes = read_file(sample_);
  const size_t first_chunk = frame_chunk(sample_chunks()[0]).size();
  std::ofstream(dir_ + "/corrupt.trace", std::ios::binary) << bytes.substr(0, first_chunk) << std::string(40, '\xff');
  auto corrupt = run_holdup({"dump", dir_ + "/corrupt.trace"});
  EXPECT_EQ(corrupt.exit_code, 2) << corrupt.err;
  EXPECT_NE(corrupt.err.find(dir_ + "/corrupt.trace: byte offset " + std::to_string(first_chunk) + ", chunk 1"),
            std::string::npos)
      << corrupt.err;
  EXPECT_NE(corrupt.out.find("cudaLaunchKernel"), std::string::npos) << corrupt.out;
}

TEST(HelpTest, EveryVerbHasHelp) {
  auto top = run_holdup({"--help"});
  ASSERT_EQ(top.exit_code, 0) << top.err;
  auto subcommands = top.out.find("Subcommands:");
  ASSERT_NE(subcommands, std::string::npos) << top.out;
  std::istringstream in(top.out.substr(subcommands));
  std::string line;
  std::getline(in, line);
  std::vector<std::string> verbs;
  while (std::getline(in, line) && !line.empty()) {
    std::istringstream words(line);
    std::string verb;
    if (words >> verb) verbs.push_back(verb);
  }
  for (const char* required : {"run", "info", "dump"}) {
    EXPECT_NE(std::find(verbs.begin(), verbs.end(), required), verbs.end()) << required << " missing in\n" << top.out;
  }
  for (const auto& verb : verbs) {
    auto help = run_holdup({verb, "--help"});
    EXPECT_EQ(help.exit_code, 0) << verb << ": " << help.err;
    EXPECT_NE(help.out.find("Usage:"), std::string::npos) << verb << ":\n" << help.out;
  }
}

}  // namespace
}  // namespace holdup::testing
