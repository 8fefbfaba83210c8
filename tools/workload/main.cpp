// holdup-workload: the reference CUDA workload that reproduces the public
// report (a copy issued by a GPU-triggered proxy thread, held behind unrelated
// compute) and switches each suspected mechanism on and off. See README.md
// and SCENARIOS.md beside this file.

#include <iostream>
#include <string>
#include <vector>

#include "command_line.h"
#include "launcher.h"
#include "worker.h"

int main(int argc, char** argv) {
  using namespace holdup::workload;
  const std::vector<std::string> args(argv + 1, argv + argc);
  const ParsedCommandLine parsed = parse_command_line(args, std::cout, std::cerr);
  if (parsed.exit_code) return *parsed.exit_code;
  const WorkloadConfig& config = parsed.config;

  // Two processes: spawn both workers before anything touches CUDA.
  if (config.role == Role::kLauncher && config.procs == 2) return run_launcher(config, args);

  apply_cuda_environment(config);  // before the first CUDA call of this process
  return run_worker(config);
}
