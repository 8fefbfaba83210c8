// Shared by the exporters: names, record look-ups, scopes, ranks, ids.

#include "common.h"
#include "holdup/trace.pb.h"

#include <cxxabi.h>

#include <algorithm>
#include <charconv>
#include <cstdlib>
#include <memory>
#include <set>
#include <tuple>
#include <utility>

#include <fmt/format.h>

namespace holdup::exporting {

using analysis::kNone;

int64_t global_pid(const analysis::Model& model, uint32_t process) {
  const auto& p = model.processes[process];
  return (static_cast<int64_t>(p.host) << 48) | (static_cast<int64_t>(p.pid & 0xFFFFFF) << 24);
}

int64_t global_tid(const analysis::Model& model, uint32_t process, uint32_t thread_id) {
  return global_pid(model, process) | static_cast<int64_t>(thread_id & 0xFFFFFF);
}

namespace {

bool parse_int(const std::string& text, int64_t* value) {
  const char* end = text.data() + text.size();
  auto [ptr, ec] = std::from_chars(text.data(), end, *value);
  return ec == std::errc() && ptr == end && *value >= 0;
}

}  // namespace

std::vector<RankInfo> ranks_of(const analysis::Model& model, const Extras& extras,
                               const std::vector<uint32_t>& processes) {
  static const char* const kRankVars[] = {"RANK",        "OMPI_COMM_WORLD_RANK", "PMI_RANK",
                                          "PMIX_RANK",   "SLURM_PROCID",         "MV2_COMM_WORLD_RANK"};
  static const char* const kSizeVars[] = {"WORLD_SIZE", "OMPI_COMM_WORLD_SIZE", "PMI_SIZE", "SLURM_NTASKS",
                                          "MV2_COMM_WORLD_SIZE"};
  std::vector<RankInfo> out(processes.size());
  bool all = true;
  std::set<int64_t> seen;
  for (size_t i = 0; i < processes.size(); ++i) {
    const uint32_t p = processes[i];
    const ProcessExtras* x = p < extras.processes.size() ? &extras.processes[p] : nullptr;
    bool found = false;
    if (x) {
      const auto& env = x->header.rank_env();
      for (const char* name : kRankVars) {
        auto it = env.find(name);
        int64_t rank = 0;
        if (it != env.end() && parse_int(it->second, &rank)) {
          out[i].rank = rank;
          out[i].source = name;
          found = true;
          break;
        }
      }
      for (const char* name : kSizeVars) {
        auto it = env.find(name);
        int64_t size = 0;
        if (it != env.end() && parse_int(it->second, &size)) {
          out[i].world_size = size;
          break;
        }
      }
    }
    if (!found || !seen.insert(out[i].rank).second) all = false;
  }
  if (!all) {
    for (size_t i = 0; i < processes.size(); ++i) {
      out[i].rank = static_cast<int64_t>(i);
      out[i].world_size = static_cast<int64_t>(processes.size());
      out[i].source = "position";
    }
  }
  (void)model;
  return out;
}

namespace detail {

std::string demangle(std::string_view name) {
  if (!name.starts_with("_Z")) return std::string(name);
  int status = 0;
  const std::string mangled(name);
  std::unique_ptr<char, decltype(&std::free)> out(abi::__cxa_demangle(mangled.c_str(), nullptr, nullptr, &status),
                                                  &std::free);
  return status == 0 && out ? std::string(out.get()) : mangled;
}

std::string short_name(std::string_view d) {
  // Cut the parameter list: the first '(' outside template arguments.
  int depth = 0;
  size_t end = d.size();
  for (size_t i = 0; i < d.size(); ++i) {
    if (d[i] == '<') ++depth;
    if (d[i] == '>' && depth > 0) --depth;
    if (d[i] == '(' && depth == 0 && i > 0) {
      end = i;
      break;
    }
  }
  // Drop template arguments and keep what follows the last scope or space.
  std::string plain;
  depth = 0;
  for (size_t i = 0; i < end; ++i) {
    if (d[i] == '<') {
      ++depth;
      continue;
    }
    if (d[i] == '>' && depth > 0) {
      --depth;
      continue;
    }
    if (depth == 0) plain += d[i];
  }
  size_t from = 0;
  for (size_t i = 0; i < plain.size(); ++i) {
    if (plain[i] == ' ') from = i + 1;
    if (plain[i] == ':' && i + 1 < plain.size() && plain[i + 1] == ':') from = i + 2;
  }
  std::string out = plain.substr(std::min(from, plain.size()));
  return out.empty() ? std::string(d) : out;
}

const std::string& NameCache::demangled(uint32_t index) {
  auto it = demangled_.find(index);
  if (it == demangled_.end()) it = demangled_.emplace(index, demangle(model_.name(index))).first;
  return it->second;
}

const std::string& NameCache::demangled_text(const std::string& name) {
  auto [it, added] = demangled_texts_.try_emplace(name);
  if (added) it->second = demangle(name);
  return it->second;
}

const std::string& NameCache::short_name(uint32_t index) {
  auto it = short_.find(index);
  if (it == short_.end()) it = short_.emplace(index, detail::short_name(demangled(index))).first;
  return it->second;
}

std::string_view memcpy_kind_text(uint8_t kind) {
  switch (kind) {
    case proto::HTOD: return "HtoD";
    case proto::DTOH: return "DtoH";
    case proto::HTOA: return "HtoA";
    case proto::ATOH: return "AtoH";
    case proto::ATOA: return "AtoA";
    case proto::ATOD: return "AtoD";
    case proto::DTOA: return "DtoA";
    case proto::DTOD: return "DtoD";
    case proto::HTOH: return "HtoH";
    case proto::PTOP: return "PtoP";
    default: return "Unknown";
  }
}

std::string_view memory_kind_text(uint8_t kind) {
  switch (kind) {
    case proto::PAGEABLE: return "Pageable";
    case proto::PINNED: return "Pinned";
    case proto::DEVICE: return "Device";
    case proto::ARRAY: return "Array";
    case proto::MANAGED: return "Managed";
    case proto::DEVICE_STATIC: return "Device Static";
    case proto::MANAGED_STATIC: return "Managed Static";
    default: return "Unknown";
  }
}

std::string_view sync_type_text(uint8_t type) {
  switch (type) {
    case proto::EVENT_SYNCHRONIZE: return "Event Sync";
    case proto::STREAM_WAIT_EVENT: return "Stream Wait Event";
    case proto::STREAM_SYNCHRONIZE: return "Stream Sync";
    case proto::CONTEXT_SYNCHRONIZE: return "Context Sync";
    default: return "Unknown";
  }
}

Occupancy occupancy(const analysis::GpuOp& op, const OpExtra* extra, const proto::Device* device) {
  Occupancy o;
  const double blocks = extra ? double(std::max(extra->grid[0], 0)) * std::max(extra->grid[1], 0) *
                                    std::max(extra->grid[2], 0)
                              : double(op.bytes_or_blocks);
  // Products of a corrupt record's figures must not overflow: a block holds
  // at most INT32_MAX threads here, and the register count is a double.
  const int64_t threads =
      extra ? static_cast<int64_t>(std::min(double(std::max(extra->block[0], 0)) * std::max(extra->block[1], 0) *
                                                std::max(extra->block[2], 0),
                                            double(INT32_MAX)))
            : op.threads_per_block;
  if (!device || device->num_multiprocessors() == 0) return o;
  const int64_t warp = device->num_threads_per_warp() ? device->num_threads_per_warp() : 32;
  const int64_t warps_per_block = (threads + warp - 1) / warp;
  o.blocks_per_sm = blocks / device->num_multiprocessors();
  o.warps_per_sm = o.blocks_per_sm * static_cast<double>(warps_per_block);
  if (threads <= 0 || device->max_warps_per_multiprocessor() == 0) return o;
  // Blocks one SM can hold: by its block, warp, register and shared memory limits.
  int64_t active = device->max_blocks_per_multiprocessor() ? device->max_blocks_per_multiprocessor() : INT32_MAX;
  active = std::min<int64_t>(active, device->max_warps_per_multiprocessor() / std::max<int64_t>(warps_per_block, 1));
  const double registers = double(op.registers_per_thread) * double(warp) * double(warps_per_block);
  if (registers > 0 && device->max_registers_per_multiprocessor()) {
    active = std::min<int64_t>(active, static_cast<int64_t>(device->max_registers_per_multiprocessor() / registers));
  }
  if (op.shared_memory_per_block > 0 && device->max_shared_memory_per_multiprocessor()) {
    active = std::min<int64_t>(active, device->max_shared_memory_per_multiprocessor() / op.shared_memory_per_block);
  }
  const double resident = std::min(o.blocks_per_sm, static_cast<double>(active));
  const double max_threads = double(device->max_warps_per_multiprocessor()) * double(warp);
  o.occupancy_percent = static_cast<int>(0.5 + 100.0 * resident * double(threads) / max_threads);
  return o;
}

RecordIndex::RecordIndex(const analysis::Model& model) : model_(model) {
  for (uint32_t p = 0; p < model.processes.size(); ++p) processes_by_pid_.emplace(model.processes[p].pid, p);
  syncs_.resize(model.synchronizations.size());
  for (uint32_t i = 0; i < syncs_.size(); ++i) syncs_[i] = i;
  std::sort(syncs_.begin(), syncs_.end(), [&](uint32_t x, uint32_t y) {
    const auto& a = model.synchronizations[x];
    const auto& b = model.synchronizations[y];
    return std::tie(a.process, a.start_ns) < std::tie(b.process, b.start_ns);
  });
}

Resolved RecordIndex::find(const analysis::RecordRef& r) const {
  Resolved out;
  const auto [first, last] = processes_by_pid_.equal_range(r.pid);
  for (auto pit = first; pit != last; ++pit) {
    const uint32_t p = pit->second;
    if (is_gpu_work(r.kind)) {
      auto it = model_.ops_by_stream.find({p, r.context_id, r.stream_id});
      if (it == model_.ops_by_stream.end()) continue;
      const auto& list = it->second;
      auto at = std::lower_bound(list.begin(), list.end(), r.start_ns,
                                 [&](uint32_t i, TimeNs t) { return model_.ops[i].start_ns < t; });
      for (; at != list.end() && model_.ops[*at].start_ns == r.start_ns; ++at) {
        const auto& op = model_.ops[*at];
        if (op.correlation_id == r.correlation_id && op.end_ns == r.end_ns) return {Resolved::Kind::op, *at, p};
      }
    } else if (r.kind == RecordKind::api) {
      auto it = model_.processes[p].api_by_thread.find(r.thread_id);
      if (it == model_.processes[p].api_by_thread.end()) continue;
      const auto& list = it->second;
      auto at = std::lower_bound(list.begin(), list.end(), r.start_ns,
                                 [&](uint32_t i, TimeNs t) { return model_.api_calls[i].start_ns < t; });
      for (; at != list.end() && model_.api_calls[*at].start_ns == r.start_ns; ++at) {
        if (model_.api_calls[*at].correlation_id == r.correlation_id) return {Resolved::Kind::api, *at, p};
      }
    } else if (r.kind == RecordKind::overhead) {
      if (p >= model_.overheads_by_process.size()) continue;
      const auto& list = model_.overheads_by_process[p];
      auto at = std::lower_bound(list.begin(), list.end(), r.start_ns,
                                 [&](uint32_t i, TimeNs t) { return model_.overheads[i].start_ns < t; });
      for (; at != list.end() && model_.overheads[*at].start_ns == r.start_ns; ++at) {
        const auto& o = model_.overheads[*at];
        if (o.correlation_id == r.correlation_id && o.end_ns == r.end_ns) return {Resolved::Kind::overhead, *at, p};
      }
    } else if (r.kind == RecordKind::sync) {
      auto at = std::lower_bound(syncs_.begin(), syncs_.end(), std::pair(p, r.start_ns), [&](uint32_t i, const auto& k) {
        const auto& s = model_.synchronizations[i];
        return std::pair(s.process, s.start_ns) < k;
      });
      for (; at != syncs_.end(); ++at) {
        const auto& s = model_.synchronizations[*at];
        if (s.process != p || s.start_ns != r.start_ns) break;
        if (s.correlation_id == r.correlation_id) return {Resolved::Kind::sync, *at, p};
      }
    }
  }
  return out;
}

std::vector<uint32_t> exported_processes(const analysis::Model& model, const report::Filters& filters) {
  std::vector<uint32_t> out;
  for (uint32_t p = 0; p < model.processes.size(); ++p) {
    const auto& pids = filters.pids;
    if (pids.empty() || std::find(pids.begin(), pids.end(), model.processes[p].pid) != pids.end()) out.push_back(p);
  }
  return out;
}

bool has_window(const report::Filters& f) { return f.from_us.has_value() || f.to_us.has_value(); }

std::vector<uint32_t> copies_of(const Input& input, uint32_t process) {
  const analysis::Analysis& a = *input.analysis;
  std::vector<uint32_t> out;
  for (uint32_t c : input.selection) {
    if (a.model->ops[a.copies[c].op].process == process) out.push_back(c);
  }
  return out;
}

Window window_of(const Input& input, uint32_t process) {
  Window w;
  const auto& f = input.filters;
  if (!has_window(f)) return w;
  const analysis::Analysis& a = *input.analysis;
  const analysis::Model& model = *a.model;
  if (f.from_us) w.from = model.origin_ns + static_cast<TimeNs>(std::max(0.0, *f.from_us) * 1000.0);
  if (f.to_us) w.to = model.origin_ns + static_cast<TimeNs>(std::max(0.0, *f.to_us) * 1000.0);
  for (uint32_t c : copies_of(input, process)) {
    const auto& v = a.copies[c];
    const auto& op = model.ops[v.op];
    TimeNs begin = op.has_issue() ? op.issue_ns : op.start_ns;
    if (v.has_issue() && v.split.intent_ns && v.split.intent_ns < begin) begin = v.split.intent_ns;
    w.from = std::min(w.from, begin);
    w.to = std::max(w.to, op.end_ns);
  }
  return w;
}

int64_t device_of_gpu(const analysis::Model& model, uint32_t process, const std::string& label) {
  for (const auto& [device, gpu] : model.processes[process].device_gpu) {
    if (gpu < model.gpus.size() && model.gpus[gpu].label == label) return device;
  }
  return -1;
}

int64_t device_of_context(const analysis::Model& model, uint32_t process, uint32_t context_id) {
  const auto& contexts = model.processes[process].contexts;
  auto it = contexts.find(context_id);
  return it == contexts.end() ? -1 : static_cast<int64_t>(it->second.device_id);
}

std::string process_title(const analysis::Model& model, uint32_t process) {
  const auto& p = model.processes[process];
  std::string program;
  if (!p.command_line.empty()) {
    program = p.command_line.front();
    if (auto slash = program.rfind('/'); slash != std::string::npos) program = program.substr(slash + 1);
  }
  return program.empty() ? fmt::format("pid {}", p.pid) : fmt::format("{} (pid {})", program, p.pid);
}

const analysis::FlaggedDetail& findings_of(const analysis::Analysis& a, uint32_t copy,
                                           analysis::FlaggedDetail* storage) {
  const auto& v = a.copies[copy];
  if (v.detail != analysis::kNone && v.detail < a.details.size()) return a.details[v.detail];
  *storage = analysis::detail_of(a, copy);
  return *storage;
}

void held_copy(const analysis::Analysis& a, uint32_t copy, HeldCopy* h) {
  h->detail = &findings_of(a, copy, &h->storage);
  h->blockers.clear();
  auto same = [](const analysis::RecordRef& x, const analysis::RecordRef& y) {
    return x.kind == y.kind && x.pid == y.pid && x.correlation_id == y.correlation_id && x.start_ns == y.start_ns &&
           x.end_ns == y.end_ns && x.stream_id == y.stream_id && x.thread_id == y.thread_id;
  };
  for (const auto& f : h->detail->findings) {
    if (!f.claimed) continue;
    for (const auto& b : f.blockers) {
      const bool seen = std::any_of(h->blockers.begin(), h->blockers.end(),
                                    [&](const analysis::Blocker& x) { return same(x.record, b.record); });
      if (!seen) h->blockers.push_back(b);
    }
  }
}

}  // namespace detail
}  // namespace holdup::exporting
