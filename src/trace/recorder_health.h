#pragma once
// What the recorder lost or could not do, written for people: the one
// reading of a trace's recorder health, shared by `holdup info`, `run`,
// `report`, `check` and every export (nothing lost silently).

#include <cstdint>
#include <string>
#include <vector>

#include "holdup/trace.pb.h"
#include "trace/trace_reader.h"

namespace holdup {

struct HealthFacts {
  const TraceReadStatus* read = nullptr;        // how the file was read (required)
  const proto::RecorderHealth* health = nullptr;  // the last chunk's (required)
  bool has_header = false;
  uint32_t max_loss_ms = 0;  // the recorder's loss bound (header config; 0: unknown)
  // Kernels, copies and memsets without a start or an end, counted by the
  // reader (traces from before the recorder marked them count too).
  uint64_t incomplete_gpu_records = 0;
  const std::vector<proto::Note>* notes = nullptr;  // warnings among them are shown
};

// One problem: a short tag for one-line listings (`holdup run`'s summary)
// and the sentence that says what was lost and what to do.
struct RecorderProblem {
  std::string tag;   // e.g. "torn tail", "dropped 12"
  std::string text;
};

// One per problem, in a fixed order; empty when nothing was lost. The read
// error, if any, is not among them (the caller shows it first).
std::vector<RecorderProblem> recorder_problem_list(const HealthFacts& facts);
// The same list, sentences only / tags only.
std::vector<std::string> recorder_problems(const HealthFacts& facts);
std::vector<std::string> recorder_problem_tags(const HealthFacts& facts);

// What the recorder's settings left out on purpose (not lost: not asked
// for): activity kinds missing from RecorderConfig.enabled_kinds and the
// RecorderConfig.not_recorded codes, one sentence each, naming the setting
// that records it. Empty for a trace from before these fields (nothing
// known) and when everything was recorded.
std::vector<std::string> not_recorded(const proto::RecorderConfig& config);

}  // namespace holdup
