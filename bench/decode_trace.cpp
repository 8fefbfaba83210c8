// holdup-bench-decode: the decode baseline for `holdup report` at scale.
//
// --mode load (default): holdup's own loading, analysis::load_traces, which
// reads every chunk with TraceReader and builds the analysis Model (the
// records `holdup report` analyses), and nothing else: no cause detection,
// no rendering. --mode read: TraceReader and protobuf parsing only, records
// counted. Prints JSON: records, seconds, peak RSS (VmHWM, read from
// /proc/self/status).

#include <chrono>
#include <cstdio>
#include <fstream>
#include <string>
#include <vector>

#include <CLI/CLI.hpp>
#include <nlohmann/json.hpp>

#include "holdup/analysis_load.h"
#include "trace/trace_reader.h"
#include "holdup/trace.pb.h"

namespace {

// Peak resident set of this process in KiB, or 0.
uint64_t peak_rss_kib() {
  std::ifstream status("/proc/self/status");
  std::string line;
  while (std::getline(status, line))
    if (line.rfind("VmHWM:", 0) == 0) return std::stoull(line.substr(6));
  return 0;
}

uint64_t chunk_records(const holdup::proto::Chunk& c) {
  return c.kernel_size() + c.memcpy_size() + c.memset_size() + c.api_size() + c.synchronization_size() +
         c.cuda_event_size() + c.stream_size() + c.device_size() + c.context_size() + c.overhead_size() +
         c.marker_size() + c.thread_name_size() + c.launch_size() + c.module_size() + c.object_name_size() + c.event_call_size();
}

}  // namespace

int main(int argc, char** argv) {
  std::vector<std::string> paths;
  std::string mode = "load";
  CLI::App app{"Decodes holdup traces as `holdup report` does, without the analysis (the scale baseline)"};
  app.add_option("TRACE", paths, "Trace files or directories of *.trace")->required();
  app.add_option("--mode", mode, "load: analysis model loading; read: reader + protobuf parse only")
      ->check(CLI::IsMember({"load", "read"}))
      ->capture_default_str();
  CLI11_PARSE(app, argc, argv);

  const auto t0 = std::chrono::steady_clock::now();
  uint64_t records = 0;
  nlohmann::json out = {{"tool", "holdup-bench-decode"}, {"mode", mode}};
  std::vector<std::string> errors;
  if (mode == "load") {
    holdup::analysis::Model model;
    if (!holdup::analysis::load_traces(paths, &model, &errors)) {
      for (const auto& e : errors) std::fprintf(stderr, "holdup-bench-decode: %s\n", e.c_str());
      return 2;
    }
    records = model.ops.size() + model.api_calls.size() + model.synchronizations.size() + model.events.size() +
              model.overheads.size() + model.launches.size() + model.modules.size() + 2 * model.nvtx_ranges.size();
    out["model"] = {{"ops", model.ops.size()},         {"api_calls", model.api_calls.size()},
                    {"launches", model.launches.size()}, {"events", model.events.size()},
                    {"nvtx_ranges", model.nvtx_ranges.size()}, {"processes", model.processes.size()}};
  } else {
    for (const auto& path : holdup::analysis::expand_trace_paths(paths, &errors)) {
      std::string error;
      auto reader = holdup::TraceReader::open(path, &error);
      if (!reader) {
        std::fprintf(stderr, "holdup-bench-decode: %s\n", error.c_str());
        return 2;
      }
      holdup::proto::Chunk chunk;
      while (reader->next(&chunk)) records += chunk_records(chunk);
      if (!reader->status().error.empty()) {
        std::fprintf(stderr, "holdup-bench-decode: %s\n", reader->status().error.c_str());
        return 2;
      }
    }
    for (const auto& e : errors) std::fprintf(stderr, "holdup-bench-decode: %s\n", e.c_str());
    if (!errors.empty()) return 2;
  }
  const double seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
  out["records"] = records;
  out["seconds"] = seconds;
  out["peak_rss_kib"] = peak_rss_kib();
  std::printf("%s\n", out.dump().c_str());
  return 0;
}
