// holdup_fuzz_export: every export over the model of any bytes, as
// `holdup export` and `holdup report --html` make them: the Chrome trace
// JSON and the SQLite database of each process (the database in memory),
// and the HTML report.

#include <cstddef>
#include <cstdint>
#include <sstream>

#include "fuzz_trace.h"
#include "export/export.h"

using namespace holdup;

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const auto bytes = fuzz::bytes_of(data, size);
  analysis::Model model;
  fuzz::load_model(bytes, &model);
  auto analysis = analysis::analyze(model, {});  // keep_details: an export writes every finding
  std::string error;
  exporting::Input input;
  input.analysis = &analysis;
  input.selection = report::select_copies(analysis, {}, &error);

  // The second pass over the same bytes: what the model leaves out.
  auto reader = TraceReader::from_bytes(fuzz::kTraceName, bytes);
  std::map<std::string, exporting::ProcessExtras> by_path;
  by_path[fuzz::kTraceName] = exporting::read_extras(*reader);
  const auto extras = exporting::match_extras(model, std::move(by_path));
  input.extras = &extras;

  std::vector<uint32_t> processes(model.processes.size());
  for (uint32_t p = 0; p < processes.size(); ++p) processes[p] = p;
  const auto ranks = exporting::ranks_of(model, extras, processes);
  for (uint32_t p : processes) {
    std::ostringstream json;
    exporting::write_chrome_trace(input, p, ranks[p], json);
    exporting::write_sqlite(input, p, ":memory:", &error);
  }
  exporting::render_html(input, {});
  return 0;
}
