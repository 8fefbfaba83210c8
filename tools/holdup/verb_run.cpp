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
#include <spawn.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <cerrno>
#include <cstring>
#include <filesystem>
#include <iostream>
#include <map>
#include <optional>

#include <fmt/format.h>

#include "holdup/run_paths.h"
#include "holdup/trace_summary.h"
#include "verb.h"

extern char** environ;

namespace holdup::cli {
namespace {

namespace fs = std::filesystem;

constexpr int kExitHoldupFailed = 125;
constexpr int kExitCannotExecute = 126;
constexpr int kExitNotFound = 127;
constexpr const char* kLibraryName = "libholdup.so";

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
// Finding libholdup.so

fs::path executable_dir() {
  std::error_code ec;
  fs::path exe = fs::read_symlink("/proc/self/exe", ec);
  return ec ? fs::path() : exe.parent_path();
}

// Where to look, in order: beside the executable, the install tree relative
// to it (bin/../lib), the build tree relative to it (tools/holdup/../../
// src/inject), the configured libdir, the build tree this binary came from.
std::vector<fs::path> library_candidates() {
  std::vector<fs::path> candidates;
  fs::path dir = executable_dir();
  if (!dir.empty()) {
    candidates.push_back(dir / kLibraryName);
    candidates.push_back(dir / ".." / HOLDUP_INSTALL_LIBDIR_RELATIVE / kLibraryName);
    candidates.push_back(dir / ".." / "lib" / kLibraryName);
    candidates.push_back(dir / ".." / "src" / "inject" / kLibraryName);
    candidates.push_back(dir / ".." / ".." / "src" / "inject" / kLibraryName);
  }
  candidates.push_back(fs::path(HOLDUP_INSTALL_LIBDIR_ABSOLUTE) / kLibraryName);
  candidates.push_back(fs::path(HOLDUP_BUILD_TREE_INJECT_DIR) / kLibraryName);
  return candidates;
}

// The absolute path of the recorder library, or nullopt with *error set.
std::optional<fs::path> find_recorder_library(std::string* error) {
  std::error_code ec;
  if (const char* forced = std::getenv("HOLDUP_LIB"); forced && *forced) {
    fs::path path = fs::absolute(forced, ec);
    if (ec || !fs::is_regular_file(path, ec)) {
      *error = fmt::format("HOLDUP_LIB={} is not a file. Point it at libholdup.so, or unset it to use the installed one",
                           forced);
      return std::nullopt;
    }
    return path.lexically_normal();
  }
  std::string looked;
  std::vector<fs::path> seen;
  for (const auto& candidate : library_candidates()) {
    fs::path normal = candidate.lexically_normal();
    if (std::find(seen.begin(), seen.end(), normal) != seen.end()) continue;
    seen.push_back(normal);
    if (fs::is_regular_file(normal, ec)) return fs::weakly_canonical(normal, ec);
    looked += "\n  " + normal.string();
  }
  *error = "cannot find " + std::string(kLibraryName) + "; looked in:" + looked +
           "\nBuild it (src/inject) or install holdup, or set HOLDUP_LIB to its path";
  return std::nullopt;
}

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
// Running the child, forwarding signals

constexpr int kForwardedSignals[] = {SIGINT, SIGTERM, SIGHUP, SIGQUIT, SIGUSR1, SIGUSR2};

std::atomic<pid_t> g_child{0};
static_assert(std::atomic<pid_t>::is_always_lock_free);

void forward_signal(int signal, siginfo_t* info, void*) {
  // A terminal's ^C, ^\ and hangup already reach the child (same process
  // group) and arrive with si_code SI_KERNEL: forwarding those would deliver
  // them twice.
  if (info && info->si_code == SI_KERNEL) return;
  pid_t child = g_child.load();
  if (child > 0) ::kill(child, signal);
}

// A signal holdup was started with ignored (nohup, a background job of a
// non-interactive shell) is left ignored, not forwarded: the command then
// inherits SIG_IGN as it would without holdup (a handled signal is reset to
// the default in the command).
class SignalForwarding {
 public:
  SignalForwarding() {
    struct sigaction action {};
    action.sa_sigaction = forward_signal;
    action.sa_flags = SA_SIGINFO | SA_RESTART;
    sigemptyset(&action.sa_mask);
    for (size_t i = 0; i < std::size(kForwardedSignals); ++i) {
      ::sigaction(kForwardedSignals[i], nullptr, &previous_[i]);
      if ((previous_[i].sa_flags & SA_SIGINFO) == 0 && previous_[i].sa_handler == SIG_IGN) continue;
      installed_[i] = ::sigaction(kForwardedSignals[i], &action, nullptr) == 0;
    }
  }
  ~SignalForwarding() {
    for (size_t i = 0; i < std::size(kForwardedSignals); ++i)
      if (installed_[i]) ::sigaction(kForwardedSignals[i], &previous_[i], nullptr);
  }
  SignalForwarding(const SignalForwarding&) = delete;
  SignalForwarding& operator=(const SignalForwarding&) = delete;

