// holdup-whatif: which recorded facts do the verdicts rest on? For every
// fixture of the manifests (tests/data/MANIFEST.json, tests/data/corpus/
// MANIFEST.json, or those under --data), analyses the traces as recorded and
// again with one class of records left out, and counts the copies whose
// verdict (flagged, cold, cause) changes, and those whose split (issue to
// start, held) moved at all. A class whose removal changes no
// verdict on any fixture is one the recorder may stop recording (issue 12);
// one that changes some is needed. CPU only; prints a Markdown table, or
// JSON with --json.
//
//   holdup-whatif [--data DIR] [--json] [--show-changes N] [--filters a,b,...]

#include <cstdio>
#include <filesystem>
#include <fstream>
#include <functional>
#include <map>
#include <memory>
#include <string>
#include <unordered_map>
#include <vector>

#include <CLI/CLI.hpp>
#include <fmt/format.h>
#include <nlohmann/json.hpp>

#include "holdup/analysis.h"
#include "holdup/analysis_load.h"
#include "holdup/trace.pb.h"
#include "cuda_names/quiet_apis.h"
#include "trace/trace_reader.h"

namespace {

using holdup::proto::Chunk;
namespace analysis = holdup::analysis;

// Strings of the trace being read (interned before use).
using Strings = std::unordered_map<uint64_t, std::string>;

template <typename Field, typename Keep>
uint64_t keep_only(Field* field, Keep keep) {
  Field kept;
  uint64_t removed = 0;
  for (auto& r : *field) {
    if (keep(r)) *kept.Add() = r;
    else ++removed;
  }
  field->Swap(&kept);
  return removed;
}

struct Filter {
  std::string name;
  std::string what;
  // Removes records from the chunk; returns how many.
  std::function<uint64_t(Chunk*, const Strings&)> apply;
  // Called before each trace file (filters that carry state across chunks).
  std::function<void()> begin_trace;
};

std::string name_of(const Strings& s, uint64_t iid) {
  auto it = s.find(iid);
  return it == s.end() ? std::string() : it->second;
}

uint64_t quiet_api(Chunk* c, const Strings& s) {
  // As the recorder does: the header says they were left out (the analysis
  // then reads the issuing thread's burst with burst_gap_lean_ns).
  if (c->has_header()) c->mutable_header()->mutable_config()->add_not_recorded("api:cudaGetDevice");
  return keep_only(c->mutable_api(), [&](const auto& a) { return !holdup::cuda_names::is_quiet_api(name_of(s, a.name_iid())); });
}
uint64_t repeat_launches(Chunk* c, const Strings&) {
  return keep_only(c->mutable_launch(), [](const auto& l) { return l.first_launch() || l.first_launch_unknown(); });
}

// No wait records at all, as HOLDUP_KINDS=-SYNCHRONIZATION,-CUDA_EVENT with
// HOLDUP_EVENT_CALLS=0 would: the records gone and the header saying so (the analysis then treats a stream-wait-event
// call before a held copy as a wait it cannot see).
uint64_t wait_kinds(Chunk* c, const Strings&) {
  if (c->has_header()) {
    auto* kinds = c->mutable_header()->mutable_config()->mutable_enabled_kinds();
    if (kinds->empty()) {
      for (const char* k : {"CONCURRENT_KERNEL", "MEMCPY", "MEMCPY2", "MEMSET", "RUNTIME", "DRIVER", "STREAM", "DEVICE",
                            "CONTEXT", "OVERHEAD", "MARKER", "NAME"})
        kinds->Add(k);
    } else {
      keep_only(kinds, [](const std::string& k) { return k != "SYNCHRONIZATION" && k != "CUDA_EVENT"; });
    }
  }
  if (c->has_header()) c->mutable_header()->mutable_config()->set_event_calls(false);
  return keep_only(c->mutable_synchronization(), [](const auto&) { return false; }) +
         keep_only(c->mutable_cuda_event(), [](const auto&) { return false; }) +
         keep_only(c->mutable_event_call(), [](const auto&) { return false; });
}

// The recorder's default since issue 12: SYNCHRONIZATION off, its stream
// waits taken from the event-call callbacks. Made from the records: each
// STREAM_WAIT_EVENT Synchronization becomes a STREAM_WAIT EventCall (its
// start, stream, correlation; CUDA's event id for the CUevent), each
// cudaEventRecord API call with a CUDA_EVENT record a RECORD EventCall (the
// call's start and thread, the record's stream and event id). Records of
// one call may come in different chunks: the state lives across a trace.
struct EventCallMaker {
  struct Api {
    uint64_t start = 0;
    uint32_t thread = 0;
  };
  std::unordered_map<uint32_t, Api> record_apis;               // correlation -> record call
  std::unordered_map<uint32_t, holdup::proto::CudaEvent> events;  // correlation -> its CUDA_EVENT record

