// What a report says, independent of its format: totals, held time by
// cause, patterns, the worst copies, the cold ones and delay distributions
// per group.

#include <algorithm>
#include <bit>
#include <fmt/format.h>
#include <map>
#include <tuple>

#include "analysis/recorder_records.h"
#include "report/report.h"

namespace holdup::report {

using analysis::Cause;
using analysis::TimeNs;


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
    void add(const analysis::CopyVerdict& v) {
      issue_to_start.push_back(v.split.issue_to_start);
      held.push_back(v.split.held);
      if (v.flagged()) ++flagged;
    }
    void merge(Values&& other) {
      flagged += other.flagged;
      issue_to_start.insert(issue_to_start.end(), other.issue_to_start.begin(), other.issue_to_start.end());
      held.insert(held.end(), other.held.begin(), other.held.end());
    }
  };
  // Grouped by numbers first (no text per copy); keys are written once per
  // group below. (process, context, stream or channel, channel type); a
  // representative op names the channel type.
  using Key = std::tuple<uint32_t, uint32_t, uint32_t, uint8_t>;
  struct Keyed {
    Values values;
    uint32_t op = 0;
  };
  std::vector<TimeNs> all_issue, all_held;
  all_issue.reserve(selection.size());
  all_held.reserve(selection.size());
  std::map<Key, Keyed> by_stream_id, by_channel_id;
  std::map<std::string_view, Values> by_kind_id, by_cause_id;
  std::map<Cause, CauseTotal> totals;

  for (uint32_t index : selection) {
    const auto& v = a.copies[index];
    ++s.copies;
    if (!v.has_issue()) {
      ++s.without_issue;
      continue;
    }
    if (v.contradicts()) {
      ++s.contradicting;
      continue;
    }
    if (v.split.host_func != analysis::kNone) {
      ++s.behind_host_func;
      s.host_func_wait_ns += v.split.stream_order;
    }
    const auto& op = model.ops[v.op];
    for (auto* g : {&by_stream_id[{op.process, op.context_id, op.stream_id, 0}],
                    &by_channel_id[{op.process, op.context_id, op.channel_id, op.channel_type}]}) {
      g->values.add(v);
      g->op = v.op;
    }
    by_kind_id[analysis::op_kind_name(op)].add(v);
    by_cause_id[analysis::cause_id(v.cause)].add(v);
    all_issue.push_back(v.split.issue_to_start);
    all_held.push_back(v.split.held);
    if (v.cold()) {  // not held: never flagged, listed apart
      ++s.cold;
      s.cold_worst.push_back(index);
      continue;
    }
    if (v.flagged()) {
      ++s.flagged;
      s.held_flagged_ns += v.split.held;
      auto& t = totals[v.cause];
      t.cause = v.cause;
      ++t.copies;
      t.held_ns += v.split.held;
      s.worst.push_back(index);
    }
  }
  std::map<std::string, Values> by_stream, by_channel, by_kind, by_cause;
  for (auto& [key, g] : by_stream_id) {
    const auto& op = model.ops[g.op];
    by_stream[fmt::format("pid {} ctx {} stream {}", model.processes[op.process].pid, op.context_id, op.stream_id)]
        .merge(std::move(g.values));
  }
  for (auto& [key, g] : by_channel_id) {
    const auto& op = model.ops[g.op];
    by_channel[fmt::format("pid {} ctx {} channel {} ({})", model.processes[op.process].pid, op.context_id,
                           op.channel_id, analysis::ref_op(model, g.op).channel_type)]
        .merge(std::move(g.values));
  }
  for (auto& [key, values] : by_kind_id) by_kind[std::string(key)].merge(std::move(values));
  for (auto& [key, values] : by_cause_id) by_cause[std::string(key)].merge(std::move(values));
  by_stream_id.clear();
  by_channel_id.clear();
  s.issue_to_start = make_stats(std::move(all_issue));
  s.held = make_stats(std::move(all_held));
  for (auto& [cause, t] : totals) s.by_cause_totals.push_back(t);
  std::sort(s.by_cause_totals.begin(), s.by_cause_totals.end(),
            [](const CauseTotal& x, const CauseTotal& y) { return x.held_ns > y.held_ns; });
  std::sort(s.worst.begin(), s.worst.end(),
            [&](uint32_t x, uint32_t y) { return a.copies[x].split.held > a.copies[y].split.held; });
  if (s.worst.size() > top) s.worst.resize(top);
  std::stable_sort(s.cold_worst.begin(), s.cold_worst.end(), [&](uint32_t x, uint32_t y) {
    return a.copies[x].split.issue_to_start > a.copies[y].split.issue_to_start;
  });
  if (s.cold_worst.size() > top) s.cold_worst.resize(top);
  s.patterns = analysis::find_patterns(a, selection, 3);

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
  for (const auto& p : model.processes) s.dropped_records += p.recorder->health.dropped_records();
  return s;
}

}  // namespace holdup::report
