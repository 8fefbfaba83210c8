#include "process_header.h"

#include <dlfcn.h>
#include <unistd.h>

#include <chrono>
#include <cstdlib>
#include <ctime>
#include <fstream>
#include <iterator>
#include <thread>

#include <cuda.h>
#include <fmt/format.h>

#include "holdup/version.h"
#include "record_decoder.h"

namespace holdup::inject {
namespace {

constexpr const char* kRankVariables[] = {"RANK",          "LOCAL_RANK",   "WORLD_SIZE",
                                          "LOCAL_WORLD_SIZE", "OMPI_COMM_WORLD_RANK", "OMPI_COMM_WORLD_LOCAL_RANK",
                                          "PMI_RANK",      "SLURM_PROCID", "SLURM_LOCALID"};
constexpr const char* kSchedulingVariables[] = {
    "CUDA_DEVICE_MAX_CONNECTIONS", "CUDA_MODULE_LOADING",      "CUDA_LAUNCH_BLOCKING",
    "CUDA_VISIBLE_DEVICES",        "CUDA_MPS_PIPE_DIRECTORY",  "CUDA_MPS_ACTIVE_THREAD_PERCENTAGE",
    "CUDA_SCALE_LAUNCH_QUEUES",    "CUDA_AUTO_BOOST"};

std::string read_file(const char* path) {
  std::ifstream in(path, std::ios::binary);
  return std::string(std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>());
}

void add_env(const char* const* names, size_t n, std::vector<std::pair<std::string, std::string>>* out) {
  for (size_t i = 0; i < n; ++i)
    if (const char* v = std::getenv(names[i])) out->emplace_back(names[i], v);
}

std::string driver_version_from_proc() { return driver_version_from_text(read_file("/proc/driver/nvidia/version")); }

template <typename Fn>
Fn symbol(void* lib, const char* name) {
  return lib == nullptr ? nullptr : reinterpret_cast<Fn>(dlsym(lib, name));
}

}  // namespace

// The first word of the "NVRM version:" line made of digits and dots with
// at least one dot: "... Kernel Module  580.159.04  ..." and the open
// module's "... Open Kernel Module for x86_64  580.159.04  ..." alike (the
// word after "Kernel Module" is "for" there).
std::string driver_version_from_text(std::string_view text) {
  const size_t line_start = text.find("NVRM version:");
  if (line_start == std::string_view::npos) return {};
  const size_t line_end = text.find('\n', line_start);
  std::string_view line = text.substr(line_start, line_end == std::string_view::npos ? text.npos : line_end - line_start);
  size_t pos = 0;
  while (pos < line.size()) {
    const size_t begin = line.find_first_not_of(" \t", pos);
    if (begin == std::string_view::npos) break;
    size_t end = line.find_first_of(" \t", begin);
    if (end == std::string_view::npos) end = line.size();
    const std::string_view word = line.substr(begin, end - begin);
    const bool digits_and_dots = word.find_first_not_of("0123456789.") == std::string_view::npos;
    if (digits_and_dots && word.find('.') != std::string_view::npos && word.front() != '.' && word.back() != '.')
      return std::string(word);
    pos = end;
  }
  return {};
}

std::string host_name() {
  char buf[256] = {};
  if (gethostname(buf, sizeof buf - 1) != 0) return "unknown-host";
  return buf;
}

ProcessHeaderInfo collect_process_info(const Config& config) {
  ProcessHeaderInfo info;
  info.hostname = host_name();
  info.pid = static_cast<uint32_t>(getpid());
  info.parent_pid = static_cast<uint32_t>(getppid());
  std::string cmdline = read_file("/proc/self/cmdline");
  for (size_t start = 0; start < cmdline.size();) {
    size_t end = cmdline.find('\0', start);
    if (end == std::string::npos) end = cmdline.size();
    info.command_line.push_back(cmdline.substr(start, end - start));
    start = end + 1;
  }
  add_env(kRankVariables, std::size(kRankVariables), &info.rank_env);
  add_env(kSchedulingVariables, std::size(kSchedulingVariables), &info.scheduling_env);
  timespec ts{};
  clock_gettime(CLOCK_REALTIME, &ts);
  info.start_time_unix_ns = static_cast<uint64_t>(ts.tv_sec) * 1'000'000'000ull + static_cast<uint64_t>(ts.tv_nsec);
  info.config = config;
  info.driver_version_string = driver_version_from_proc();
  return info;
}

bool collect_cuda_info(ProcessHeaderInfo* info, uint32_t wait_ms, std::string* why) {
  void* cuda = dlopen("libcuda.so.1", RTLD_NOW | RTLD_NOLOAD);
  if (cuda == nullptr) {
    *why = "libcuda.so.1 is not loaded in this process";
    return false;
  }
  using GetVersion = CUresult (*)(int*);
  using GetCount = CUresult (*)(int*);
  using Get = CUresult (*)(CUdevice*, int);
  using GetName = CUresult (*)(char*, int, CUdevice);
  using GetUuid = CUresult (*)(CUuuid*, CUdevice);
  using GetPci = CUresult (*)(char*, int, CUdevice);
  auto driver_version = symbol<GetVersion>(cuda, "cuDriverGetVersion");
  auto count = symbol<GetCount>(cuda, "cuDeviceGetCount");
  auto get = symbol<Get>(cuda, "cuDeviceGet");
  auto name = symbol<GetName>(cuda, "cuDeviceGetName");
  auto uuid = symbol<GetUuid>(cuda, "cuDeviceGetUuid_v2");
  if (uuid == nullptr) uuid = symbol<GetUuid>(cuda, "cuDeviceGetUuid");
  auto pci = symbol<GetPci>(cuda, "cuDeviceGetPCIBusId");

  int version = 0;
  if (driver_version != nullptr && driver_version(&version) == CUDA_SUCCESS)
    info->cuda_driver_version = static_cast<uint32_t>(version);

  // The runtime may be a shared libcudart or linked statically into the app
  // (then its symbols are found only if the app exports them).
  using RtVersion = int (*)(int*);
  RtVersion rt = nullptr;
  for (const char* lib : {"libcudart.so.13", "libcudart.so.12", "libcudart.so"}) {
    if (void* h = dlopen(lib, RTLD_NOW | RTLD_NOLOAD)) {
      rt = symbol<RtVersion>(h, "cudaRuntimeGetVersion");
      dlclose(h);
      if (rt != nullptr) break;
    }
  }
  if (rt == nullptr) rt = reinterpret_cast<RtVersion>(dlsym(RTLD_DEFAULT, "cudaRuntimeGetVersion"));
  int rt_version = 0;
  if (rt != nullptr && rt(&rt_version) == 0) info->cuda_runtime_version = static_cast<uint32_t>(rt_version);

  bool ok = false;
  int n = 0;
  if (count != nullptr && get != nullptr) {
    // InitializeInjection runs inside cuInit: until it returns, the driver
    // answers CUDA_ERROR_NOT_INITIALIZED. Wait a little for it.
    auto deadline = std::chrono::steady_clock::now() + std::chrono::milliseconds(wait_ms);
    CUresult r;
    while ((r = count(&n)) == CUDA_ERROR_NOT_INITIALIZED && std::chrono::steady_clock::now() < deadline)
      std::this_thread::sleep_for(std::chrono::milliseconds(5));
    ok = r == CUDA_SUCCESS;
    if (!ok) *why = fmt::format("cuDeviceGetCount returned {}", static_cast<int>(r));
  } else {
    *why = "libcuda.so.1 lacks cuDeviceGetCount";
  }
  for (int i = 0; ok && i < n; ++i) {
    CUdevice dev{};
    if (get(&dev, i) != CUDA_SUCCESS) continue;
    DeviceIdentityInfo d;
    d.ordinal = static_cast<uint32_t>(i);
    char buf[256] = {};
    if (name != nullptr && name(buf, sizeof buf - 1, dev) == CUDA_SUCCESS) d.name = buf;
    CUuuid id{};
    if (uuid != nullptr && uuid(&id, dev) == CUDA_SUCCESS)
      d.uuid = format_uuid(reinterpret_cast<const unsigned char*>(id.bytes));
    char bus[64] = {};
    if (pci != nullptr && pci(bus, sizeof bus - 1, dev) == CUDA_SUCCESS) d.pci_bus_id = bus;
    info->devices.push_back(std::move(d));
  }
  dlclose(cuda);
  return ok;
}

void encode_process_header(ChunkBuilder& chunk, const ProcessHeaderInfo& info) {
  protozero::pbf_writer h(chunk.writer(), fields::Chunk::header);
  h.add_string(fields::ProcessHeader::magic, "holdup-trace");
  h.add_uint32(fields::ProcessHeader::format_version, fields::FormatVersion::FORMAT_VERSION_1);
  h.add_string(fields::ProcessHeader::tool_version, HOLDUP_VERSION);
  h.add_string(fields::ProcessHeader::hostname, info.hostname);
  h.add_uint32(fields::ProcessHeader::pid, info.pid);
  h.add_uint32(fields::ProcessHeader::parent_pid, info.parent_pid);
  for (const auto& arg : info.command_line) h.add_string(fields::ProcessHeader::command_line, arg);
  // A map field is a repeated entry message with its key and value fields.
  auto add_map = [&h](uint32_t field, uint32_t key_field, uint32_t value_field,
                      const std::vector<std::pair<std::string, std::string>>& entries) {
    for (const auto& [key, value] : entries) {
      protozero::pbf_writer e(h, field);
      e.add_string(key_field, key);
      e.add_string(value_field, value);
    }
  };
  namespace ph = fields::ProcessHeader;
  add_map(ph::rank_env, ph::RankEnvEntry::key, ph::RankEnvEntry::value, info.rank_env);
  add_map(ph::scheduling_env, ph::SchedulingEnvEntry::key, ph::SchedulingEnvEntry::value, info.scheduling_env);
  h.add_uint64(fields::ProcessHeader::start_time_unix_ns, info.start_time_unix_ns);
  h.add_string(fields::ProcessHeader::cupti_clock, info.cupti_clock);
  if (info.cuda_driver_version) h.add_uint32(fields::ProcessHeader::cuda_driver_version, info.cuda_driver_version);
  if (info.cuda_runtime_version) h.add_uint32(fields::ProcessHeader::cuda_runtime_version, info.cuda_runtime_version);
  if (info.cupti_api_version) h.add_uint32(fields::ProcessHeader::cupti_api_version, info.cupti_api_version);
  if (info.cupti_build_api_version)
    h.add_uint32(fields::ProcessHeader::cupti_build_api_version, info.cupti_build_api_version);
  for (const auto& d : info.devices) {
    protozero::pbf_writer di(h, fields::ProcessHeader::device_identity);
    di.add_uint32(fields::DeviceIdentity::ordinal, d.ordinal);
    if (!d.uuid.empty()) di.add_string(fields::DeviceIdentity::uuid, d.uuid);
    if (!d.pci_bus_id.empty()) di.add_string(fields::DeviceIdentity::pci_bus_id, d.pci_bus_id);
    if (!d.name.empty()) di.add_string(fields::DeviceIdentity::name, d.name);
  }
  {
    const Config& c = info.config;
    protozero::pbf_writer rc(h, fields::ProcessHeader::config);
    rc.add_uint32(fields::RecorderConfig::flush_period_ms, c.flush_period_ms);
    rc.add_uint64(fields::RecorderConfig::buffer_size_bytes, c.buffer_size_bytes);
    rc.add_uint64(fields::RecorderConfig::buffer_min_bytes, c.buffer_min_bytes);
    rc.add_uint32(fields::RecorderConfig::buffer_count, c.buffer_count);
    if (c.per_thread_buffers) rc.add_bool(fields::RecorderConfig::per_thread_buffers, true);
    for (const auto& k : info.enabled_kinds) rc.add_string(fields::RecorderConfig::enabled_kinds, k);
    if (c.start_delay_ms) rc.add_uint64(fields::RecorderConfig::start_delay_ms, c.start_delay_ms);
    if (c.duration_ms) rc.add_uint64(fields::RecorderConfig::duration_ms, c.duration_ms);
    if (c.size_cap_bytes) rc.add_uint64(fields::RecorderConfig::size_cap_bytes, c.size_cap_bytes);
    if (c.profiler_api_range) rc.add_bool(fields::RecorderConfig::profiler_api_range, true);
    if (c.max_loss_ms) rc.add_uint32(fields::RecorderConfig::max_loss_ms, c.max_loss_ms);
    for (const auto& name : info.final_flush_signals) rc.add_string(fields::RecorderConfig::final_flush_signals, name);
    for (const auto& code : info.not_recorded) rc.add_string(fields::RecorderConfig::not_recorded, code);
    if (info.event_calls) rc.add_bool(fields::RecorderConfig::event_calls, true);
  }
  if (!info.driver_version_string.empty())
    h.add_string(fields::ProcessHeader::driver_version_string, info.driver_version_string);
}

}  // namespace holdup::inject
