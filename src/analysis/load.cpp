// Reading trace files chunk by chunk into the model builder.

#include <algorithm>
#include <filesystem>
#include <system_error>

#include "holdup/analysis_load.h"
#include "trace/trace_reader.h"
#include "holdup/trace.pb.h"

namespace holdup::analysis {

namespace {
uint64_t chunk_records(const proto::Chunk& c) {
  return c.kernel_size() + c.memcpy_size() + c.memset_size() + c.api_size() + c.synchronization_size() +
         c.cuda_event_size() + c.stream_size() + c.device_size() + c.context_size() + c.overhead_size() +
         c.marker_size() + c.thread_name_size() + c.launch_size() + c.module_size() + c.object_name_size() + c.event_call_size();
}
}  // namespace

std::vector<std::string> expand_trace_paths(const std::vector<std::string>& paths, std::vector<std::string>* errors) {
  namespace fs = std::filesystem;
  std::vector<std::string> files;
  for (const auto& path : paths) {
    std::error_code ec;
    if (fs::is_directory(path, ec)) {
      std::vector<std::string> found;
      for (const auto& entry : fs::directory_iterator(path, ec)) {
        if (entry.is_regular_file() && entry.path().extension() == ".trace") found.push_back(entry.path().string());
      }
      if (ec) errors->push_back(path + ": cannot list the directory (" + ec.message() + ")");
      if (found.empty() && !ec) {
        errors->push_back(path + ": no *.trace files in this directory; pass trace files or the directory "
                                 "`holdup run` wrote them to");
      }
      std::sort(found.begin(), found.end());
      files.insert(files.end(), found.begin(), found.end());
    } else if (fs::exists(path, ec)) {
      files.push_back(path);
    } else {
      errors->push_back(path + ": no such file or directory");
    }
  }
  return files;
}

bool load_traces(const std::vector<std::string>& paths, Model* model, std::vector<std::string>* errors,
                 const LoadOptions& options, LoadResult* result) {
  const size_t errors_before = errors->size();
  const auto files = expand_trace_paths(paths, errors);
  ModelBuilder builder;
  proto::Chunk chunk;
  LoadOptions::Progress progress;
  if (options.on_progress) {
    for (const auto& file : files) {
      std::error_code ec;
      const auto size = std::filesystem::file_size(file, ec);
      if (!ec) progress.bytes_total += size;
    }
  }
  uint64_t bytes_before = 0;  // of the files already read
  size_t traces_read = 0;
  for (const auto& file : files) {
    std::string error;
    auto reader = TraceReader::open(file, &error);
    if (!reader) {
      errors->push_back(error.empty() ? file + ": cannot open the trace" : error);
      continue;
    }
    builder.begin_trace(file);
    while (reader->next(&chunk)) {
      builder.add_chunk(chunk);
      if (options.on_progress) {
        progress.records += chunk_records(chunk);
        progress.bytes_read = bytes_before + reader->status().bytes;
        options.on_progress(progress);
      }
    }
    const auto& status = reader->status();
    bytes_before += status.bytes + status.torn_bytes;
    if (status.chunks == 0) {
      // Nothing of it could be read: no process, only the error.
      builder.discard_trace();
      errors->push_back(status.error.empty() ? file + ": no chunk could be read" : status.error);
      continue;
    }
    builder.end_trace(status);
    ++traces_read;
    // The chunks before the damage are used; the error is also among the
    // process's problems.
    if (!status.error.empty()) errors->push_back(status.error + " (the " + std::to_string(status.chunks) +
                                                 " chunks before it are used)");
  }
  if (options.on_progress) {
    progress.indexing = true;
    options.on_progress(progress);
  }
  *model = builder.finish();
  if (options.strip_command_line) {
    for (auto& process : model->processes) process.command_line.clear();
  }
  if (result != nullptr) {
    result->files = files.size();
    result->traces_read = traces_read;
    result->problems = errors->size() - errors_before;
  }
  return errors->size() == errors_before && !files.empty();
}

}  // namespace holdup::analysis
