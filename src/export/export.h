#pragma once
// Exports: the traces and holdup's verdicts in the formats other tools read
// (src/export/FORMATS.md describes each):
//   - Chrome trace JSON in Kineto's conventions (torch.profiler's), read by
//     Perfetto UI, chrome://tracing, TensorBoard's trace viewer and Holistic
//     Trace Analysis; one file per process;
//   - SQLite with the tables and columns of Nsight Systems' export, plus
//     holdup's own HOLDUP_* tables; one file per process;
//   - a self-contained HTML report (summary, patterns, a timeline per worst
//     copy, histograms), one file for everything selected.
// Every export carries the recorder's health of each trace
// (Process::problems): nothing lost is left unsaid.
//
// The report's filters choose the copies whose verdicts are exported; the
// timeline holds every record of each exported process, except that
// --from-us/--to-us clip it to that window (widened to hold the selected
// copies from their issue to their end) and --pid limits the processes.

#include <cstdint>
#include <functional>
#include <iosfwd>
#include <map>
#include <string>
#include <vector>

#include "holdup/analysis.h"
#include "report/report.h"
#include "report/commands.h"
#include "holdup/trace.pb.h"
#include "trace/trace_reader.h"

namespace holdup::exporting {

// ---------------------------------------------------------------------------
// What the analysis model leaves out and the exports show (kernel grid and
// block, copy memory kinds, memset values, the whole Device records, the
// process header with its rank variables): read in a second pass over the
// same files, which costs a protobuf parse (about a fifth of loading).

struct OpExtra {
  uint64_t start_ns = 0;
  uint32_t stream_id = 0;
  uint32_t correlation_id = 0;
  uint8_t kind = 0;  // analysis::OpKind
  // Kernels.
  int32_t grid[3] = {0, 0, 0};
  int32_t block[3] = {0, 0, 0};
  int32_t static_shared_memory = 0;
  int32_t dynamic_shared_memory = 0;
  uint64_t local_memory_total = 0;
  uint64_t queued_ns = 0;
  int64_t grid_id = 0;
  uint32_t launch_type = 0;
  uint32_t shared_memory_executed = 0;
  // Copies and memsets.
  uint64_t graph_node_id = 0;
  uint8_t src_kind = 0;  // proto::MemoryKind (memset: its memory)
  uint8_t dst_kind = 0;
  uint32_t src_device_id = 0;
  uint32_t dst_device_id = 0;
  uint32_t src_context_id = 0;
  uint32_t dst_context_id = 0;
  uint64_t copy_count = 0;
  uint32_t memset_value = 0;
};

struct ProcessExtras {
  bool read = false;
  proto::ProcessHeader header;               // the first one of the file
  std::map<uint32_t, proto::Device> devices; // CUPTI device id
  std::vector<OpExtra> ops;                  // in the file's order (the model's, for its ops)
  std::vector<uint32_t> by_key;              // ops sorted by (stream, start, correlation, kind)
  // The record of `op` (a GPU op of this process), or nullptr. `cursor`
  // (start at 0) makes a walk over the process's ops in model order cost
  // one comparison an op.
  const OpExtra* find(const analysis::GpuOp& op, size_t* cursor = nullptr) const;
};

struct Extras {
  std::vector<ProcessExtras> processes;  // in Model::processes order
};

// Reads `files` (expanded trace paths) for what the model lacks, by path.
std::map<std::string, ProcessExtras> read_extras(const std::vector<std::string>& files);
// The same for one trace, from a reader (opened, not read yet).
ProcessExtras read_extras(TraceReader& reader);
// Pairs them with the model's processes (by trace path).
Extras match_extras(const analysis::Model& model, std::map<std::string, ProcessExtras>&& by_path);

// ---------------------------------------------------------------------------
// What one run of an export works from.

struct Input {
  const analysis::Analysis* analysis = nullptr;
  // Indexes into analysis->copies (report::select_copies).
  std::vector<uint32_t> selection;
  report::Filters filters;
  const Extras* extras = nullptr;
};

// The rank of each process (HTA needs one per file, all different): from
// the rank variables of its header (RANK, OMPI_COMM_WORLD_RANK, PMI_RANK,
// PMIX_RANK, SLURM_PROCID, MV2_COMM_WORLD_RANK), or, where one lacks them or
// two share one, the position of the process among `processes`.
struct RankInfo {
  int64_t rank = 0;
  int64_t world_size = 0;  // 0: unknown
  std::string source;      // the variable, or "position"
};
std::vector<RankInfo> ranks_of(const analysis::Model& model, const Extras& extras,
                               const std::vector<uint32_t>& processes);

// nsys's encodings: globalPid = pid << 24 (host index << 48 where traces
// come from several hosts), globalTid = globalPid | tid.
int64_t global_pid(const analysis::Model& model, uint32_t process);
int64_t global_tid(const analysis::Model& model, uint32_t process, uint32_t thread_id);

// Writes one process's Chrome trace JSON (Kineto's schema) to `out`.
void write_chrome_trace(const Input& input, uint32_t process, const RankInfo& rank, std::ostream& out);

// Writes one process's tables into a new SQLite database at `path` (which
// must not exist), in one transaction. False with *error set on failure.
bool write_sqlite(const Input& input, uint32_t process, const std::string& path, std::string* error);

// The HTML report of the selection: one self-contained page.
std::string render_html(const Input& input, const report::ReportOptions& options);

// ---------------------------------------------------------------------------
// Files. An output never destroys an input (issue 21): a path that is one of
// the inputs or holds a holdup trace is refused, an existing file is
// replaced only with --force, and only a regular file is written aside and
// renamed; a device, a FIFO or /dev/stdout is written in place. Every
// write, flush and close is checked.

struct OutputTarget {
  std::string path;        // as the user named it (messages)
  std::string write_path;  // a regular file: the link's target when `path` is a link; in place: `path`
  bool in_place = false;   // a character device, FIFO or socket, or a /dev/ or /proc/ path
};

// Decides where and how `path` is written. False with *error naming the
// path, why, and what to do: it is one of `inputs` (trace files, as read),
// it holds a holdup trace, it exists and `force` is off, it is a block
// device or a directory, or its folder does not exist.
bool resolve_output(const std::string& path, const std::vector<std::string>& inputs, bool force,
                    OutputTarget* target, std::string* error);

// Writes the target by calling `write` on a stream (a regular file: to a
// temporary beside it, then renamed over it). False with *error set (the
// user's path and the system's reason) when anything failed; a temporary
// is removed.
bool write_output(const OutputTarget& target, const std::function<void(std::ostream&)>& write, std::string* error);

// Where each exported process goes: `output` itself when one process is
// exported and `output` is not a directory; otherwise one file per process
// inside the directory `output` (created), named after its trace file with
// `extension` (".json", ".sqlite").
std::vector<std::string> output_paths(const analysis::Model& model, const std::vector<uint32_t>& processes,
                                      const std::string& output, const std::string& extension,
                                      std::string* error);

// ---------------------------------------------------------------------------
// The verbs, as functions (tools/holdup only parses the command line).

enum class Format { chrome_json, sqlite };

struct ExportOptions {
  report::CommonOptions common;
  Format format = Format::chrome_json;
  std::string output;
  // --force: replace existing output files (never an input or a trace).
  bool force = false;
};

// `holdup export`: the files, one line each on `out`; errors on `err`.
int run_export(const ExportOptions& options, std::ostream& out, std::ostream& err);

// `holdup report --html FILE`: the HTML report to `path`; one line on `out`.
int run_html_report(const report::CommonOptions& options, const report::ReportOptions& report_options,
                    const std::string& path, bool force, std::ostream& out, std::ostream& err);

}  // namespace holdup::exporting
