// Model lookups and descriptions of records for users.

#include <fmt/format.h>

#include "holdup/analysis_model.h"
#include "holdup/format.h"
#include "holdup/trace.pb.h"

namespace holdup::analysis {

std::string_view op_kind_name(const GpuOp& op) {
  switch (op.kind) {
    case OpKind::kernel: return "kernel";
    case OpKind::memset: return "memset";
    case OpKind::memcpy: break;
  }
  if (op.flags & GpuOp::kPeer) return "ptop";
  switch (static_cast<proto::CopyKind>(op.copy_kind)) {
    case proto::HTOD: return "htod";
    case proto::DTOH: return "dtoh";
    case proto::HTOA: return "htoa";
    case proto::ATOH: return "atoh";
    case proto::ATOA: return "atoa";
    case proto::ATOD: return "atod";
    case proto::DTOA: return "dtoa";
    case proto::DTOD: return "dtod";
    case proto::HTOH: return "htoh";
    case proto::PTOP: return "ptop";
    default: return "memcpy";
  }
}

std::string_view Model::kind_name(const GpuOp& op) const { return op_kind_name(op); }

const StreamInfo* Model::stream_info(uint32_t process, uint32_t context, uint32_t stream) const {
  if (process >= processes.size()) return nullptr;
  const auto& streams = processes[process].streams;
  auto it = streams.find({context, stream});
  return it == streams.end() ? nullptr : &it->second;
}

const DeviceLimits* Model::device_limits(uint32_t process, uint32_t device_id) const {
  if (process >= processes.size()) return nullptr;
  const auto& devices = processes[process].devices;
  auto it = devices.find(device_id);
  return it == devices.end() || !it->second.known() ? nullptr : &it->second;
}


std::string Model::describe(const GpuOp& op) const {
  if (op.kind == OpKind::kernel) {
    const auto n = name(op.name);
    return fmt::format("kernel {}", n.empty() ? std::string_view("<unnamed>") : n);
  }
  return fmt::format("{} {}", op_kind_name(op), format_bytes_exact(op.bytes_or_blocks));
}

}  // namespace holdup::analysis
