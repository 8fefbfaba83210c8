// The report as JSON, schema "holdup-report/1" (src/report/JSON.md).

#include <algorithm>

#include "analysis/recorder_records.h"
#include "report/report.h"

namespace holdup::report {

using analysis::RecordRef;
using nlohmann::json;

namespace {

json ref_json(const RecordRef& r) {
  json j = {{"kind", record_kind_name(r.kind)},
            {"name", r.name},
            {"pid", r.pid},
            {"correlation_id", r.correlation_id},
            {"start_ns", r.start_ns},
            {"end_ns", r.end_ns}};
  if (r.thread_id) j["thread_id"] = r.thread_id;
  if (is_gpu_work(r.kind)) {
    j["context_id"] = r.context_id;
    j["stream_id"] = r.stream_id;
    j["channel_id"] = r.channel_id;
    j["channel_type"] = r.channel_type;
    j["gpu"] = r.gpu;
  }
  return j;
}

json stats_json(const Stats& s) {
  json buckets = json::array();
  for (int i = 0; i < kBuckets; ++i) {
    if (s.buckets[i]) buckets.push_back({{"bucket", i}, {"label", bucket_label(i)}, {"count", s.buckets[i]}});
  }
  return {{"count", s.count}, {"p50_ns", s.p50}, {"p90_ns", s.p90}, {"p99_ns", s.p99},
          {"max_ns", s.max},  {"total_ns", s.total}, {"buckets", buckets}};
}

json groups_json(const std::vector<Group>& groups) {
  json out = json::array();
  for (const auto& g : groups) {
    out.push_back({{"key", g.key},
                   {"flagged", g.flagged},
                   {"issue_to_start", stats_json(g.issue_to_start)},
                   {"held", stats_json(g.held)}});
  }
  return out;
}

json finding_json(const analysis::Finding& f) {
  json j = {{"cause", analysis::cause_id(f.cause)},
            {"claimed", f.claimed},
            {"explains_ns", f.explains_ns},
            {"remedy", f.remedy},
            {"corroboration", f.corroboration}};
  json signals = json::array();
  for (const auto& s : f.signals) {
    json records = json::array();
    for (const auto& r : s.records) records.push_back(ref_json(r));
    signals.push_back({{"code", s.code}, {"text", s.text}, {"records", records}});
  }
  j["signals"] = signals;
  json blockers = json::array();
  for (const auto& b : f.blockers) blockers.push_back({{"held_behind_ns", b.held_behind_ns}, {"record", ref_json(b.record)}});
  j["blockers"] = blockers;
  return j;
}

// A host function enqueued on a copy's stream (an EventCall).
json host_func_json(const analysis::Model& model, uint32_t call) {
  const auto& c = model.event_calls[call];
  json j = {{"time_ns", c.time_ns},   {"pid", model.processes[c.process].pid}, {"thread_id", c.thread_id},
            {"stream_id", c.stream_id}, {"correlation_id", c.correlation_id}};
  if (const uint32_t api = model.api_for_correlation(c.process, c.correlation_id); api != analysis::kNone)
    j["api"] = ref_json(analysis::ref_api(model, api));
  return j;
}

json split_json(const analysis::Model& model, const analysis::Split& split) {
  json j = {{"issue_to_start_ns", split.issue_to_start},
            {"intent_ns", split.intent_ns},
            {"burst_ns", split.burst},
            {"api_ns", split.api},
            {"stream_order_ns", split.stream_order},
            {"dependency_ns", split.dependency},
            {"held_ns", split.held},
            {"held_host_ns", split.held_host},
            {"held_in_burst_ns", split.held_in_burst},
            {"normal_api_ns", split.normal_api_ns}};
  if (split.burst_first_api < model.api_calls.size()) {
    j["burst_first_api"] = ref_json(analysis::ref_api(model, split.burst_first_api));
  }
  if (split.host_func < model.event_calls.size()) j["host_func"] = host_func_json(model, split.host_func);
  return j;
}

json patterns_json(const analysis::Analysis& a, const std::vector<analysis::Pattern>& patterns) {
  const analysis::Model& model = *a.model;
  const auto pid_of = [&model](uint32_t process) {
    return process < model.processes.size() ? model.processes[process].pid : 0;
  };
  json out = json::array();
  for (const auto& p : patterns) {
    json worst = json::array();
    for (uint32_t index : p.worst) {
      const auto& v = a.copies[index];
      const auto& op = model.ops[v.op];
      worst.push_back({{"correlation_id", op.correlation_id}, {"pid", pid_of(op.process)}, {"held_ns", v.split.held}});
    }
    // What its most-held copy's findings observed (codes, in order): two
    // recordings of one program that judge a pattern differently show
    // which signals changed (`holdup diff`).
    json signals = json::array();
    if (!p.worst.empty()) {
      for (const auto& f : analysis::detail_of(a, p.worst.front()).findings) {
        for (const auto& sig : f.signals) {
          if (!sig.code.empty() && std::find(signals.begin(), signals.end(), sig.code) == signals.end())
            signals.push_back(sig.code);
        }
      }
    }
    out.push_back({{"cause", analysis::cause_id(p.key.cause)},
                   {"pid", pid_of(p.key.process)},
                   {"process", analysis::process_label(model, p.key.process)},
                   {"thread", analysis::thread_label(model, p.key.process, p.key.thread_id)},
                   {"signals", signals},
                   {"thread_id", p.key.thread_id},
                   {"stream_id", p.key.stream_id},
                   {"blocker", {{"kind", p.key.blocker_kind ? record_kind_name(*p.key.blocker_kind) : ""}, {"name", p.key.blocker_name}}},
                   {"copies", p.copies},
                   {"held_ns", p.held_ns},
                   {"max_held_ns", p.max_held_ns},
                   {"worst", worst}});
  }
  return out;
}

}  // namespace

json render_json(const analysis::Analysis& a, const std::vector<uint32_t>& selection, const ReportOptions& options) {
  const analysis::Model& model = *a.model;
  const Summary s = summarize(a, selection, options.top);
  json j;
  j["schema"] = kJsonSchema;
  j["threshold_ns"] = a.options.threshold_ns;
  j["origin_ns"] = model.origin_ns;
  j["warnings"] = model.warnings;

  json traces = json::array();
  for (const auto& p : model.processes) {
    traces.push_back({{"path", p.trace_path},
                      {"pid", p.pid},
                      {"host", p.hostname},
                      {"chunks", p.input.chunks},
                      {"torn_tail", p.input.torn_tail},
                      {"verified_chunks", p.input.verified_chunks},
                      {"damaged_chunks", p.input.damaged_chunks},
                      {"dropped_records", p.recorder->health.dropped_records()},
                      {"other_subscriber", p.recorder->health.other_subscriber()},
                      {"scheduling_env", p.scheduling_env},
                      {"contradicting_records", p.contradicting_ops},
                      {"problems", p.problems},
                      {"not_recorded", p.not_recorded}});
  }
  j["traces"] = traces;
  json gpus = json::array();
  for (const auto& g : model.gpus) {
    json members = json::array();
    for (const auto& [p, d] : g.members) members.push_back({{"pid", model.processes[p].pid}, {"device_id", d}});
    gpus.push_back({{"uuid", g.uuid}, {"label", g.label}, {"name", g.name}, {"members", members}});
  }
  j["gpus"] = gpus;

  j["summary"] = {{"copies", s.copies},
                  {"without_issue", s.without_issue},
                  {"contradicting", s.contradicting},
                  {"behind_host_function", {{"copies", s.behind_host_func}, {"stream_order_ns", s.host_func_wait_ns}}},
                  {"flagged", s.flagged},
                  {"cold", s.cold},
                  {"held_flagged_ns", s.held_flagged_ns},
                  {"dropped_records", s.dropped_records},
                  {"issue_to_start", stats_json(s.issue_to_start)},
                  {"held", stats_json(s.held)}};
  json by_cause = json::array();
  for (const auto& t : s.by_cause_totals) {
    by_cause.push_back({{"cause", analysis::cause_id(t.cause)}, {"copies", t.copies}, {"held_ns", t.held_ns}});
  }
  j["held_by_cause"] = by_cause;
  j["patterns"] = patterns_json(a, s.patterns);

  json worst = json::array();
  for (uint32_t index : s.worst) {
    const auto& v = a.copies[index];
    const auto& op = model.ops[v.op];
    json findings = json::array();
    for (const auto& f : analysis::detail_of(a, index).findings) findings.push_back(finding_json(f));
    worst.push_back({{"copy", ref_json(analysis::ref_op(model, v.op))},
                     {"kind", analysis::op_kind_name(op)},
                     {"issue_api", ref_json(analysis::ref_api(model, op.api))},
                     {"issue_ns", op.issue_ns},
                     {"start_ns", op.start_ns},
                     {"split", split_json(model, v.split)},
                     {"cause", analysis::cause_id(v.cause)},
                     {"findings", findings}});
    if (v.cause == analysis::Cause::unknown) worst.back()["unknown_reason"] = analysis::unknown_reason(a, index);
  }
  j["worst"] = worst;
  json cold = json::array();
  for (uint32_t index : s.cold_worst) {
    const auto& v = a.copies[index];
    const auto& op = model.ops[v.op];
    cold.push_back({{"copy", ref_json(analysis::ref_op(model, v.op))},
                    {"kind", analysis::op_kind_name(op)},
                    {"issue_ns", op.issue_ns},
                    {"start_ns", op.start_ns},
                    {"issue_to_start_ns", v.split.issue_to_start}});
  }
  j["cold"] = cold;
  j["delays"] = {{"by_kind", groups_json(s.by_kind)},
                 {"by_cause", groups_json(s.by_cause)},
                 {"by_stream", groups_json(s.by_stream)},
                 {"by_channel", groups_json(s.by_channel)}};
  return j;
}

}  // namespace holdup::report
