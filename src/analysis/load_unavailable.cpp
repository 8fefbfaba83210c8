// Stand-in when the build has no trace reader (src/trace): loading files
// fails with a message saying why.

#include "holdup/analysis_load.h"

namespace holdup::analysis {

std::vector<std::string> expand_trace_paths(const std::vector<std::string>& paths, std::vector<std::string>*) {
  return paths;
}

bool load_traces(const std::vector<std::string>& paths, Model* model, std::vector<std::string>* errors,
                 const LoadOptions&) {
  for (const auto& path : paths) {
    errors->push_back(path + ": this build has no trace reader (holdup_trace); rebuild with src/trace");
  }
  *model = ModelBuilder().finish();
  return false;
}

}  // namespace holdup::analysis
