#pragma once
// Loading traces into a Model: files, or directories of *.trace files.

#include <cstdint>
#include <functional>
#include <string>
#include <vector>

#include "holdup/analysis_model.h"

namespace holdup::analysis {

struct LoadOptions {
  // Drop each process's command line (the fixture test does, so that no
  // verdict can depend on a scenario name in argv).
  bool strip_command_line = false;
  // Called after every chunk, for a progress line on long runs.
  struct Progress {
    uint64_t records = 0;      // records read so far, all files
    uint64_t bytes_read = 0;   // bytes consumed so far, all files
    uint64_t bytes_total = 0;  // size of all files (0: unknown)
    bool indexing = false;     // all read; joining, sorting and indexing next
  };
  std::function<void(const Progress&)> on_progress;
};

// Files named by `paths`; a directory stands for its *.trace files (sorted,
// not recursive). Errors (missing path, empty directory) are appended.
std::vector<std::string> expand_trace_paths(const std::vector<std::string>& paths, std::vector<std::string>* errors);

// What load_traces read.
struct LoadResult {
  size_t files = 0;        // trace files named (directories expanded)
  size_t traces_read = 0;  // of them, those with at least one chunk read: a process each
  size_t problems = 0;     // errors appended (missing paths, unreadable files, damage)
};

// Reads every trace into *model. Returns false when any input could not be
// read whole (missing, not a holdup trace, I/O error, corrupt from some
// offset on); *errors names the file, where and what to do. Every readable
// trace is still in *model: a file unreadable from its first byte adds no
// process, one corrupt further on keeps the chunks before the damage (its
// error is also in Process::problems). *result (if given) says how many
// traces were read, so that a command can go on with the rest. A torn
// tail or a damaged chunk skipped by its checksum is not an error: it is
// kept in Process::input and reported with the recorder's health.
bool load_traces(const std::vector<std::string>& paths, Model* model, std::vector<std::string>* errors,
                 const LoadOptions& options = {}, LoadResult* result = nullptr);

}  // namespace holdup::analysis
