// The second pass over the trace files: what the analysis model does not
// keep but the exports show (grid and block of kernels, memory kinds of
// copies, memset values, Device records, the header with rank variables).

#include <algorithm>
#include <tuple>

#include "export/export.h"
#include "trace/trace_reader.h"
#include "holdup/trace.pb.h"

namespace holdup::exporting {

namespace {

auto key_of(const OpExtra& e) { return std::tuple(e.stream_id, e.start_ns, e.correlation_id, e.kind); }

template <typename Record>
OpExtra extra_from(analysis::OpKind kind, const Record& r) {
  OpExtra e;
  e.kind = static_cast<uint8_t>(kind);
  e.start_ns = r.start_ns();
  e.stream_id = r.stream_id();
  e.correlation_id = r.correlation_id();
  e.graph_node_id = r.graph_node_id();
  return e;
}

}  // namespace

ProcessExtras read_extras(TraceReader& reader) {
  ProcessExtras out;
  out.read = true;
  proto::Chunk chunk;
  bool have_header = false;
  while (reader.next(&chunk)) {
    if (chunk.has_header() && !have_header) {
      out.header = chunk.header();
      have_header = true;
    }
    for (const auto& d : chunk.device()) out.devices[d.id()] = d;
    for (const auto& k : chunk.kernel()) {
      OpExtra e = extra_from(analysis::OpKind::kernel, k);
      e.grid[0] = k.grid_x();
      e.grid[1] = k.grid_y();
      e.grid[2] = k.grid_z();
      e.block[0] = k.block_x();
      e.block[1] = k.block_y();
      e.block[2] = k.block_z();
      e.static_shared_memory = k.static_shared_memory();
      e.dynamic_shared_memory = k.dynamic_shared_memory();
      e.local_memory_total = k.local_memory_total();
      e.queued_ns = k.queued_ns();
      e.grid_id = k.grid_id();
      e.launch_type = k.launch_type();
      e.shared_memory_executed = k.shared_memory_executed();
      out.ops.push_back(e);
    }
    for (const auto& m : chunk.memcpy()) {
      OpExtra e = extra_from(analysis::OpKind::memcpy, m);
      e.src_kind = static_cast<uint8_t>(m.src_kind());
      e.dst_kind = static_cast<uint8_t>(m.dst_kind());
      e.src_device_id = m.is_peer() ? m.src_device_id() : m.device_id();
      e.dst_device_id = m.is_peer() ? m.dst_device_id() : m.device_id();
      e.src_context_id = m.is_peer() ? m.src_context_id() : m.context_id();
      e.dst_context_id = m.is_peer() ? m.dst_context_id() : m.context_id();
      e.copy_count = m.copy_count();
      out.ops.push_back(e);
    }
    for (const auto& m : chunk.memset()) {
      OpExtra e = extra_from(analysis::OpKind::memset, m);
      e.src_kind = e.dst_kind = static_cast<uint8_t>(m.memory_kind());
      e.memset_value = m.value();
      out.ops.push_back(e);
    }
  }
  out.ops.shrink_to_fit();
  out.by_key.resize(out.ops.size());
  for (uint32_t i = 0; i < out.by_key.size(); ++i) out.by_key[i] = i;
  std::sort(out.by_key.begin(), out.by_key.end(),
            [&](uint32_t a, uint32_t b) { return key_of(out.ops[a]) < key_of(out.ops[b]); });
  return out;
}

namespace {

ProcessExtras read_one(const std::string& path) {
  std::string error;
  auto reader = TraceReader::open(path, &error);
  if (!reader) return {};
  return read_extras(*reader);
}

}  // namespace

const OpExtra* ProcessExtras::find(const analysis::GpuOp& op, size_t* cursor) const {
  const auto key = std::tuple(op.stream_id, op.start_ns, op.correlation_id, static_cast<uint8_t>(op.kind));
  // The model keeps a file's complete ops in the file's order: the next one
  // read is usually the one asked for.
  if (cursor && *cursor < ops.size() && key_of(ops[*cursor]) == key) return &ops[(*cursor)++];
  auto it = std::lower_bound(by_key.begin(), by_key.end(), key,
                             [&](uint32_t e, const auto& k) { return key_of(ops[e]) < k; });
  if (it == by_key.end() || key_of(ops[*it]) != key) return nullptr;
  if (cursor) *cursor = *it + 1;
  return &ops[*it];
}

std::map<std::string, ProcessExtras> read_extras(const std::vector<std::string>& files) {
  std::map<std::string, ProcessExtras> out;
  for (const auto& file : files) out[file] = read_one(file);
  return out;
}

Extras match_extras(const analysis::Model& model, std::map<std::string, ProcessExtras>&& by_path) {
  Extras extras;
  extras.processes.resize(model.processes.size());
  for (size_t p = 0; p < model.processes.size(); ++p) {
    auto it = by_path.find(model.processes[p].trace_path);
    if (it != by_path.end()) extras.processes[p] = std::move(it->second);
  }
  return extras;
}

}  // namespace holdup::exporting
