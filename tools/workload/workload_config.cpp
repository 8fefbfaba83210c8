#include "workload_config.h"

#include <charconv>
#include <stdexcept>

namespace holdup::workload {

std::string_view option_name(CopyPath value) {
  switch (value) {
    case CopyPath::kPeer: return "peer";
    case CopyPath::kLocal: return "local";
    case CopyPath::kH2D: return "h2d";
    case CopyPath::kD2H: return "d2h";
    case CopyPath::kPageableH2D: return "pageable-h2d";
  }
  return "?";
}

std::string_view option_name(CopyApi value) {
  switch (value) {
    case CopyApi::kMemcpyAsync: return "memcpy-async";
    case CopyApi::kMemcpyPeerAsync: return "memcpy-peer-async";
    case CopyApi::kBatch: return "batch";
  }
  return "?";
}

std::string_view option_name(ModuleLoading value) {
  switch (value) {
    case ModuleLoading::kInherit: return "inherit";
    case ModuleLoading::kLazy: return "lazy";
    case ModuleLoading::kEager: return "eager";
    case ModuleLoading::kSeparate: return "separate";
    case ModuleLoading::kReload: return "reload";
  }
  return "?";
}

std::string_view option_name(SignalKind value) {
  switch (value) {
    case SignalKind::kPageable: return "pageable";
    case SignalKind::kPinned: return "pinned";
    case SignalKind::kNone: return "none";
  }
  return "?";
}

std::string_view option_name(SyncBesideK2 value) {
  switch (value) {
    case SyncBesideK2::kNone: return "none";
    case SyncBesideK2::kMalloc: return "malloc";
    case SyncBesideK2::kSetLimit: return "set-limit";
  }
  return "?";
}

namespace {

// Splits "a,b,c" into integers; `what` names the list in error messages.
std::vector<int> parse_int_list(std::string_view text, std::string_view what) {
  std::vector<int> values;
  if (text.empty()) throw std::invalid_argument(std::string(what) + " is empty");
  std::size_t position = 0;
  while (position <= text.size()) {
    const std::size_t comma = text.find(',', position);
    const std::string_view element =
        text.substr(position, comma == std::string_view::npos ? std::string_view::npos : comma - position);
    int value = 0;
    const auto [end, error] = std::from_chars(element.data(), element.data() + element.size(), value);
    if (element.empty() || error != std::errc{} || end != element.data() + element.size()) {
      throw std::invalid_argument(std::string(what) + " '" + std::string(text) + "': '" + std::string(element) +
                                  "' is not an integer");
    }
    values.push_back(value);
    if (comma == std::string_view::npos) break;
    position = comma + 1;
  }
  return values;
}

}  // namespace

std::vector<int> parse_pattern(std::string_view text) {
  std::vector<int> pattern = parse_int_list(text, "pattern");
  for (int kernel : pattern) {
    if (kernel < 0 || kernel > 2) {
      throw std::invalid_argument("pattern '" + std::string(text) + "': kernel " + std::to_string(kernel) +
                                  " does not exist (kernels are 0, 1 and 2)");
    }
  }
  return pattern;
}

std::string format_pattern(const std::vector<int>& pattern) {
  std::string text;
  for (std::size_t i = 0; i < pattern.size(); ++i) {
    if (i > 0) text += ',';
    text += std::to_string(pattern[i]);
  }
  return text;
}

std::vector<int> parse_gpu_list(std::string_view text) {
  std::vector<int> gpus = parse_int_list(text, "gpu list");
  for (int gpu : gpus) {
    if (gpu < 0) throw std::invalid_argument("gpu list '" + std::string(text) + "': negative device ordinal");
  }
  return gpus;
}

std::optional<std::string> validate(const WorkloadConfig& config) {
  if (config.procs != 1 && config.procs != 2) return "--procs must be 1 or 2";
  if (!config.gpus.empty() && static_cast<int>(config.gpus.size()) != config.procs) {
    return "--gpus names " + std::to_string(config.gpus.size()) + " device(s) but --procs is " +
           std::to_string(config.procs) + ": give one device per process (e.g. --gpus 0,0 to share one GPU)";
  }
  bool has_kernel0 = false;
  for (int kernel : config.pattern) has_kernel0 = has_kernel0 || kernel == 0;
  if (!has_kernel0) return "--pattern must contain kernel 0: its first launch in the pattern triggers the copy";
  if (config.iterations < 1) return "--iterations must be at least 1";
  if (config.warmup < 0) return "--warmup must not be negative";
  if (config.bytes == 0) return "--bytes must be positive";
  if (config.kernel_us == 0) return "--kernel-us must be positive";
  if (config.blocks_per_sm < 1) return "--blocks-per-sm must be at least 1";
  if (config.threads < 32 || config.threads > 1024 || config.threads % 32 != 0) {
    return "--threads must be a multiple of 32 between 32 and 1024";
  }
  if (config.reduce_elements == 0) return "--reduce-elements must be positive";
  if (config.max_connections < 0 || config.max_connections > 32) return "--max-connections must be 0 (unset) to 32";
  if (!(config.timeout_s > 0)) return "--timeout-s must be positive";
  const bool device_to_device = config.copy_path == CopyPath::kPeer || config.copy_path == CopyPath::kLocal;
  if (config.copy_api == CopyApi::kMemcpyPeerAsync && !device_to_device) {
    return "--copy-api memcpy-peer-async needs a device-to-device --copy-path (peer or local)";
  }
  if (config.role == Role::kWorker) {
    if (config.rank < 0 || config.rank >= config.procs) return "--rank out of range";
    if (config.procs == 2 && config.peer_fd < 0) return "--peer-fd is required for a worker of a 2-process run";
  }
  return std::nullopt;
}

double watchdog_seconds(const WorkloadConfig& config) {
  return config.timeout_s * static_cast<double>(config.iterations + config.warmup + 2);
}

}  // namespace holdup::workload
