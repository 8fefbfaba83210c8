#include "command_line.h"

#include <algorithm>
#include <utility>
#include <ostream>
#include <stdexcept>

#include <CLI/CLI.hpp>

#include "scenarios.h"

namespace holdup::workload {
namespace {

constexpr const char* kProgram = "holdup-workload";

// The scenario named by --scenario NAME / --scenario=NAME, if any.
std::optional<std::string> find_scenario_argument(const std::vector<std::string>& args) {
  std::optional<std::string> name;
  for (std::size_t i = 0; i < args.size(); ++i) {
    if (args[i] == "--") break;
    if (args[i] == "--scenario" && i + 1 < args.size()) {
      name = args[i + 1];
      ++i;
    } else if (args[i].rfind("--scenario=", 0) == 0) {
      name = args[i].substr(std::string_view("--scenario=").size());
    }
  }
  return name;
}

void print_scenarios(std::ostream& out) {
  std::size_t width = 0;
  for (const Scenario& scenario : all_scenarios()) width = std::max(width, scenario.name.size());
  out << "Scenarios (--scenario NAME; options given after it override the preset; see SCENARIOS.md):\n";
  for (const Scenario& scenario : all_scenarios()) {
    out << "  " << scenario.name << std::string(width - scenario.name.size() + 2, ' ') << scenario.summary << '\n';
  }
}

// An option whose value is one of a few names. Parsed as text checked
// against the names (CLI11 then says "foo not in {a,b}"), converted after.
template <typename Enum>
struct NamedChoice {
  std::string text;
  std::vector<std::pair<std::string, Enum>> names;
  Enum* target;