 private:
  struct sigaction previous_[std::size(kForwardedSignals)] {};
  bool installed_[std::size(kForwardedSignals)] = {};
};

// Spawns the command (PATH search), waits, and returns its exit status as a
// shell would.
int spawn_and_wait(const std::vector<std::string>& command) {
  std::vector<char*> argv;
  for (const auto& arg : command) argv.push_back(const_cast<char*>(arg.c_str()));
  argv.push_back(nullptr);

  // Block the forwarded signals until the child's pid is known, and give
  // the child the mask and dispositions holdup itself started with.
  sigset_t forwarded, original;
  sigemptyset(&forwarded);
  for (int signal : kForwardedSignals) sigaddset(&forwarded, signal);
  ::pthread_sigmask(SIG_BLOCK, &forwarded, &original);
  SignalForwarding forwarding;

  posix_spawnattr_t attributes;
  posix_spawnattr_init(&attributes);
  posix_spawnattr_setsigmask(&attributes, &original);
  posix_spawnattr_setflags(&attributes, POSIX_SPAWN_SETSIGMASK);
  pid_t child = 0;
  int spawn_error = ::posix_spawnp(&child, argv[0], nullptr, &attributes, argv.data(), environ);
  posix_spawnattr_destroy(&attributes);
  if (spawn_error == 0) g_child.store(child);
  ::pthread_sigmask(SIG_SETMASK, &original, nullptr);

  if (spawn_error != 0) {
    if (spawn_error == ENOENT) {
      std::cerr << "holdup run: " << command[0] << ": command not found"
                << (command[0].find('/') == std::string::npos ? " (searched PATH)" : "") << "\n";
      return kExitNotFound;
    }
    std::cerr << "holdup run: " << command[0] << ": cannot execute: " << std::strerror(spawn_error) << "\n";
    return kExitCannotExecute;
  }

  int status = 0;
  while (::waitpid(child, &status, 0) < 0) {
    if (errno != EINTR) {
      std::cerr << "holdup run: waiting for " << command[0] << " failed: " << std::strerror(errno) << "\n";
      g_child.store(0);
      return kExitHoldupFailed;
    }
  }
  g_child.store(0);
  if (WIFEXITED(status)) return WEXITSTATUS(status);
  if (WIFSIGNALED(status)) {
    // Kept as a shell reports it (128+N), and said: the traces listed next
    // end where the signal ended the command.
    const int signal = WTERMSIG(status);
    const char* abbrev = ::sigabbrev_np(signal);
    std::cerr << "holdup run: " << command[0] << " ended by signal " << signal
              << (abbrev ? fmt::format(" (SIG{})", abbrev) : std::string()) << (WCOREDUMP(status) ? ", core dumped" : "")
              << "; exit status " << 128 + signal << "\n";
    return 128 + signal;
  }
  return kExitHoldupFailed;
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
  verb->add_option("--flush-ms", options->flush_ms, "Flush CUPTI buffers this often (HOLDUP_FLUSH_MS)");
  verb->add_option("--duration-ms", options->duration_ms, "Stop recording after this long (HOLDUP_DURATION_MS)");
  verb->add_option("--start-delay-ms", options->start_delay_ms,
                   "Start recording this long after CUDA starts (HOLDUP_START_DELAY_MS)");
  verb->add_option("--size-cap-mb", options->size_cap_mb, "Stop writing past this trace size (HOLDUP_SIZE_CAP_MB)");
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
