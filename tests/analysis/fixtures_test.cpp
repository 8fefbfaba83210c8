// Real traces recorded on an H100 (tests/data/h100), checked copy by copy
// against tests/data/MANIFEST.json (schema holdup-fixtures/2, written by
// tests/data/h100/make_manifest.py from the workload's own CUDA events).
//
// Per process the manifest names the workload's data copies by size: the
// memcpy records (not memsets) of `copy_bytes` bytes in issue order are `calibration_copies`
// start-up copies, `warmup` warm-up iterations, then iteration 0, 1, ...
// For every measured iteration: flagged == held, and a held copy's primary
// cause is one of `cause` (and its first blocker of kind `blocker`); where
// `behind_host_func` is true its split names the host function. In a
// fixture with control=true no copy issued at or after the first measured
// iteration is flagged. The command line is stripped from every trace: no
// verdict can depend on the scenario's name.
//
// HOLDUP_TEST_DATA_DIR points at another fixture set; HOLDUP_FIXTURE_TABLE=1
// prints every data copy's split and verdict.

#include <algorithm>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <iostream>

#include <fmt/format.h>
#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include "holdup/analysis.h"
#include "holdup/analysis_load.h"

namespace holdup::testing {
namespace {

using analysis::CopyVerdict;

constexpr const char* kMissing = "fixture data missing (moved or not checked out?); the accuracy gate needs it: ";

std::filesystem::path data_dir() {
  const char* override_dir = std::getenv("HOLDUP_TEST_DATA_DIR");
  return override_dir ? override_dir : HOLDUP_TEST_DATA_DIR;
}

bool print_table() {
  const char* v = std::getenv("HOLDUP_FIXTURE_TABLE");
  return v && *v && std::string(v) != "0";
}

// The fixture sets (all three must be there; nullopt if one is missing): the workload's runs (MANIFEST.json), the
// real-library corpus (corpus/MANIFEST.json, tests/corpus) and the
// stream-order probe's cases (diagnosis2/MANIFEST.json, tests/gpu). Each fixture's
// trace paths are relative to its manifest's folder, kept in "_dir".
std::optional<nlohmann::json> read_manifest() {
  nlohmann::json all;
  all["fixtures"] = nlohmann::json::array();
  for (const auto& dir : {data_dir(), data_dir() / "corpus", data_dir() / "diagnosis2"}) {
    const auto path = dir / "MANIFEST.json";
    // A moved folder must not turn the accuracy gate off.
    if (!std::filesystem::exists(path)) return std::nullopt;
    std::ifstream in(path);
    auto manifest = nlohmann::json::parse(in, nullptr, /*allow_exceptions=*/false);
    if (manifest.is_discarded() || !manifest.contains("fixtures")) return nlohmann::json{};
    for (auto fixture : manifest["fixtures"]) {
      fixture["_dir"] = dir.string();
      all["fixtures"].push_back(std::move(fixture));
    }
  }
  return all;
}

struct LoadedFixture {
  analysis::Model model;
  analysis::Analysis analysis;
};

void load_fixture(const nlohmann::json& fixture, LoadedFixture* out) {
  std::vector<std::string> paths;
  const std::filesystem::path dir = fixture.value("_dir", data_dir().string());
  for (const auto& p : fixture["traces"]) paths.push_back((dir / p.get<std::string>()).string());
  std::vector<std::string> errors;
  analysis::LoadOptions load;
  load.strip_command_line = true;
  EXPECT_TRUE(analysis::load_traces(paths, &out->model, &errors, load)) << (errors.empty() ? "" : errors.front());
  for (const auto& p : out->model.processes) ASSERT_TRUE(p.command_line.empty());
  out->analysis = analysis::analyze(out->model);
}

uint32_t process_of_pid(const analysis::Model& model, uint32_t pid) {
  for (uint32_t i = 0; i < model.processes.size(); ++i) {
    if (model.processes[i].pid == pid) return i;
  }
  return analysis::kNone;
}

// The process's copies with an issue, in issue order.
std::vector<const CopyVerdict*> copies_in_issue_order(const LoadedFixture& f, uint32_t process) {
  std::vector<const CopyVerdict*> copies;
  for (const auto& v : f.analysis.copies) {
    if (v.has_issue() && f.model.ops[v.op].process == process) copies.push_back(&v);
  }
  std::stable_sort(copies.begin(), copies.end(), [&](const CopyVerdict* a, const CopyVerdict* b) {
    return f.model.ops[a->op].issue_ns < f.model.ops[b->op].issue_ns;
  });
  return copies;
}

// The workload's data copies: memcpy records (not memsets) of its size.
bool is_data_copy(const analysis::GpuOp& op, uint64_t bytes) {
  return op.kind == analysis::OpKind::memcpy && op.bytes_or_blocks == bytes;
}

std::string describe(const LoadedFixture& f, const CopyVerdict& v) {
  const auto& op = f.model.ops[v.op];
  std::string causes;
  if (v.detail != analysis::kNone) {
    for (const auto& finding : f.analysis.details[v.detail].findings) {
      causes += fmt::format(" {}{}", analysis::cause_id(finding.cause), finding.claimed ? "" : "?");
    }
  }
  return fmt::format("{} corr {} issue-to-start {:.0f} us api {:.0f} held {:.0f} (host {:.0f}) -> {}{}{}",
                     f.model.describe(op), op.correlation_id, v.split.issue_to_start / 1e3, v.split.api / 1e3,
                     v.split.held / 1e3, v.split.held_host / 1e3, v.flagged() ? "FLAGGED " : "not flagged",
                     v.flagged() ? analysis::cause_id(v.cause) : "", causes.empty() ? "" : " [" + causes + " ]");
}

// Control scenarios promise no flagged copy after the warm-up, except in an
// iteration whose own measurement says it was held (or is marginal): the
// truth comes from the workload's events, not from the scenario's name. An
// iteration's window runs from its data copy's issue to the next one's.
bool in_excused_iteration(const LoadedFixture& f, const std::vector<const CopyVerdict*>& data, size_t skip,
                          const nlohmann::json& iterations, analysis::TimeNs issue_ns) {
  for (size_t i = 0; i < iterations.size() && skip + i < data.size(); ++i) {
    const auto& held = iterations[i]["held"];
    if (!held.is_null() && !held.get<bool>()) continue;
    const analysis::TimeNs from = f.model.ops[data[skip + i]->op].issue_ns;
    const analysis::TimeNs to =
        skip + i + 1 < data.size() ? f.model.ops[data[skip + i + 1]->op].issue_ns : UINT64_MAX;
    if (issue_ns >= from && issue_ns < to) return true;
  }
  return false;
}

// Per fixture: measured iterations held / not held by the truth, how many
// of them holdup flagged, with the right primary cause and blocker, and the
// copies flagged in a control (HOLDUP_ACCURACY_TABLE=1 prints it: the
// accuracy table in docs/).
struct Accuracy {
  int held = 0, flagged = 0, right_cause = 0, right_blocker = 0;
  int not_held = 0, false_flags = 0, marginal = 0, control_flags = 0;
  bool control = false;
};

void print_accuracy(const std::vector<std::pair<std::string, Accuracy>>& rows) {
  const char* v = std::getenv("HOLDUP_ACCURACY_TABLE");
  if (!v || !*v || std::string(v) == "0") return;
  std::cout << "| fixture | held | flagged | right cause | right blocker | not held | flagged (false) | marginal | "
               "control: other copies flagged |\n|---|---|---|---|---|---|---|---|---|\n";
  for (const auto& [name, a] : rows) {
    std::cout << fmt::format("| {}{} | {} | {} | {} | {} | {} | {} | {} | {} |\n", name, a.control ? " (control)" : "",
                             a.held, a.flagged, a.right_cause, a.right_blocker, a.not_held, a.false_flags, a.marginal,
                             a.control ? std::to_string(a.control_flags) : "-");
  }
}

TEST(Fixtures, VerdictsMatchTheManifestPerCopy) {
  const auto manifest = read_manifest();
  if (!manifest) FAIL() << kMissing << data_dir();
  ASSERT_TRUE(manifest->contains("fixtures")) << "MANIFEST.json is not valid holdup-fixtures/2";
  std::vector<std::pair<std::string, Accuracy>> accuracy;

  for (const auto& fixture : (*manifest)["fixtures"]) {
    const std::string scenario = fixture.value("scenario", std::string("<unnamed>"));
    SCOPED_TRACE(scenario);
    LoadedFixture f;
    load_fixture(fixture, &f);
    const std::string traces = fixture["traces"].front().get<std::string>();
    accuracy.emplace_back(traces.substr(0, traces.rfind("/trace")), Accuracy{});
    Accuracy& acc = accuracy.back().second;
    acc.control = fixture.value("control", false);
    for (const auto& expected : fixture["processes"]) {
      const uint32_t pid = expected["pid"].get<uint32_t>();
      SCOPED_TRACE(fmt::format("pid {}", pid));
      const uint32_t process = process_of_pid(f.model, pid);
      ASSERT_NE(process, analysis::kNone) << "no trace of pid " << pid;
      const uint64_t bytes = expected["copy_bytes"].get<uint64_t>();
      std::vector<const CopyVerdict*> data;
      const auto all = copies_in_issue_order(f, process);
      for (const CopyVerdict* v : all) {
        if (is_data_copy(f.model.ops[v->op], bytes)) data.push_back(v);
      }
      const size_t skip = expected["calibration_copies"].get<size_t>() + expected["warmup"].get<size_t>();
      const auto& iterations = expected["iterations"];
      ASSERT_EQ(data.size(), skip + iterations.size()) << "copies of " << bytes << " bytes";
      if (print_table()) {
        for (size_t k = 0; k < data.size(); ++k) {
          std::cout << fmt::format("{:<30} pid {} {:>9} {}\n", scenario, pid,
                                   k < skip ? fmt::format("setup {}", k) : fmt::format("iter {}", k - skip),
                                   describe(f, *data[k]));
        }
      }
      for (size_t i = 0; i < iterations.size(); ++i) {
        const auto& truth = iterations[i];
        const CopyVerdict& v = *data[skip + i];
        SCOPED_TRACE(fmt::format("iteration {}: {}", i, describe(f, v)));
        if (truth["held"].is_null()) {  // marginal: the manifest says why
          ++acc.marginal;
          continue;
        }
        const bool held = truth["held"].get<bool>();
        EXPECT_EQ(v.flagged(), held);
        if (truth.value("behind_host_func", false)) {
          EXPECT_NE(v.split.host_func, analysis::kNone) << "a host function on its stream is not named";
        }
        if (held) {
          ++acc.held;
          acc.flagged += v.flagged() ? 1 : 0;
        } else {
          ++acc.not_held;
          acc.false_flags += v.flagged() ? 1 : 0;
        }
        if (!held || !v.flagged() || !truth.contains("cause")) continue;
        std::vector<std::string> allowed;
        for (const auto& c : truth["cause"]) allowed.push_back(c.get<std::string>());
        const std::string got(analysis::cause_id(v.cause));
        EXPECT_NE(std::find(allowed.begin(), allowed.end(), got), allowed.end()) << "cause " << got;
        const bool right_cause = std::find(allowed.begin(), allowed.end(), got) != allowed.end();
        acc.right_cause += right_cause ? 1 : 0;
        if (truth.contains("blocker") && v.detail != analysis::kNone) {
          const auto& findings = f.analysis.details[v.detail].findings;
          ASSERT_FALSE(findings.empty());
          ASSERT_FALSE(findings.front().blockers.empty()) << "primary cause names no blocker";
          EXPECT_EQ(record_kind_name(findings.front().blockers.front().record.kind), truth["blocker"].get<std::string>());
          acc.right_blocker +=
              right_cause && record_kind_name(findings.front().blockers.front().record.kind) == truth["blocker"].get<std::string>();
        } else {
          acc.right_blocker += right_cause ? 1 : 0;
        }
      }
      if (fixture.value("control", false)) {
        const auto first_measured = f.model.ops[data[skip]->op].issue_ns;
        for (const CopyVerdict* v : all) {
          if (f.model.ops[v->op].issue_ns < first_measured) continue;
          if (in_excused_iteration(f, data, skip, iterations, f.model.ops[v->op].issue_ns)) continue;
          EXPECT_FALSE(v->flagged()) << "control: a copy after the warm-up is flagged: " << describe(f, *v);
          acc.control_flags += v->flagged() ? 1 : 0;
        }
      }
    }
  }
  print_accuracy(accuracy);
}

// The default threshold sits above every control copy's held time (the
// threshold's derivation, see AnalysisOptions::threshold_ns).
// Recorded on the H200 the lean way (issue 12: no SYNCHRONIZATION records,
// EventCall records instead): the side stream's wait for GEMM1 is seen, so
// each held data copy's split has a dependency part, as in the same case
// recorded with SYNCHRONIZATION (tests/data/corpus/h200-corpus/wait-stream).
TEST(Fixtures, StreamWaitsSeenThroughEventCallsOnTheH200) {
  auto manifest = read_manifest();
  if (!manifest || !manifest->contains("fixtures")) FAIL() << kMissing << data_dir();
  int fixtures = 0;
  for (const auto& fixture : (*manifest)["fixtures"]) {
    if (!fixture.contains("recorded")) continue;
    SCOPED_TRACE(fixture.value("scenario", std::string("?")));
    ++fixtures;
    LoadedFixture f;
    load_fixture(fixture, &f);
    ASSERT_EQ(f.model.processes.size(), 1u);
    EXPECT_TRUE(f.model.processes[0].waits_from_event_calls);
    EXPECT_FALSE(f.model.processes[0].waits_unrecorded);
    int with_dependency = 0;
    for (const auto& v : f.analysis.copies)
      if (v.flagged() && v.split.dependency > 0 && v.split.dependency_wait != analysis::kNone) ++with_dependency;
    EXPECT_GE(with_dependency, 12) << "every measured iteration waits for GEMM1";
  }
  EXPECT_EQ(fixtures, 2);
}

// The recorder's default since a0c5080 (SYNCHRONIZATION and CUDA_EVENT off) on
// the H200: the smoke program (tests/gpu/recorder_smoke.cu; its own count in
// smoke.json: one event recorded, one stream wait) leaves the dependency to
// the event-call callbacks alone, and the model still joins the wait to the
// record on the other stream.
TEST(Fixtures, LeanDefaultWaitFromEventCallsOnTheH200) {
  const auto dir = data_dir() / "h200-smoke" / "lean-default";
  std::ifstream did_file(dir / "smoke.json");
  if (!did_file) FAIL() << kMissing << dir;
  const auto did = nlohmann::json::parse(did_file);
  analysis::Model model;
  std::vector<std::string> errors;
  ASSERT_TRUE(analysis::load_traces({dir.string()}, &model, &errors)) << fmt::format("{}", fmt::join(errors, "; "));
  ASSERT_EQ(model.processes.size(), 1u);
  EXPECT_TRUE(model.processes[0].waits_from_event_calls);
  EXPECT_FALSE(model.processes[0].waits_unrecorded);
  ASSERT_EQ(model.events.size(), did["events_recorded"].get<size_t>()) << "one event, made from its record call";
  EXPECT_NE(model.events[0].recorded_ns, 0u);
  size_t waits = 0;
  for (const auto& s : model.synchronizations) {
    if (s.event_sync_id == 0) continue;
    ++waits;
    EXPECT_EQ(s.event_sync_id, model.events[0].sync_id);
    EXPECT_NE(s.stream_id, model.events[0].stream_id) << "the wait is on the other stream";
  }
  EXPECT_EQ(waits, did["stream_waits"].get<size_t>());
}

TEST(Fixtures, ChecksummedSmokeTraceOnTheH100) {
  // Issue 21: the recorder's smoke trace with chunk checksums and rate-sized
  // buffers (truth: the program's own smoke.json).
  const auto dir = data_dir() / "h100-smoke" / "checksummed";
  std::ifstream did_file(dir / "smoke.json");
  if (!did_file) FAIL() << kMissing << dir;
  const auto did = nlohmann::json::parse(did_file);
  analysis::Model model;
  std::vector<std::string> errors;
  ASSERT_TRUE(analysis::load_traces({dir.string()}, &model, &errors)) << fmt::format("{}", fmt::join(errors, "; "));
  ASSERT_EQ(model.processes.size(), 1u);
  const auto& p = model.processes[0];
  EXPECT_EQ(p.input.verified_chunks, p.input.chunks) << "every chunk verified";
  EXPECT_EQ(p.input.damaged_chunks, 0u);
  EXPECT_EQ(p.pid, did["pid"].get<uint32_t>());
  EXPECT_EQ(p.incomplete_ops(), 0u) << "a normal exit cuts nothing";
}

TEST(Fixtures, ThresholdAboveControlCopies) {
  const auto manifest = read_manifest();
  if (!manifest) FAIL() << kMissing << data_dir();
  std::vector<analysis::TimeNs> held;
  for (const auto& fixture : (*manifest)["fixtures"]) {
    if (!fixture.value("control", false)) continue;
    LoadedFixture f;
    load_fixture(fixture, &f);
    for (const auto& expected : fixture["processes"]) {
      const uint32_t process = process_of_pid(f.model, expected["pid"].get<uint32_t>());
      ASSERT_NE(process, analysis::kNone);
      const uint64_t bytes = expected["copy_bytes"].get<uint64_t>();
      const size_t skip = expected["calibration_copies"].get<size_t>() + expected["warmup"].get<size_t>();
      std::vector<const CopyVerdict*> data;
      const auto all = copies_in_issue_order(f, process);
      for (const CopyVerdict* v : all) {
        if (is_data_copy(f.model.ops[v->op], bytes)) data.push_back(v);
      }
      if (data.size() <= skip) continue;
      const analysis::TimeNs first_measured = f.model.ops[data[skip]->op].issue_ns;
      for (const CopyVerdict* v : all) {
        const analysis::TimeNs issue = f.model.ops[v->op].issue_ns;
        if (issue < first_measured || in_excused_iteration(f, data, skip, expected["iterations"], issue)) continue;
        held.push_back(v->split.held);
      }
    }
  }
  ASSERT_FALSE(held.empty());
  std::sort(held.begin(), held.end());
  const auto p99 = held[std::min(held.size() - 1, held.size() * 99 / 100)];
  std::cout << fmt::format("control copies after warm-up: {}, held p99 {:.1f} us, max {:.1f} us\n", held.size(),
                           p99 / 1e3, held.back() / 1e3);
  EXPECT_GT(analysis::AnalysisOptions{}.threshold_ns, p99);
}

// The distributions the timing thresholds come from (src/report/README.md
// quotes them), over every fixture set:
//   - release to start: for each copy the truth says was held and that
//     started with no kernel running on its GPU, how long after the last op
//     that ended before it it started (how promptly a held copy goes once
//     something lets it go): the adjacency, drain and barrier windows must
//     sit above its p90 (p99 and max are printed and quoted);
//   - in-burst gaps: for every data copy, the gap between the issuing
//     thread's previous call and the copy's call when under 1 ms: the
//     burst gap must sit above them.
TEST(Fixtures, TimingThresholdsAboveMeasuredDistributions) {
  const auto manifest = read_manifest();
  if (!manifest) FAIL() << kMissing << data_dir();
  std::vector<analysis::TimeNs> release_to_start, burst_gaps, lean_burst_gaps;
  for (const auto& fixture : (*manifest)["fixtures"]) {
    LoadedFixture f;
    load_fixture(fixture, &f);
    for (const auto& expected : fixture["processes"]) {
      const uint32_t process = process_of_pid(f.model, expected["pid"].get<uint32_t>());
      ASSERT_NE(process, analysis::kNone);
      const uint64_t bytes = expected["copy_bytes"].get<uint64_t>();
      const size_t skip = expected["calibration_copies"].get<size_t>() + expected["warmup"].get<size_t>();
      std::vector<const CopyVerdict*> data;
      for (const CopyVerdict* v : copies_in_issue_order(f, process)) {
        if (is_data_copy(f.model.ops[v->op], bytes)) data.push_back(v);
      }
      const auto& iterations = expected["iterations"];
      for (size_t i = 0; i < iterations.size() && skip + i < data.size(); ++i) {
        const auto& op = f.model.ops[data[skip + i]->op];
        // In-burst gap.
        const auto& call = f.model.api_calls[op.api];
        const auto& calls = f.model.processes[process].api_by_thread.at(call.thread_id);
        analysis::TimeNs previous_end = 0;
        for (uint32_t c : calls) {
          const auto& other = f.model.api_calls[c];
          if (other.end_ns <= call.start_ns) previous_end = std::max(previous_end, other.end_ns);
        }
        if (previous_end != 0 && call.start_ns - previous_end < 1'000'000) {
          burst_gaps.push_back(call.start_ns - previous_end);
          // Traces whose query calls were not recorded (issue 12) also apart.
          if (f.model.processes[process].queries_unrecorded) lean_burst_gaps.push_back(call.start_ns - previous_end);
        }
        if (iterations[i]["held"].is_null() || !iterations[i]["held"].get<bool>()) continue;
        // Release to start.
        // Only copies that started with nothing else running on the GPU
        // (let go by an end: a drain, a queue, a kernel's end); a copy that
        // started inside a running kernel (its last wave) has no such end.
        analysis::TimeNs released = 0;
        bool inside = false;
        for (uint32_t o : f.model.gpus[op.gpu].ops_by_start) {
          const auto& other = f.model.ops[o];
          if (o == data[skip + i]->op) continue;
          if (other.end_ns <= op.start_ns) released = std::max(released, other.end_ns);
          if (other.start_ns < op.start_ns && other.end_ns > op.start_ns && other.kind == analysis::OpKind::kernel) {
            inside = true;
          }
        }
        // Submitted (its call returned) after that end: the host held it.
        if (!inside && released != 0 && op.api_end_ns < released) release_to_start.push_back(op.start_ns - released);
      }
    }
  }
  ASSERT_FALSE(release_to_start.empty());
  ASSERT_FALSE(burst_gaps.empty());
  const auto show = [](const char* what, std::vector<analysis::TimeNs> v) {
    std::sort(v.begin(), v.end());
    const auto at = [&](size_t pct) { return v[std::min(v.size() - 1, v.size() * pct / 100)] / 1e3; };
    std::cout << fmt::format("{}: n={} p50 {:.1f} us p90 {:.1f} us p99 {:.1f} us max {:.1f} us\n", what, v.size(),
                             at(50), at(90), at(99), v.back() / 1e3);
    return v;
  };
  const auto r = show("held copies, release to start", release_to_start);
  const auto g = show("data copies, in-burst gap", burst_gaps);
  const analysis::AnalysisOptions defaults;
  const auto p90 = [](const std::vector<analysis::TimeNs>& v) { return v[v.size() * 90 / 100]; };
  EXPECT_GT(defaults.drain_after_ns, p90(r));
  EXPECT_GT(defaults.barrier_ns, p90(r));
  EXPECT_GT(defaults.adjacency_ns, p90(r));
  EXPECT_GT(defaults.burst_gap_ns, g[g.size() * 99 / 100]);
  if (!lean_burst_gaps.empty()) {
    const auto lean = show("data copies, in-burst gap, query calls not recorded", lean_burst_gaps);
    EXPECT_GT(defaults.burst_gap_lean_ns, lean.back());
  }
}

}  // namespace
}  // namespace holdup::testing
