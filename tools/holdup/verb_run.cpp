// `holdup run [options] [--] COMMAND [ARGS...]`: runs a command with the
// recorder injected (CUDA_INJECTION64_PATH=libholdup.so), then says where
// the traces went and summarizes each one written during the run.
//
// Exit status is the command's, as a shell reports it: its exit code, or
// 128+N when signal N killed it; 127 when the command was not found, 126
// when it could not be executed, 125 when holdup itself failed before
// starting it (no libholdup.so, output folder not creatable).

#include <dlfcn.h>
#include <signal.h>
#include <string.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <filesystem>
#include <iostream>
#include <map>
#include <optional>

#include <fmt/format.h>

#include "number_checks.h"
#include "run_child.h"
#include "run_library.h"
#include "trace/trace_summary.h"
#include "verb.h"


namespace holdup::cli {
namespace {

namespace fs = std::filesystem;


struct RunOptions {
  std::string output_dir;
  std::optional<uint64_t> flush_ms;
  std::optional<uint64_t> duration_ms;
  std::optional<uint64_t> start_delay_ms;
  std::optional<uint64_t> size_cap_mb;
  bool profiler_api = false;
  bool no_summary = false;
  std::vector<std::string> command;
};

// ---------------------------------------------------------------------------
// Environment for the child

// CUPTI records NVTX ranges and thread names only when NVTX forwards its
// calls to CUPTI, which NVTX does when NVTX_INJECTION64_PATH names libcupti.
// Resolved here, in the launcher, so the recorder never has to change the
// app's environment from inside it. The bare soname is preferred when the
// loader finds it: then NVTX gets the very CUPTI already in the process
// (libholdup.so's, or the one an app such as PyTorch brings), never a second
// copy, which would collide with the first.
std::optional<std::string> find_cupti_for_nvtx() {
  constexpr const char* kSoname = "libcupti.so.13";
  if (void* handle = ::dlopen(kSoname, RTLD_LAZY | RTLD_LOCAL)) {
    ::dlclose(handle);
    return std::string(kSoname);
  }
  for (const char* path : {"/usr/local/cuda/lib64/libcupti.so.13",
                           "/usr/local/cuda/targets/x86_64-linux/lib/libcupti.so.13",
                           "/usr/local/cuda/extras/CUPTI/lib64/libcupti.so.13"}) {
    std::error_code ec;
    if (fs::is_regular_file(path, ec)) return std::string(path);
  }
  return std::nullopt;
}

bool prepare_environment(const RunOptions& options, const fs::path& library, const fs::path& output_dir,
                         std::string* error) {
  if (const char* previous = std::getenv("CUDA_INJECTION64_PATH"); previous && *previous && library != previous) {
    std::cerr << "holdup run: replacing CUDA_INJECTION64_PATH=" << previous << "\n";
  }
  std::map<std::string, std::string> vars{
      {"CUDA_INJECTION64_PATH", library.string()},
      {"HOLDUP_OUTPUT", output_dir.string()},
  };
  if (const char* nvtx = std::getenv("NVTX_INJECTION64_PATH"); nvtx == nullptr || *nvtx == '\0') {
    if (auto cupti = find_cupti_for_nvtx()) vars["NVTX_INJECTION64_PATH"] = *cupti;
  }
  auto number = [&](const char* name, const std::optional<uint64_t>& value) {
    if (value) vars[name] = std::to_string(*value);
  };
  number("HOLDUP_FLUSH_MS", options.flush_ms);
  number("HOLDUP_DURATION_MS", options.duration_ms);
  number("HOLDUP_START_DELAY_MS", options.start_delay_ms);
  number("HOLDUP_SIZE_CAP_MB", options.size_cap_mb);
  if (options.profiler_api) vars["HOLDUP_PROFILER_API"] = "1";
  for (const auto& [name, value] : vars) {
    if (::setenv(name.c_str(), value.c_str(), 1) != 0) {
      *error = fmt::format("cannot set {}: {}", name, std::strerror(errno));
      return false;
    }
  }
  return true;
}

// ---------------------------------------------------------------------------
// Traces written during the run

using TraceTimes = std::map<fs::path, fs::file_time_type>;

bool is_trace_name(const fs::path& path) {
  std::string name = path.filename().string();
  return name.starts_with("holdup-") && name.ends_with(".trace");
}

TraceTimes list_traces(const fs::path& dir) {
  TraceTimes traces;
  std::error_code ec;
  for (fs::directory_iterator it(dir, ec), end; !ec && it != end; it.increment(ec)) {
    if (!is_trace_name(it->path())) continue;
    std::error_code time_ec;
    auto time = fs::last_write_time(it->path(), time_ec);
    if (!time_ec) traces[it->path()] = time;
  }
  return traces;
}

// Files that appeared, or changed, since `before` was listed. (Comparing
// with the previous listing rather than the start time: file times can be
// coarser than the clock.)
std::vector<fs::path> traces_written(const fs::path& dir, const TraceTimes& before) {
  std::vector<fs::path> written;
  for (const auto& [path, time] : list_traces(dir)) {
    auto old = before.find(path);
    if (old == before.end() || old->second != time) written.push_back(path);
  }
  return written;
}

void report_traces(const fs::path& dir, const TraceTimes& before, bool summarize) {
  auto written = traces_written(dir, before);
  if (written.empty()) {
    std::cerr << "holdup: no trace written in " << dir.string()
              << " (did the command use CUDA? see the recorder's `holdup:` messages above, if any)\n";
    return;
  }
  std::cerr << "holdup: " << written.size() << (written.size() == 1 ? " trace" : " traces") << " in "
            << dir.string() << "\n";
  for (const auto& path : written) {
    if (!summarize) {
      std::cerr << "  " << path.filename().string() << "\n";
      continue;
    }
    TraceSummary s = summarize_trace(path.string());
    std::string line = fmt::format("  {}: ", path.filename().string());
    if (s.read.chunks > 0) {
      line += fmt::format("{} records, {} dropped, {} copies, {} kernels", s.activity_records(),
                          s.health.dropped_records(), s.copies(), s.count(RecordKind::kernel));
      if (const uint32_t signal = s.health.final_flush_signal()) {
        const char* abbrev = ::sigabbrev_np(static_cast<int>(signal));
        line += abbrev ? fmt::format(", final flush at SIG{}", abbrev) : fmt::format(", final flush at signal {}", signal);
      }
    }
    auto tags = trace_warning_tags(s);
    if (!s.ok()) tags.insert(tags.begin(), s.error());
    std::string warnings;
    for (const auto& tag : tags) warnings += (warnings.empty() ? "" : ", ") + tag;
    if (!warnings.empty()) line += fmt::format("{}WARNING: {}", s.read.chunks > 0 ? "  " : "", warnings);
    std::cerr << line << "\n";
  }
  std::cerr << "holdup: see `holdup info` and `holdup report` on these files\n";
}

// ---------------------------------------------------------------------------

int run_command(const RunOptions& options) {
  if (options.command.empty()) {
    std::cerr << "holdup run: no command given. Usage: holdup run [options] [--] COMMAND [ARGS...]\n";
    return kExitHoldupFailed;
  }
  std::string error;
  auto library = find_recorder_library(&error);
  if (!library) {
    std::cerr << "holdup run: " << error << "\n";
    return kExitHoldupFailed;
  }
  std::error_code ec;
  fs::path output_dir = fs::absolute(options.output_dir.empty() ? fs::current_path(ec) : fs::path(options.output_dir), ec);
  if (!ec) fs::create_directories(output_dir, ec);
  if (ec || !fs::is_directory(output_dir)) {
    std::cerr << "holdup run: cannot create the output folder " << output_dir.string() << ": "
              << (ec ? ec.message() : "not a directory") << ". Choose another with --output\n";
    return kExitHoldupFailed;
  }
  output_dir = output_dir.lexically_normal();
  if (!prepare_environment(options, *library, output_dir, &error)) {
    std::cerr << "holdup run: " << error << "\n";
    return kExitHoldupFailed;
  }

  TraceTimes before = list_traces(output_dir);
  std::cout.flush();
  int exit_code = spawn_and_wait(options.command);
  if (exit_code != kExitNotFound && exit_code != kExitCannotExecute) {
    report_traces(output_dir, before, !options.no_summary);
  }
  return exit_code;
}

void setup_run(CLI::App& app, int& exit_code) {
  auto* verb = app.add_subcommand("run", "Run a command with the recorder and summarize its traces");
  auto options = std::make_shared<RunOptions>();
  verb->add_option("-o,--output", options->output_dir, "Folder for the traces (default: current folder; created)");
  // The recorder's own ranges (src/inject/config.cpp).
  verb->add_option("--flush-ms", options->flush_ms, "Flush CUPTI buffers this often (HOLDUP_FLUSH_MS)")
      ->check(cli::whole_number(1, 60'000));
  verb->add_option("--duration-ms", options->duration_ms, "Stop recording after this long (HOLDUP_DURATION_MS)")
      ->check(cli::whole_number(0, 365ull * 24 * 3600 * 1000));
  verb->add_option("--start-delay-ms", options->start_delay_ms,
                   "Start recording this long after CUDA starts (HOLDUP_START_DELAY_MS)")
      ->check(cli::whole_number(0, 365ull * 24 * 3600 * 1000));
  verb->add_option("--size-cap-mb", options->size_cap_mb, "Stop writing past this trace size (HOLDUP_SIZE_CAP_MB)")
      ->check(cli::whole_number(0, 1ull << 30));
  verb->add_flag("--profiler-api", options->profiler_api,
                 "Record only between cudaProfilerStart and cudaProfilerStop (HOLDUP_PROFILER_API=1)");
  verb->add_flag("--no-summary", options->no_summary, "List the traces written without reading them");
  // Everything from the command on is the command's, options included. Two
  // ways in: without `--`, prefix_command() leaves the command and its
  // arguments unparsed in remaining(); with `--`, CLI11 only keeps the
  // arguments when a positional is still expected, so COMMAND exists for that
  // case and refuses values until `--` was seen (validate_positionals makes
  // a refused value fall through to the prefix-command path).
  auto after_separator = std::make_shared<std::vector<std::string>>();
  verb->add_option("COMMAND", *after_separator, "The command to run and its arguments")
      ->expected(1, -1)
      ->check(CLI::Validator(
          [verb](std::string&) -> std::string {
            auto seen = verb->remaining();
            return std::find(seen.begin(), seen.end(), "--") != seen.end() ? "" : "only after --";
          },
          ""));
  verb->validate_positionals();
  verb->prefix_command();
  verb->footer(
      "The recorder library is $HOLDUP_LIB if set, else libholdup.so beside holdup, in ../lib, in the build\n"
      "tree, or in the configured libdir. Other HOLDUP_* variables pass through to the recorder.\n"
      "Exit status: the command's (128+N if signal N killed it); 127 command not found, 126 not\n"
      "executable, 125 holdup failed before starting it.");
  verb->callback([verb, options, after_separator, &exit_code] {
    auto unparsed = verb->remaining();
    if (!unparsed.empty() && unparsed.front() == "--") {
      options->command = *after_separator;
      options->command.insert(options->command.end(), unparsed.begin() + 1, unparsed.end());
    } else {
      options->command = unparsed;
    }
    exit_code = run_command(*options);
  });
}

}  // namespace
}  // namespace holdup::cli

HOLDUP_REGISTER_VERB(run, 10, holdup::cli::setup_run);
