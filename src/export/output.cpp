// Output files: where each exported process goes, and writing aside then
// renaming, so that a reader never sees a half-written file and an existing
// one is replaced whole.

#include <unistd.h>

#include <cerrno>
#include <cstdio>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <set>

#include <fmt/format.h>

#include "common.h"

namespace holdup::exporting {

namespace fs = std::filesystem;

namespace detail {

std::string temporary_path(const std::string& path) {
  const fs::path p(path);
  return (p.parent_path() / fmt::format(".{}.tmp-{}", p.filename().string(), ::getpid())).string();
}

bool commit_file(const std::string& temporary, const std::string& path, std::string* error) {
  if (std::rename(temporary.c_str(), path.c_str()) != 0) {
    *error = fmt::format("{}: cannot replace it ({})", path, std::strerror(errno));
    std::remove(temporary.c_str());
    return false;
  }
  return true;
}

}  // namespace detail

namespace detail {

AtomicFile::AtomicFile(std::string path) : path_(std::move(path)), temporary_(temporary_path(path_)) {}

AtomicFile::~AtomicFile() {
  if (committed_) return;
  if (out_.is_open()) out_.close();
  std::remove(temporary_.c_str());
}

bool AtomicFile::open(std::string* error) {
  out_.open(temporary_, std::ios::binary | std::ios::trunc);
  if (!out_) {
    *error = fmt::format("{}: cannot write ({})", temporary_, std::strerror(errno));
    return false;
  }
  return true;
}

bool AtomicFile::commit(std::string* error) {
  out_.flush();
  const bool good = static_cast<bool>(out_);
  out_.close();
  if (!good || out_.fail()) {
    *error = fmt::format("{}: write failed ({})", temporary_, std::strerror(errno));
    return false;
  }
  committed_ = commit_file(temporary_, path_, error);
  return committed_;
}

}  // namespace detail

bool write_file_atomically(const std::string& path, const std::function<void(std::ostream&)>& write,
                           std::string* error) {
  detail::AtomicFile file(path);
  if (!file.open(error)) return false;
  write(file.stream());
  return file.commit(error);
}

std::vector<std::string> output_paths(const analysis::Model& model, const std::vector<uint32_t>& processes,
                                      const std::string& output, const std::string& extension, std::string* error) {
  std::error_code ec;
  if (output.empty()) {
    *error = "-o: no output path";
    return {};
  }
  if (processes.size() == 1 && !fs::is_directory(output, ec)) {
    const fs::path parent = fs::path(output).parent_path();
    if (!parent.empty() && !fs::is_directory(parent, ec)) {
      *error = fmt::format("{}: the folder {} does not exist", output, parent.string());
      return {};
    }
    return {output};
  }
  if (fs::exists(output, ec) && !fs::is_directory(output, ec)) {
    *error = fmt::format("{}: exporting {} processes needs a directory (one file per process), and this is a file",
                         output, processes.size());
    return {};
  }
  fs::create_directories(output, ec);
  if (ec) {
    *error = fmt::format("{}: cannot create the directory ({})", output, ec.message());
    return {};
  }
  std::vector<std::string> out;
  std::set<std::string> used;
  for (uint32_t p : processes) {
    const auto& process = model.processes[p];
    std::string stem = fs::path(process.trace_path).stem().string();
    if (stem.empty()) stem = fmt::format("holdup-{}-{}", process.hostname, process.pid);
    std::string name = stem + extension;
    for (int n = 2; !used.insert(name).second; ++n) name = fmt::format("{}-{}{}", stem, n, extension);
    out.push_back((fs::path(output) / name).string());
  }
  return out;
}

}  // namespace holdup::exporting