  void reset() { *this = {}; }

  uint64_t apply(Chunk* c, const Strings& s) {
    if (c->has_header()) {
      auto* config = c->mutable_header()->mutable_config();
      keep_only(config->mutable_enabled_kinds(), [](const std::string& k) { return k != "SYNCHRONIZATION"; });
      config->set_event_calls(true);
    }
    for (const auto& a : c->api()) {
      const std::string name = name_of(s, a.name_iid());
      if (name.starts_with("cudaEventRecord") || name.starts_with("cuEventRecord"))
        record_apis[a.correlation_id()] = {a.start_ns(), a.thread_id()};
    }
    for (const auto& e : c->cuda_event()) events[e.correlation_id()] = e;
    for (auto it = events.begin(); it != events.end();) {
      auto api = record_apis.find(it->first);
      if (api == record_apis.end()) {
        ++it;
        continue;
      }
      auto* call = c->add_event_call();
      call->set_kind(holdup::proto::EventCall::RECORD);
      call->set_time_ns(api->second.start);
      call->set_thread_id(api->second.thread);
      call->set_context_id(it->second.context_id());
      call->set_stream_id(it->second.stream_id());
      call->set_correlation_id(it->first);
      call->set_event_handle(it->second.event_id());
      call->set_domain(holdup::proto::ApiCall::RUNTIME);
      record_apis.erase(api);
      it = events.erase(it);
    }
    for (const auto& w : c->synchronization()) {
      if (w.type() != holdup::proto::STREAM_WAIT_EVENT) continue;
      auto* call = c->add_event_call();
      call->set_kind(holdup::proto::EventCall::STREAM_WAIT);
      call->set_time_ns(w.start_ns());
      call->set_context_id(w.context_id());
      call->set_stream_id(w.stream_id());
      call->set_correlation_id(w.correlation_id());
      call->set_event_handle(w.cuda_event_id());
      call->set_domain(holdup::proto::ApiCall::RUNTIME);
    }
    return keep_only(c->mutable_synchronization(), [](const auto&) { return false; });
  }
};

std::vector<Filter> all_filters() {
  auto maker = std::make_shared<EventCallMaker>();
  using holdup::proto::ApiCall;
  return {
      {"lean", "holdup's lean default: quiet-api + repeat-launches",
       [](Chunk* c, const Strings& s) { return quiet_api(c, s) + repeat_launches(c, s); }},
      {"quiet-api", "API records of the calls in src/cuda_names/quiet_apis.h", quiet_api},
      {"repeat-launches", "Launch records of a function's later launches (first launches kept)", repeat_launches},
      {"launches", "every Launch record (launch callbacks off)",
       [](Chunk* c, const Strings&) { return keep_only(c->mutable_launch(), [](const auto&) { return false; }); }},
      {"driver-api", "DRIVER API records (kind DRIVER off)",
       [](Chunk* c, const Strings&) {
         return keep_only(c->mutable_api(), [](const auto& a) { return a.domain() != ApiCall::DRIVER; });
       }},
      {"cuda-event", "CUDA_EVENT records",
       [](Chunk* c, const Strings&) { return keep_only(c->mutable_cuda_event(), [](const auto&) { return false; }); }},
      {"synchronization", "SYNCHRONIZATION records",
       [](Chunk* c, const Strings&) {
         return keep_only(c->mutable_synchronization(), [](const auto&) { return false; });
       }},
      {"wait-kinds", "no wait records (HOLDUP_KINDS=-SYNCHRONIZATION,-CUDA_EVENT HOLDUP_EVENT_CALLS=0)", wait_kinds},
      {"event-calls", "SYNCHRONIZATION off, stream waits from the event-call callbacks",
       [maker](Chunk* c, const Strings& s) { return maker->apply(c, s); }, [maker] { maker->reset(); }},
      {"event-calls-only", "SYNCHRONIZATION and CUDA_EVENT off, waits and records from the event-call callbacks "
                           "(the default since issue 12)",
       [maker](Chunk* c, const Strings& s) {
         const uint64_t removed = maker->apply(c, s);
         if (c->has_header())
           keep_only(c->mutable_header()->mutable_config()->mutable_enabled_kinds(),
                     [](const std::string& k) { return k != "CUDA_EVENT"; });
         return removed + keep_only(c->mutable_cuda_event(), [](const auto&) { return false; });
       },
       [maker] { maker->reset(); }},
      {"overhead", "OVERHEAD records",
       [](Chunk* c, const Strings&) { return keep_only(c->mutable_overhead(), [](const auto&) { return false; }); }},
      {"resource-events", "module/context/stream events of the RESOURCE callbacks",
       [](Chunk* c, const Strings&) { return keep_only(c->mutable_module(), [](const auto&) { return false; }); }},
      {"stream", "STREAM records",
       [](Chunk* c, const Strings&) { return keep_only(c->mutable_stream(), [](const auto&) { return false; }); }},
      {"device", "DEVICE records",
       [](Chunk* c, const Strings&) { return keep_only(c->mutable_device(), [](const auto&) { return false; }); }},
      {"context", "CONTEXT records",
       [](Chunk* c, const Strings&) { return keep_only(c->mutable_context(), [](const auto&) { return false; }); }},
      {"marker", "MARKER records (NVTX ranges)",
       [](Chunk* c, const Strings&) { return keep_only(c->mutable_marker(), [](const auto&) { return false; }); }},
  };
}

struct Verdict {
  bool flagged = false;
  bool cold = false;
  analysis::Cause cause = analysis::Cause::none;
  // The split: issue (or intent) to start, and the held part.
  uint64_t issue_to_start = 0;
  uint64_t held = 0;
  bool same_verdict(const Verdict& o) const { return flagged == o.flagged && cold == o.cold && cause == o.cause; }
  bool same_split(const Verdict& o) const { return issue_to_start == o.issue_to_start && held == o.held; }
};

// Copy key: process, correlation id, start: stable across filters (the ops
// themselves are never filtered).
using Key = std::tuple<uint32_t, uint32_t, uint64_t>;

struct Run {
  std::map<Key, Verdict> verdicts;
  uint64_t removed = 0;
  uint64_t records = 0;
};

Run analyse(const std::vector<std::string>& paths, const Filter* filter) {
  analysis::ModelBuilder builder;
  Run run;
  Chunk chunk;
  for (const auto& path : paths) {
    std::string error;
    auto reader = holdup::TraceReader::open(path, &error);
    if (!reader) {
      std::fprintf(stderr, "holdup-whatif: %s\n", error.c_str());
      continue;
    }
    Strings strings;
    builder.begin_trace(path);
    if (filter && filter->begin_trace) filter->begin_trace();
    while (reader->next(&chunk)) {
      for (const auto& s : chunk.string()) strings[s.iid()] = s.value();
      run.records += chunk.api_size() + chunk.launch_size() + chunk.event_call_size() + chunk.cuda_event_size() + chunk.synchronization_size() +
                     chunk.overhead_size() + chunk.module_size() + chunk.stream_size() + chunk.device_size() +
                     chunk.context_size() + chunk.marker_size() + chunk.kernel_size() + chunk.memcpy_size() +
                     chunk.memset_size();
      if (filter) run.removed += filter->apply(&chunk, strings);
      if (chunk.has_header()) chunk.mutable_header()->clear_command_line();  // as the fixture test
      builder.add_chunk(chunk);
    }
    builder.end_trace(reader->status());
  }
  analysis::Model model = builder.finish();
  analysis::AnalysisOptions options;
  options.keep_details = false;
  const analysis::Analysis a = analysis::analyze(model, options);
  for (const auto& v : a.copies) {
    if (v.op == analysis::kNone) continue;
    const auto& op = model.ops[v.op];
    if (op.kind == analysis::OpKind::kernel) continue;
    run.verdicts[{op.process, op.correlation_id, op.start_ns}] = Verdict{v.flagged(), v.cold(), v.cause, v.split.issue_to_start, v.split.held};
  }
  return run;
}

struct Fixture {
  std::string name;
  std::vector<std::string> paths;
};

std::vector<Fixture> read_fixtures(const std::filesystem::path& data) {
  std::vector<Fixture> out;
  for (const auto& dir : {data, data / "corpus"}) {
    std::ifstream in(dir / "MANIFEST.json");
    if (!in) continue;
    auto manifest = nlohmann::json::parse(in, nullptr, false);
    if (manifest.is_discarded()) continue;
    for (const auto& f : manifest.value("fixtures", nlohmann::json::array())) {
      Fixture fixture;
      fixture.name = f.value("run", std::string(dir == data ? "?" : "corpus")) + "/" + f.value("scenario", std::string("?"));
      std::vector<std::string> listed, errors;
      for (const auto& p : f.value("traces", nlohmann::json::array())) listed.push_back((dir / p.get<std::string>()).string());
      fixture.paths = analysis::expand_trace_paths(listed, &errors);
      if (!fixture.paths.empty()) out.push_back(std::move(fixture));
    }
  }
  return out;
}

std::string describe(const Verdict& v) {
  if (!v.flagged) return v.cold ? "cold" : "not flagged";
  return std::string(analysis::cause_id(v.cause));
}

}  // namespace

