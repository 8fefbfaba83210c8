// Finding libholdup.so for `holdup run`: $HOLDUP_LIB, else beside or
// relative to the executable (install and build trees), else the configured
// locations.

#include "run_library.h"

#include <algorithm>
#include <cstdlib>
#include <vector>

#include <fmt/format.h>

#include "holdup/run_paths.h"

namespace holdup::cli {

namespace fs = std::filesystem;

namespace {

constexpr const char* kLibraryName = "libholdup.so";

fs::path executable_dir() {
  std::error_code ec;
  fs::path exe = fs::read_symlink("/proc/self/exe", ec);
  return ec ? fs::path() : exe.parent_path();
}

// Where to look, in order: beside the executable, the install tree relative
// to it (bin/../lib), the build tree relative to it (tools/holdup/../../
// src/inject), the configured libdir, the build tree this binary came from.
std::vector<fs::path> library_candidates() {
  std::vector<fs::path> candidates;
  fs::path dir = executable_dir();
  if (!dir.empty()) {
    candidates.push_back(dir / kLibraryName);
    candidates.push_back(dir / ".." / HOLDUP_INSTALL_LIBDIR_RELATIVE / kLibraryName);
    candidates.push_back(dir / ".." / "lib" / kLibraryName);
    candidates.push_back(dir / ".." / "src" / "inject" / kLibraryName);
    candidates.push_back(dir / ".." / ".." / "src" / "inject" / kLibraryName);
  }
  candidates.push_back(fs::path(HOLDUP_INSTALL_LIBDIR_ABSOLUTE) / kLibraryName);
  candidates.push_back(fs::path(HOLDUP_BUILD_TREE_INJECT_DIR) / kLibraryName);
  return candidates;
}

}  // namespace

// The absolute path of the recorder library, or nullopt with *error set.
std::optional<fs::path> find_recorder_library(std::string* error) {
  std::error_code ec;
  if (const char* forced = std::getenv("HOLDUP_LIB"); forced && *forced) {
    fs::path path = fs::absolute(forced, ec);
    if (ec || !fs::is_regular_file(path, ec)) {
      *error = fmt::format("HOLDUP_LIB={} is not a file. Point it at libholdup.so, or unset it to use the installed one",
                           forced);
      return std::nullopt;
    }
    return path.lexically_normal();
  }
  std::string looked;
  std::vector<fs::path> seen;
  for (const auto& candidate : library_candidates()) {
    fs::path normal = candidate.lexically_normal();
    if (std::find(seen.begin(), seen.end(), normal) != seen.end()) continue;
    seen.push_back(normal);
    if (fs::is_regular_file(normal, ec)) return fs::weakly_canonical(normal, ec);
    looked += "\n  " + normal.string();
  }
  *error = "cannot find " + std::string(kLibraryName) + "; looked in:" + looked +
           "\nBuild it (src/inject) or install holdup, or set HOLDUP_LIB to its path";
  return std::nullopt;
}

}  // namespace holdup::cli
