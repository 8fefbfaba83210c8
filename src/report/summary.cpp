// What a report says, independent of its format: totals, held time by
// cause, the worst copies and delay distributions per group.

#include <algorithm>
#include <bit>
#include <fmt/format.h>
#include <map>

#include "holdup/report.h"

namespace holdup::report {

using analysis::Cause;
using analysis::TimeNs;

std::string format_duration(TimeNs ns) {
  if (ns >= 1'000'000'000) return fmt::format("{:.2f} s", ns / 1e9);
  if (ns >= 10'000'000) return fmt::format("{:.1f} ms", ns / 1e6);
  if (ns >= 1'000'000) return fmt::format("{:.2f} ms", ns / 1e6);
  if (ns >= 10'000) return fmt::format("{:.0f} us", ns / 1e3);
  return fmt::format("{:.1f} us", ns / 1e3);
}

namespace {
int bucket_of(TimeNs ns) {
  const uint64_t us = ns / 1000;
  if (us == 0) return 0;
  const int b = std::bit_width(us);  // us in [2^(b-1), 2^b)
  return std::min(b, kBuckets - 1);
}

std::string us_label(uint64_t us) {
  if (us >= 1'000'000) return fmt::format("{:.3g}s", us / 1e6);
  if (us >= 1000) return fmt::format("{:.3g}ms", us / 1e3);
  return fmt::format("{}us", us);
}
}  // namespace

std::string bucket_label(int bucket) {
  if (bucket <= 0) return "<1us";
  const uint64_t lo = 1ull << (bucket - 1);
  if (bucket >= kBuckets - 1) return us_label(lo) + "+";
  return us_label(lo) + "-" + us_label(lo * 2);
}

Stats make_stats(std::vector<TimeNs> values) {
  Stats s;
  s.count = values.size();
  if (values.empty()) return s;
  std::sort(values.begin(), values.end());
  // Nearest rank.
  auto rank = [&](double p) {
    size_t k = static_cast<size_t>(p * static_cast<double>(values.size()) + 0.999999);
    return values[std::clamp<size_t>(k, 1, values.size()) - 1];
  };
  s.p50 = rank(0.50);
  s.p90 = rank(0.90);
  s.p99 = rank(0.99);
  s.max = values.back();
  for (TimeNs v : values) {
    s.total += v;
    ++s.buckets[bucket_of(v)];
  }
  return s;
}

Summary summarize(const analysis::Analysis& a, const std::vector<uint32_t>& selection, size_t top) {
  const analysis::Model& model = *a.model;
  Summary s;
  struct Values {
    uint64_t flagged = 0;
    std::vector<TimeNs> issue_to_start, held;
  };
  std::vector<TimeNs> all_issue, all_held;
  std::map<std::string, Values> by_stream, by_channel, by_kind, by_cause;
  std::map<Cause, CauseTotal> totals;

  for (uint32_t index : selection) {
    const auto& v = a.copies[index];
    ++s.copies;
    if (!v.has_issue) {
      ++s.without_issue;
      continue;
    }
    const auto& op = model.ops[v.op];
    const uint32_t pid = model.processes[op.process].pid;
    const std::string stream = fmt::format("pid {} ctx {} stream {}", pid, op.context_id, op.stream_id);
    const std::string channel = fmt::format("pid {} ctx {} channel {} ({})", pid, op.context_id, op.channel_id,
                                            analysis::ref_op(model, v.op).channel_type);
    const std::string kind(analysis::op_kind_name(op));
    const std::string cause(analysis::cause_id(v.cause));
    for (Values* g : {&by_stream[stream], &by_channel[channel], &by_kind[kind], &by_cause[cause]}) {
      g->issue_to_start.push_back(v.split.issue_to_start);
      g->held.push_back(v.split.held);
      if (v.flagged) ++g->flagged;
    }
    all_issue.push_back(v.split.issue_to_start);
    all_held.push_back(v.split.held);
    if (v.flagged) {
      ++s.flagged;
      s.held_flagged_ns += v.split.held;
      auto& t = totals[v.cause];
      t.cause = v.cause;
      ++t.copies;
      t.held_ns += v.split.held;
      s.worst.push_back(index);
    }
  }
  s.issue_to_start = make_stats(std::move(all_issue));
  s.held = make_stats(std::move(all_held));
  for (auto& [cause, t] : totals) s.by_cause_totals.push_back(t);
  std::sort(s.by_cause_totals.begin(), s.by_cause_totals.end(),
            [](const CauseTotal& x, const CauseTotal& y) { return x.held_ns > y.held_ns; });
  std::sort(s.worst.begin(), s.worst.end(),
            [&](uint32_t x, uint32_t y) { return a.copies[x].split.held > a.copies[y].split.held; });
  if (s.worst.size() > top) s.worst.resize(top);

  auto groups = [](std::map<std::string, Values>& in) {
    std::vector<Group> out;
    for (auto& [key, values] : in) {
      Group g;
      g.key = key;
      g.flagged = values.flagged;
      g.issue_to_start = make_stats(std::move(values.issue_to_start));
      g.held = make_stats(std::move(values.held));
      out.push_back(std::move(g));
    }
    return out;
  };
  s.by_stream = groups(by_stream);
  s.by_channel = groups(by_channel);
  s.by_kind = groups(by_kind);
  s.by_cause = groups(by_cause);
  for (const auto& p : model.processes) s.dropped_records += p.health.dropped_records();
  return s;
}

}  // namespace holdup::report
