// Prints each flagged copy of the given traces with its cause and the
// records it was held behind, through holdup's installed API, after what
// the recorder lost in each trace.
//
//   flagged_copies TRACE...   (files or folders of holdup-*.trace)

#include <cstdio>
#include <string>
#include <vector>

#include "holdup/analysis.h"
#include "holdup/analysis_load.h"

int main(int argc, char** argv) {
  if (argc < 2) {
    std::fprintf(stderr, "usage: %s TRACE...\n", argv[0]);
    return 2;
  }
  std::vector<std::string> paths(argv + 1, argv + argc);
  holdup::analysis::Model model;
  std::vector<std::string> errors;
  if (!holdup::analysis::load_traces(paths, &model, &errors)) {
    for (const auto& e : errors) std::fprintf(stderr, "flagged_copies: %s\n", e.c_str());
    return 2;
  }
  // Nothing lost silently: what each recorder lost comes first.
  for (const auto& process : model.processes) {
    for (const auto& problem : process.problems)
      std::printf("%s: %s\n", process.trace_path.c_str(), problem.c_str());
  }
  const holdup::analysis::Analysis analysis = holdup::analysis::analyze(model);
  int flagged = 0;
  for (uint32_t i = 0; i < analysis.copies.size(); ++i) {
    const auto& verdict = analysis.copies[i];
    if (!verdict.flagged()) continue;
    ++flagged;
    const auto& op = model.ops[verdict.op];
    std::printf("%s corr %u held %.1f us: %s\n", model.describe(op).c_str(), op.correlation_id,
                verdict.split.held / 1e3, std::string(holdup::analysis::cause_id(verdict.cause)).c_str());
    const auto detail = holdup::analysis::detail_of(analysis, i);
    if (detail.findings.empty() || detail.findings.front().blockers.empty()) continue;
    const auto& blocker = detail.findings.front().blockers.front();
    std::printf("  behind %s %s (correlation id %u)\n", std::string(holdup::record_kind_name(blocker.record.kind)).c_str(),
                blocker.record.name.c_str(),
                blocker.record.correlation_id);
  }
  std::printf("%d flagged of %zu copies\n", flagged, analysis.copies.size());
  return 0;
}