int main(int argc, char** argv) {
  CLI::App app{"Verdicts with one class of recorded facts left out, over every fixture"};
  std::string data = HOLDUP_WHATIF_DATA_DIR;
  bool json_out = false;
  int show = 5;
  std::vector<std::string> only;
  app.add_option("--data", data, "fixture folder with MANIFEST.json (and corpus/MANIFEST.json)");
  app.add_flag("--json", json_out, "JSON instead of a Markdown table");
  app.add_option("--show-changes", show, "list up to N changed copies per filter");
  app.add_option("--filters", only, "only these filters")->delimiter(',');
  CLI11_PARSE(app, argc, argv);

  const auto fixtures = read_fixtures(data);
  if (fixtures.empty()) {
    std::fprintf(stderr, "holdup-whatif: no fixtures under %s\n", data.c_str());
    return 2;
  }
  std::vector<Filter> filters;
  for (auto& f : all_filters())
    if (only.empty() || std::find(only.begin(), only.end(), f.name) != only.end()) filters.push_back(std::move(f));

  struct Tally {
    uint64_t removed = 0, records = 0, copies = 0, changed = 0, splits_changed = 0, flagged_before = 0, fixtures_changed = 0;
    std::vector<std::string> examples;
    std::vector<std::string> split_examples;
  };
  std::vector<Tally> tallies(filters.size());
  for (const auto& fixture : fixtures) {
    const Run base = analyse(fixture.paths, nullptr);
    for (size_t i = 0; i < filters.size(); ++i) {
      const Run run = analyse(fixture.paths, &filters[i]);
      Tally& t = tallies[i];
      t.removed += run.removed;
      t.records += run.records;
      uint64_t changed_here = 0;
      for (const auto& [key, before] : base.verdicts) {
        ++t.copies;
        if (before.flagged) ++t.flagged_before;
        auto it = run.verdicts.find(key);
        const Verdict after = it == run.verdicts.end() ? Verdict{} : it->second;
        if (!after.same_split(before)) {
          ++t.splits_changed;
          if (static_cast<int>(t.split_examples.size()) < show)
            t.split_examples.push_back(fmt::format(
                "{} corr {} ({}): issue-to-start {:.1f} -> {:.1f} us, held {:.1f} -> {:.1f} us", fixture.name,
                std::get<1>(key), describe(before), before.issue_to_start / 1e3, after.issue_to_start / 1e3,
                before.held / 1e3, after.held / 1e3));
        }
        if (after.same_verdict(before)) continue;
        ++t.changed;
        ++changed_here;
        if (static_cast<int>(t.examples.size()) < show)
          t.examples.push_back(fmt::format("{} corr {}: {} -> {}", fixture.name, std::get<1>(key), describe(before),
                                           describe(after)));
      }
      if (changed_here) ++t.fixtures_changed;
    }
  }

  if (json_out) {
    nlohmann::json out = {{"fixtures", fixtures.size()}, {"data", data}, {"filters", nlohmann::json::array()}};
    for (size_t i = 0; i < filters.size(); ++i) {
      const Tally& t = tallies[i];
      out["filters"].push_back({{"filter", filters[i].name},
                                {"what", filters[i].what},
                                {"records_removed", t.removed},
                                {"records", t.records},
                                {"copies", t.copies},
                                {"flagged", t.flagged_before},
                                {"verdicts_changed", t.changed},
                                {"splits_changed", t.splits_changed},
                                {"fixtures_changed", t.fixtures_changed},
                                {"examples", t.examples},
                                {"split_examples", t.split_examples}});
    }
    std::printf("%s\n", out.dump(1).c_str());
    return 0;
  }
  std::printf("%zu fixtures under %s\n\n", fixtures.size(), data.c_str());
  std::printf("| left out | records removed | copies (flagged) | verdicts changed | fixtures changed | splits changed |\n");
  std::printf("|---|---|---|---|---|---|\n");
  for (size_t i = 0; i < filters.size(); ++i) {
    const Tally& t = tallies[i];
    std::printf("| %s: %s | %llu of %llu | %llu (%llu) | %llu | %llu | %llu |\n", filters[i].name.c_str(),
                filters[i].what.c_str(), static_cast<unsigned long long>(t.removed),
                static_cast<unsigned long long>(t.records), static_cast<unsigned long long>(t.copies),
                static_cast<unsigned long long>(t.flagged_before), static_cast<unsigned long long>(t.changed),
                static_cast<unsigned long long>(t.fixtures_changed), static_cast<unsigned long long>(t.splits_changed));
  }
  for (size_t i = 0; i < filters.size(); ++i) {
    if (tallies[i].examples.empty() && tallies[i].split_examples.empty()) continue;
    std::printf("\n%s, e.g.:\n", filters[i].name.c_str());
    for (const auto& e : tallies[i].examples) std::printf("  verdict: %s\n", e.c_str());
    for (const auto& e : tallies[i].split_examples) std::printf("  split: %s\n", e.c_str());
  }
  return 0;
}
