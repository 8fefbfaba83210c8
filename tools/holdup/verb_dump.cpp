// `holdup dump TRACE`: one line per record.
//
// Order: by default records are sorted by time within each chunk and chunks
// follow in file order (streaming: memory stays bounded by one chunk). A
// chunk holds what CUPTI returned in one flush, so records near chunk
// boundaries can be out of order; `--sorted` sorts the whole file instead (it
// holds every selected line in memory). Times are microseconds relative to
// the first timed record of the file (as in `holdup info`'s time span), the
// absolute CUPTI time in ns with --abs. Records without a time (streams,
// devices, contexts, thread names) show "-" and come first in their chunk.

#include <algorithm>
#include <cmath>
#include <iostream>
#include <optional>

#include <fmt/format.h>

#include "number_checks.h"
#include "trace/record_text.h"
#include "trace/trace_reader.h"
#include "trace/trace_summary.h"
#include "verb.h"
#include "holdup/trace.pb.h"

namespace holdup::cli {
namespace {

constexpr int kExitUnreadable = 2;

struct DumpOptions {
  std::string path;
  std::vector<std::string> kinds;
  std::optional<uint32_t> stream;
  std::optional<double> from_us;
  std::optional<double> to_us;
  uint64_t limit = 0;
  bool absolute = false;
  bool sorted = false;
};

// The kinds to show: those named, or all but interned strings (their values
// already appear inline where they are used).
bool parse_kinds(const std::vector<std::string>& names, RecordKindMask* mask, std::string* error) {
  mask->fill(names.empty());
  if (names.empty()) {
    (*mask)[static_cast<size_t>(RecordKind::string)] = false;
    return true;
  }
  for (const auto& name : names) {
    if (name == "all") {
      mask->fill(true);
      continue;
    }
    auto kind = parse_record_kind(name);
    if (!kind) {
      std::string known;
      for (RecordKind k : all_record_kinds()) known += (known.empty() ? "" : ",") + std::string(record_kind_name(k));
      *error = "unknown record kind \"" + name + "\"; known kinds: " + known + ",all";
      return false;
    }
    (*mask)[static_cast<size_t>(*kind)] = true;
  }
  return true;
}

class Dumper {
 public:
  Dumper(const DumpOptions& options, uint64_t origin_ns) : options_(options), origin_ns_(origin_ns) {}

  // Filters and orders one chunk's lines; prints them unless the whole file
  // is being sorted. False once --limit is reached.
  bool add(std::vector<RecordLine>& lines) {
    std::erase_if(lines, [&](const RecordLine& line) { return !selected(line); });
    if (options_.sorted) {
      for (auto& line : lines) held_.push_back(std::move(line));
      return true;
    }
    sort(lines);
    return print(lines);
  }

  void finish() {
    if (!options_.sorted) return;
    sort(held_);
    print(held_);
  }

  uint64_t printed() const { return printed_; }

 private:
  static void sort(std::vector<RecordLine>& lines) {
    std::stable_sort(lines.begin(), lines.end(),
                     [](const RecordLine& a, const RecordLine& b) { return a.time_ns < b.time_ns; });
  }

  double relative_us(uint64_t time_ns) const { return interval_us(origin_ns_, time_ns); }

  bool selected(const RecordLine& line) const {
    if (options_.stream && line.stream_id != int64_t{*options_.stream}) return false;
    if (options_.from_us || options_.to_us) {
      if (line.time_ns == 0) return false;
      double t = relative_us(line.time_ns);
      if (options_.from_us && t < *options_.from_us) return false;
      if (options_.to_us && t > *options_.to_us) return false;
    }
    return true;
  }

  bool print(const std::vector<RecordLine>& lines) {
    for (const auto& line : lines) {
      if (options_.limit && printed_ >= options_.limit) return false;
      std::string time = line.time_ns ? fmt::format("{:14.3f}", relative_us(line.time_ns)) : fmt::format("{:>14}", "-");
      if (options_.absolute) {
        time += line.time_ns ? fmt::format("  {:>19}", line.time_ns) : fmt::format("  {:>19}", "-");
      }
      fmt::print("{}  {:<8}  {}\n", time, record_kind_name(line.kind), line.text);
      ++printed_;
    }
    return !(options_.limit && printed_ >= options_.limit);
  }

