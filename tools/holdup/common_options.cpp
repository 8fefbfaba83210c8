// Options shared by `holdup report`, `check` and `diff`.

#include "common_options.h"

#include "number_checks.h"

#include <fmt/format.h>

namespace holdup::cli {

using report::CommonOptions;

void add_common_options(CLI::App* verb, CommonOptions* o) {
  verb->add_option("traces", o->traces, "Trace files, or directories of *.trace files")->required();
  add_filter_options(verb, o);
}

void add_filter_options(CLI::App* verb, CommonOptions* o) {
  verb->add_option("--threshold-us", o->threshold_us,
                   fmt::format("Flag a copy held longer than this (microseconds; default {:.0f}, from the H100 "
                               "control runs: p99 {:.1f} us + margin)",
                               analysis::AnalysisOptions::kDefaultThresholdNs / 1e3,
                               analysis::AnalysisOptions::kControlHeldP99Ns / 1e3))
      ->check(real_number(0, kMaxTimeUs));
  auto& f = o->filters;
  verb->add_option("--pid", f.pids, "Only copies of these processes")->delimiter(',')->check(whole_number(0, UINT32_MAX));
  verb->add_option("--device", f.devices, "Only copies on this GPU: CUDA ordinal or uuid prefix")->delimiter(',');
  verb->add_option("--stream", f.streams, "Only copies on these stream ids")
      ->delimiter(',')
      ->check(whole_number(0, UINT32_MAX));
  verb->add_option("--nvtx", f.nvtx, "Only copies issued inside an NVTX range of this name");
  verb->add_option("--from-us", f.from_us, "Only copies issued at or after this time (us after the first record)")
      ->check(real_number(0, kMaxTimeUs));
  verb->add_option("--to-us", f.to_us, "Only copies issued at or before this time (us after the first record)")
      ->check(real_number(0, kMaxTimeUs));
  verb->add_option("--kind", f.kinds, "Only these copy kinds: htod,dtoh,dtod,ptop,htoh,memset,...")->delimiter(',');
  verb->add_option("--skip-iterations", f.skip_iterations, "Skip the first N copies of each stream (warm-up)")
      ->check(whole_number(0, UINT32_MAX));
}

}  // namespace holdup::cli
