// Names of processes and threads that stay the same across two recordings
// of one program, for comparing them (`holdup diff`): pids and thread ids
// change from run to run, executables, thread names and the order in which
// threads first call CUDA do not.

#include <algorithm>
#include <map>
#include <string>
#include <vector>

#include "holdup/analysis.h"

namespace holdup::analysis {

namespace {

std::string base_name(const std::string& path) {
  const auto slash = path.rfind('/');
  return slash == std::string::npos ? path : path.substr(slash + 1);
}

// The executable, and for an interpreter (python3 train.py) the script.
std::string program_name(const Process& p) {
  if (p.command_line.empty()) return "pid?";
  std::string name = base_name(p.command_line[0]);
  if (name.rfind("python", 0) == 0) {
    for (size_t i = 1; i < p.command_line.size(); ++i) {
      const std::string& arg = p.command_line[i];
      if (arg == "-m" && i + 1 < p.command_line.size()) return name + " -m " + p.command_line[i + 1];
      if (!arg.empty() && arg[0] != '-') return name + " " + base_name(arg);
    }
  }
  return name;
}

// First CUDA call of a thread (0: none recorded).
TimeNs first_call_ns(const Model& model, const Process& p, uint32_t thread_id) {
  auto it = p.api_by_thread.find(thread_id);
  if (it == p.api_by_thread.end() || it->second.empty()) return 0;
  return model.api_calls[it->second.front()].start_ns;
}

}  // namespace

std::string process_label(const Model& model, uint32_t process) {
  if (process >= model.processes.size()) return "?";
  const Process& p = model.processes[process];
  const std::string name = program_name(p);
  // Numbered among the traced processes of the same program, in pid order
  // (ranks are started in order); unnumbered when it is the only one.
  uint32_t same = 0, before = 0;
  for (const Process& other : model.processes) {
    if (program_name(other) != name) continue;
    ++same;
    if (other.pid < p.pid) ++before;
  }
  return same > 1 ? name + "#" + std::to_string(before) : name;
}

std::string thread_label(const Model& model, uint32_t process, uint32_t thread_id) {
  if (process >= model.processes.size()) return "?";
  const Process& p = model.processes[process];
  std::string name;
  if (auto it = p.thread_names.find(thread_id); it != p.thread_names.end()) name = std::string(model.name(it->second));
  // Threads of that name (or unnamed ones) in the order of their first CUDA
  // call; ties by thread id.
  std::vector<std::pair<TimeNs, uint32_t>> peers;
  for (const auto& [tid, calls] : p.api_by_thread) {
    auto named = p.thread_names.find(tid);
    const std::string other = named == p.thread_names.end() ? std::string() : std::string(model.name(named->second));
    if (other == name) peers.emplace_back(first_call_ns(model, p, tid), tid);
  }
  std::sort(peers.begin(), peers.end());
  size_t order = 0;
  for (; order < peers.size() && peers[order].second != thread_id; ++order) {
  }
  if (name.empty()) return "thread#" + std::to_string(order);
  return peers.size() > 1 ? name + "#" + std::to_string(order) : name;
}

}  // namespace holdup::analysis