  const DumpOptions& options_;
  uint64_t origin_ns_;
  std::vector<RecordLine> held_;
  uint64_t printed_ = 0;
};

int run_dump(const DumpOptions& options) {
  RecordKindMask kinds{};
  std::string error;
  if (!parse_kinds(options.kinds, &kinds, &error)) {
    std::cerr << "holdup dump: " << error << "\n";
    return kExitUnreadable;
  }
  // First pass: the time origin (and an early, complete error for bad files).
  TraceSummary summary = summarize_trace(options.path);
  if (!summary.ok() && summary.read.chunks == 0) {
    std::cerr << "holdup dump: " << summary.error() << "\n";
    return kExitUnreadable;
  }

  auto reader = TraceReader::open(options.path, &error);
  if (!reader) {
    std::cerr << "holdup dump: " << error << "\n";
    return kExitUnreadable;
  }
  fmt::print("# {}: {} chunks; times in us from the first record ({} ns){}\n", options.path, summary.read.chunks,
             summary.first_ns,
             options.sorted ? ", sorted over the whole file" : ", sorted within each chunk");
  Dumper dumper(options, summary.first_ns);
  InternedStrings strings;
  proto::Chunk chunk;
  std::vector<RecordLine> lines;
  while (reader->next(&chunk)) {
    strings.add(chunk);
    lines.clear();
    describe_chunk(chunk, strings, kinds, &lines);
    if (!dumper.add(lines)) break;
  }
  dumper.finish();
  std::cout.flush();

  const auto& status = reader->status();
  for (const auto& warning : status.warnings) std::cerr << "holdup dump: warning: " << warning << "\n";
  if (status.torn_tail) {
    std::cerr << "holdup dump: warning: " << options.path << ": the last chunk is torn (" << status.torn_bytes
              << " bytes not decoded): the process ended while the recorder was writing\n";
  }
  if (!status.error.empty()) {
    std::cerr << "holdup dump: " << status.error << "\n";
    return kExitUnreadable;
  }
  return 0;
}

void setup_dump(CLI::App& app, int& exit_code) {
  auto* verb = app.add_subcommand("dump", "List a trace's records, one line each");
  auto options = std::make_shared<DumpOptions>();
  verb->add_option("TRACE", options->path, "Trace file (holdup-*.trace)")->required();
  verb->add_option("--kind", options->kinds,
                   "Only these kinds, comma-separated: kernel,memcpy,memset,api,sync,event,overhead,marker,launch,event-call,"
                   "module,stream,device,context,thread,string,clock,note, or all (default: all but string)")
      ->delimiter(',');
  verb->add_option("--stream", options->stream, "Only records of this stream id")
      ->check(cli::whole_number(0, UINT32_MAX));
  verb->add_option("--from-us", options->from_us, "Only records at or after this time (us from the first record)")
      ->check(cli::real_number(0, cli::kMaxTimeUs));
  verb->add_option("--to-us", options->to_us, "Only records at or before this time (us from the first record)")
      ->check(cli::real_number(0, cli::kMaxTimeUs));
  verb->add_option("--limit", options->limit, "Stop after this many lines (0: no limit)")
      ->check(cli::whole_number(0, UINT64_MAX));
  verb->add_flag("--abs", options->absolute, "Also print absolute CUPTI timestamps (ns)");
  verb->add_flag("--sorted", options->sorted, "Sort the whole file by time (holds it in memory)");
  verb->footer("Records are sorted by time within each chunk unless --sorted.\n"
               "Exit status: 0, or 2 when the file cannot be read (missing, not a trace, corrupt).");
  verb->callback([options, &exit_code] { exit_code = run_dump(*options); });
}

}  // namespace
}  // namespace holdup::cli

HOLDUP_REGISTER_VERB(dump, 30, holdup::cli::setup_dump);
