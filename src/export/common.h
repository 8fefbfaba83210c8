#pragma once
// What the exporters share: names as other tools spell them, finding the
// records a verdict refers to, and which records and copies one exported
// process holds.

#include <algorithm>
#include <cstdint>
#include <fstream>
#include <limits>
#include <memory>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

#include "export/export.h"
#include "holdup/format.h"
#include "holdup/trace.pb.h"

namespace holdup::exporting::detail {

using analysis::TimeNs;

// A mangled name demangled (as Kineto and nsys show kernels); the name
// itself when it is not a mangled C++ name.
std::string demangle(std::string_view name);
// nsys's shortName: the function's own name, without scope, template
// arguments or parameters ("Kernel1" for "ns::Kernel1(int)").
std::string short_name(std::string_view demangled);

// Demangled and short names of interned strings, each worked out once.
class NameCache {
 public:
  explicit NameCache(const analysis::Model& model) : model_(model) {}
  const std::string& demangled(uint32_t string_index);
  const std::string& short_name(uint32_t string_index);
  // A name given as text (a RecordRef's), demangled.
  const std::string& demangled_text(const std::string& name);

 private:
  const analysis::Model& model_;
  std::unordered_map<uint32_t, std::string> demangled_, short_;
  std::unordered_map<std::string, std::string> demangled_texts_;
};

// CUPTI's spellings, as Kineto writes them: "DtoD", "Device", ...
std::string_view memcpy_kind_text(uint8_t copy_kind);
std::string_view memory_kind_text(uint8_t memory_kind);
// Kineto's names of synchronizations: "Event Sync", "Stream Sync", ...
std::string_view sync_type_text(uint8_t type);

// Kineto's occupancy figures of a kernel: blocks per SM, warps per SM and
// the estimated achieved occupancy (percent, -1 when the limits are unknown).
struct Occupancy {
  double blocks_per_sm = 0;
  double warps_per_sm = 0;
  int occupancy_percent = -1;
};
Occupancy occupancy(const analysis::GpuOp& op, const OpExtra* extra, const proto::Device* device);

// A record a verdict names (analysis::RecordRef), found in the model.
struct Resolved {
  enum class Kind : uint8_t { none, op, api, overhead, sync } kind = Kind::none;
  uint32_t index = analysis::kNone;
  uint32_t process = analysis::kNone;
};

class RecordIndex {
 public:
  explicit RecordIndex(const analysis::Model& model);
  Resolved find(const analysis::RecordRef& ref) const;

 private:
  const analysis::Model& model_;
  std::unordered_multimap<uint32_t, uint32_t> processes_by_pid_;
  // (process, start) sorted synchronizations.
  std::vector<uint32_t> syncs_;
};

// The time window one exported process's timeline covers: everything,
// or with --from-us/--to-us that window widened to hold each selected copy
// from where its thread set out to issue it to its end (this needs the
// analysis; without a window it does not).
struct Window {
  TimeNs from = 0;
  TimeNs to = std::numeric_limits<TimeNs>::max();
  bool contains(TimeNs start, TimeNs end) const { return end >= from && start <= to; }
  bool all() const { return from == 0 && to == std::numeric_limits<TimeNs>::max(); }
};
bool has_window(const report::Filters& filters);
Window window_of(const Input& input, uint32_t process);

// The selected copies of one process (indexes into Analysis::copies).
std::vector<uint32_t> copies_of(const Input& input, uint32_t process);

// The processes to export (the --pid filter), in model order.
std::vector<uint32_t> exported_processes(const analysis::Model& model, const report::Filters& filters);

// One exported process, written in two steps: its records, which need no
// verdict (so they are written while the analysis runs), then holdup's
// verdicts and what ends the file. Writers of different processes may run
// on different threads.
class ProcessWriter {
 public:
  virtual ~ProcessWriter() = default;
  // Reads the model and the extras only: neither Input::analysis's verdicts
  // nor Input::selection, which the analysis may be filling meanwhile.
  virtual void records() = 0;
  // Input::analysis is complete from here on.
  virtual void verdicts() = 0;
  // Finishes the file; false with *error set when writing failed.
  virtual bool close(std::string* error) = 0;
};
std::unique_ptr<ProcessWriter> chrome_writer(const Input& input, uint32_t process, const RankInfo& rank,
                                             const Window& window, std::ostream& out);
// Writes into a new database at `path`.
std::unique_ptr<ProcessWriter> sqlite_writer(const Input& input, uint32_t process, const Window& window,
                                             const std::string& path);

// An output file (OutputTarget): a regular one written aside and renamed
// over its path on commit(), the temporary removed unless committed; one
// written in place (a device, a FIFO, /dev/stdout) opened and written
// directly. commit() checks the writes, the flush and the close.
class AtomicFile {
 public:
  explicit AtomicFile(OutputTarget target);
  ~AtomicFile();
  AtomicFile(const AtomicFile&) = delete;
  AtomicFile& operator=(const AtomicFile&) = delete;
  // False with *error set when the file (or its temporary) cannot be opened.
  bool open(std::string* error);
  std::ostream& stream() { return out_; }
  bool commit(std::string* error);

 private:
  OutputTarget target_;
  std::string temporary_;
  std::ofstream out_;
  bool committed_ = false;
};

// The CUDA device id that `gpu_label` (Gpu::label) has in `process`, or -1.
int64_t device_of_gpu(const analysis::Model& model, uint32_t process, const std::string& gpu_label);
// The device id of a context of `process` (-1 if the context is unknown).
int64_t device_of_context(const analysis::Model& model, uint32_t process, uint32_t context_id);

// A process's name for people: its program and pid.
std::string process_title(const analysis::Model& model, uint32_t process);

// Where a flagged copy's held time begins: its own hold starts at
// Split::held_begin_ns; a hold passed on in stream order (Split::inherited)
// began that much earlier, while it queued behind the held copy before it.
inline TimeNs held_from(const analysis::CopyVerdict& v, const analysis::GpuOp& op) {
  const TimeNs begin = v.split.held_begin_ns > v.split.inherited ? v.split.held_begin_ns - v.split.inherited : 0;
  return std::min(begin, op.start_ns);
}

// A flagged copy's findings: those the analysis kept (an export keeps them
// all), else built now into *storage.
const analysis::FlaggedDetail& findings_of(const analysis::Analysis& a, uint32_t copy,
                                           analysis::FlaggedDetail* storage);

// A held copy's findings and the distinct blockers of its claimed ones.
struct HeldCopy {
  analysis::FlaggedDetail storage;
  const analysis::FlaggedDetail* detail = nullptr;
  std::vector<analysis::Blocker> blockers;  // claimed findings', first seen first
  HeldCopy() = default;
  HeldCopy(const HeldCopy&) = delete;
  HeldCopy& operator=(const HeldCopy&) = delete;
};
void held_copy(const analysis::Analysis& a, uint32_t copy, HeldCopy* out);

// Where a file for `target` is made first: beside a regular file (same
// folder, so a rename replaces it atomically), in $TMPDIR for one written
// in place. commit_file() then renames it over the target or copies it
// into it, and removes it; false with *error set if that fails.
std::string temporary_path(const OutputTarget& target);
bool commit_file(const std::string& temporary, const OutputTarget& target, std::string* error);

}  // namespace holdup::exporting::detail
