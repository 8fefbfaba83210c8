// Selecting the copies a report or check is about.

#include <algorithm>
#include <map>
#include <set>
#include <unordered_set>

#include <fmt/format.h>
#include <fmt/ranges.h>

#include "report/report.h"

namespace holdup::report {

using analysis::GpuOp;
using analysis::kNone;
using analysis::TimeNs;

namespace {

bool all_digits(const std::string& s) {
  return !s.empty() && std::all_of(s.begin(), s.end(), [](char c) { return c >= '0' && c <= '9'; });
}

bool device_matches(const analysis::Model& model, const GpuOp& op, const std::vector<std::string>& devices) {
  if (devices.empty()) return true;
  for (const auto& d : devices) {
    if (all_digits(d)) {
      if (op.device_id == std::stoul(d)) return true;
    } else if (op.gpu != kNone && model.gpus[op.gpu].uuid.starts_with(d)) {
      return true;
    }
  }
  return false;
}

}  // namespace

std::vector<uint32_t> select_copies(const analysis::Analysis& a, const Filters& f, std::string* error) {
  const analysis::Model& model = *a.model;
  static const std::vector<std::string> known_kinds = {"htod", "dtoh", "dtod", "ptop", "htoh", "htoa", "atoh",
                                                       "atoa", "atod", "dtoa", "memset", "memcpy"};
  for (const auto& k : f.kinds) {
    if (std::find(known_kinds.begin(), known_kinds.end(), k) == known_kinds.end()) {
      *error = "--kind " + k + ": unknown copy kind; use htod, dtoh, dtod, ptop, htoh, memset, ...";
      return {};
    }
  }
  if (f.from_us && f.to_us && *f.from_us > *f.to_us) {
    *error = "--from-us is after --to-us";
    return {};
  }

  // Warm-up: the first N copies of each stream, by issue (or start) time.
  std::unordered_set<uint32_t> skipped;
  if (f.skip_iterations > 0) {
    std::map<analysis::QueueKey, std::vector<uint32_t>> per_stream;
    for (uint32_t i = 0; i < a.copies.size(); ++i) {
      const GpuOp& op = model.ops[a.copies[i].op];
      per_stream[{op.process, op.context_id, op.stream_id}].push_back(i);
    }
    for (auto& [key, list] : per_stream) {
      auto when = [&](uint32_t i) {
        const GpuOp& op = model.ops[a.copies[i].op];
        return op.has_issue() ? op.issue_ns : op.start_ns;
      };
      std::sort(list.begin(), list.end(), [&](uint32_t x, uint32_t y) { return when(x) < when(y); });
      for (size_t n = 0; n < list.size() && n < f.skip_iterations; ++n) skipped.insert(list[n]);
    }
  }

  std::vector<uint32_t> nvtx_ranges;
  if (!f.nvtx.empty()) {
    for (uint32_t r = 0; r < model.nvtx_ranges.size(); ++r) {
      if (model.name(model.nvtx_ranges[r].name) == f.nvtx) nvtx_ranges.push_back(r);
    }
  }

  std::vector<uint32_t> out;
  for (uint32_t i = 0; i < a.copies.size(); ++i) {
    if (skipped.count(i)) continue;
    const GpuOp& op = model.ops[a.copies[i].op];
    const auto& process = model.processes[op.process];
    if (!f.pids.empty() && std::find(f.pids.begin(), f.pids.end(), process.pid) == f.pids.end()) continue;
    if (!f.streams.empty() && std::find(f.streams.begin(), f.streams.end(), op.stream_id) == f.streams.end()) continue;
    if (!device_matches(model, op, f.devices)) continue;
    if (!f.kinds.empty() &&
        std::find(f.kinds.begin(), f.kinds.end(), std::string(analysis::op_kind_name(op))) == f.kinds.end()) {
      continue;
    }
    const TimeNs when = op.has_issue() ? op.issue_ns : op.start_ns;
    const double at_us = when >= model.origin_ns ? double(when - model.origin_ns) / 1e3 : 0.0;
    if (f.from_us && at_us < *f.from_us) continue;
    if (f.to_us && at_us > *f.to_us) continue;
    if (!f.nvtx.empty()) {
      const bool inside = std::any_of(nvtx_ranges.begin(), nvtx_ranges.end(), [&](uint32_t r) {
        const auto& range = model.nvtx_ranges[r];
        return range.process == op.process && when >= range.start_ns && when <= range.end_ns;
      });
      if (!inside) continue;
    }
    out.push_back(i);
  }
  return out;
}

// Each filter that alone selects no copy, named with its value and what the
// traces hold instead: a mistyped --pid or --nvtx must not pass for a clean
// run (issue 21).
std::vector<std::string> unmatched_filters(const analysis::Analysis& a, const Filters& f) {
  const analysis::Model& model = *a.model;
  std::vector<std::string> out;
  auto alone = [&](auto set) {
    Filters one;
    set(one);
    std::string error;
    return !select_copies(a, one, &error).empty() || !error.empty();
  };
  if (!f.pids.empty() && !alone([&](Filters& o) { o.pids = f.pids; })) {
    std::string pids;
    for (const auto& p : model.processes) pids += fmt::format("{}{}", pids.empty() ? "" : ", ", p.pid);
    out.push_back(fmt::format("--pid {} matches no copy (processes in the traces: {})", fmt::join(f.pids, ","),
                              pids.empty() ? "none" : pids));
  }
  if (!f.devices.empty() && !alone([&](Filters& o) { o.devices = f.devices; }))
    out.push_back(fmt::format("--device {} matches no copy", fmt::join(f.devices, ",")));
  if (!f.streams.empty() && !alone([&](Filters& o) { o.streams = f.streams; }))
    out.push_back(fmt::format("--stream {} matches no copy", fmt::join(f.streams, ",")));
  if (!f.kinds.empty() && !alone([&](Filters& o) { o.kinds = f.kinds; }))
    out.push_back(fmt::format("--kind {} matches no copy", fmt::join(f.kinds, ",")));
  if (!f.nvtx.empty() && !alone([&](Filters& o) { o.nvtx = f.nvtx; })) {
    std::set<std::string> names;
    for (const auto& r : model.nvtx_ranges) names.insert(std::string(model.name(r.name)));
    std::string listed;
    size_t n = 0;
    for (const auto& name : names) {
      if (++n > 10) {
        listed += ", ...";
        break;
      }
      listed += fmt::format("{}\"{}\"", listed.empty() ? "" : ", ", name);
    }
    out.push_back(fmt::format("--nvtx \"{}\" matches no copy (NVTX ranges in the traces: {})", f.nvtx,
                              listed.empty() ? "none" : listed));
  }
  if ((f.from_us || f.to_us) && !alone([&](Filters& o) {
        o.from_us = f.from_us;
        o.to_us = f.to_us;
      }))
    out.push_back("--from-us/--to-us select no copy (times are us after the first record)");
  return out;
}

}  // namespace holdup::report