  CLI::Option* add(CLI::App& app, const std::string& option, const std::string& help) {
    std::vector<std::string> allowed;
    for (const auto& [name, value] : names) {
      allowed.push_back(name);
      if (value == *target) text = name;
    }
    return app.add_option(option, text, help)->check(CLI::IsMember(allowed))->capture_default_str();
  }
  void apply() const {
    for (const auto& [name, value] : names) {
      if (name == text) *target = value;
    }
  }
};

}  // namespace

ParsedCommandLine parse_command_line(const std::vector<std::string>& args, std::ostream& out, std::ostream& err) {
  ParsedCommandLine parsed;
  WorkloadConfig& config = parsed.config;

  // The preset's options come first so that the user's, parsed after them,
  // win (every option takes the last value given).
  std::vector<std::string> effective_args;
  if (const std::optional<std::string> name = find_scenario_argument(args)) {
    const Scenario* scenario = find_scenario(*name);
    if (scenario == nullptr) {
      err << kProgram << ": error: unknown scenario '" << *name << "'; --list-scenarios lists them\n";
      parsed.exit_code = kExitUsage;
      return parsed;
    }
    effective_args = scenario->options;
  }
  effective_args.insert(effective_args.end(), args.begin(), args.end());

  CLI::App app{
      "Reference CUDA workload for holdup: compute kernels on one stream, a proxy thread triggered from the "
      "GPU that issues a copy on another stream, and switches for every mechanism that can hold the copy.",
      kProgram};
  app.option_defaults()->take_last();

  std::string pattern_text = format_pattern(config.pattern);
  std::string gpus_text;
  int priority_compute = 0;
  int priority_copy = 0;
  bool list_scenarios = false;
  bool no_events = false;
  std::string role_text = "launcher";

  app.add_option("--scenario", config.scenario, "Preset (see --list-scenarios); later options override it");
  app.add_flag("--list-scenarios", list_scenarios, "List the presets and exit");
  bool print_remedy = false;
  app.add_flag("--print-remedy", print_remedy,
               "Print the options that remove the --scenario's hold (its A/B partner) and exit");
  app.add_option("--procs", config.procs, "Processes: 2 (IPC peer, as the report) or 1")->capture_default_str();
  app.add_option("--gpus", gpus_text,
                 "Device of each process, e.g. 0,1 or 0,0 (shared: time-slicing); default: rank % device count");
  app.add_option("--pattern", pattern_text, "Kernel sequence per iteration, e.g. 0,1,2 or 0,2,1,2")
      ->capture_default_str();
  app.add_option("--iterations", config.iterations, "Measured iterations")->capture_default_str();
  app.add_option("--warmup", config.warmup,
                 "Iterations run first and discarded (iteration 0 pays every kernel's first launch)")
      ->capture_default_str();
  app.add_option("--bytes", config.bytes, "Bytes per copy (suffixes: KiB, MiB, GiB, k, M, G)")
      ->transform(CLI::AsSizeValue(false))
      ->capture_default_str();
  app.add_option("--kernel-us", config.kernel_us, "Length of Kernel0/Kernel1 (spin on %globaltimer)")
      ->capture_default_str();
  app.add_option("--blocks-per-sm", config.blocks_per_sm, "Blocks per SM of Kernel0/Kernel1")->capture_default_str();
  app.add_option("--threads", config.threads, "Threads per block of Kernel0/Kernel1")->capture_default_str();
  app.add_option("--reduce-elements", config.reduce_elements, "Floats summed by Kernel2")->capture_default_str();
  NamedChoice<CopyPath> copy_path{{},
                                  {{"peer", CopyPath::kPeer},
                                   {"local", CopyPath::kLocal},
                                   {"h2d", CopyPath::kH2D},
                                   {"d2h", CopyPath::kD2H},
                                   {"pageable-h2d", CopyPath::kPageableH2D}},
                                  &config.copy_path};
  NamedChoice<CopyApi> copy_api{{},
                                {{"memcpy-async", CopyApi::kMemcpyAsync},
                                 {"memcpy-peer-async", CopyApi::kMemcpyPeerAsync},
                                 {"batch", CopyApi::kBatch}},
                                &config.copy_api};
  NamedChoice<ModuleLoading> module_loading{{},
                                            {{"inherit", ModuleLoading::kInherit},
                                             {"lazy", ModuleLoading::kLazy},
                                             {"eager", ModuleLoading::kEager},
                                             {"separate", ModuleLoading::kSeparate},
                                             {"reload", ModuleLoading::kReload}},
                                            &config.module_loading};
  NamedChoice<SignalKind> signal{
      {}, {{"pageable", SignalKind::kPageable}, {"pinned", SignalKind::kPinned}, {"none", SignalKind::kNone}},
      &config.signal};
  NamedChoice<SyncBesideK2> sync_beside_k2{{},
                                           {{"none", SyncBesideK2::kNone},
                                            {"malloc", SyncBesideK2::kMalloc},
                                            {"set-limit", SyncBesideK2::kSetLimit}},
                                           &config.sync_beside_k2};
  copy_path.add(app, "--copy-path",
                "peer (IPC buffer of the other process) | local (D2D) | h2d | d2h (pinned) | pageable-h2d");
  copy_api.add(app, "--copy-api", "memcpy-async | memcpy-peer-async | batch (PreferOverlapWithCompute)");
  module_loading.add(app, "--module-loading",
                     "inherit (environment) | lazy | eager | separate (Kernel2 in its own module) | reload");
  signal.add(app, "--signal", "Signal after the copy: pageable (MSCCL++) | pinned | none");
  sync_beside_k2.add(app, "--sync-beside-k2", "Beside Kernel2: none | malloc (cudaMalloc/cudaFree) | set-limit");
  app.add_option("--max-connections", config.max_connections,
                 "Set CUDA_DEVICE_MAX_CONNECTIONS before CUDA starts (0: leave it)")
      ->capture_default_str();
  CLI::Option* priority_compute_option =
      app.add_option("--priority-compute", priority_compute, "Compute stream priority (lower is higher)");
  CLI::Option* priority_copy_option =
      app.add_option("--priority-copy", priority_copy, "Copy stream priority (lower is higher)");
  app.add_flag("--default-stream", config.default_stream, "Launch compute on the legacy default stream");
  app.add_flag("--blocking-copy-stream", config.blocking_copy_stream,
               "Create the copy stream without cudaStreamNonBlocking");
  app.add_flag("--thread-per-iteration", config.thread_per_iteration, "Start a new proxy thread every iteration");
  app.add_flag("--no-events", no_events, "No CUDA events (for measuring overhead); host times only");
  app.add_option("--timeout-s", config.timeout_s, "Bound on every wait; the whole run gets (iterations+2)x this")
      ->capture_default_str();
  app.add_option("--json", config.json_path, "Write the results as JSON to this file");

  // Hidden: how the launcher starts its two workers.
  app.add_option("--role", role_text)->group("")->check(CLI::IsMember({"launcher", "worker"}));
  app.add_option("--rank", config.rank)->group("");
  app.add_option("--peer-fd", config.peer_fd)->group("");
  app.add_option("--json-part", config.json_part_path)->group("");

  try {
    std::vector<std::string> reversed(effective_args.rbegin(), effective_args.rend());
    app.parse(reversed);
  } catch (const CLI::ParseError& error) {
    const int code = app.exit(error, out, err);
    parsed.exit_code = code == 0 ? kExitOk : kExitUsage;
    return parsed;
  }

  if (list_scenarios) {
    print_scenarios(out);
    parsed.exit_code = kExitOk;
    return parsed;
  }

  if (print_remedy) {
    const Scenario* scenario = find_scenario(config.scenario);
    if (scenario == nullptr) {
      err << kProgram << ": error: --print-remedy needs --scenario NAME\n";
      parsed.exit_code = kExitUsage;
      return parsed;
    }
    for (std::size_t i = 0; i < scenario->remedy_options.size(); ++i) {
      out << (i > 0 ? " " : "") << scenario->remedy_options[i];
    }
    out << '\n';
    parsed.exit_code = kExitOk;
    return parsed;
  }

  try {
    config.pattern = parse_pattern(pattern_text);
    if (!gpus_text.empty()) config.gpus = parse_gpu_list(gpus_text);
  } catch (const std::invalid_argument& error) {
    err << kProgram << ": error: " << error.what() << '\n';
    parsed.exit_code = kExitUsage;
    return parsed;
  }
  copy_path.apply();
  copy_api.apply();
  module_loading.apply();
  signal.apply();
  sync_beside_k2.apply();
  if (priority_compute_option->count() > 0) config.priority_compute = priority_compute;
  if (priority_copy_option->count() > 0) config.priority_copy = priority_copy;
  config.events = !no_events;
  config.role = role_text == "worker" ? Role::kWorker : Role::kLauncher;

  if (const std::optional<std::string> problem = validate(config)) {
    err << kProgram << ": error: " << *problem << '\n';
    parsed.exit_code = kExitUsage;
  }
  return parsed;
}

std::vector<std::string> worker_arguments(const std::vector<std::string>& user_args, int rank, int peer_fd,
                                          const std::string& json_part_path) {
  std::vector<std::string> args = user_args;
  args.insert(args.end(), {"--role", "worker", "--rank", std::to_string(rank), "--peer-fd", std::to_string(peer_fd)});
  if (!json_part_path.empty()) args.insert(args.end(), {"--json-part", json_part_path});
  return args;
}

}  // namespace holdup::workload
