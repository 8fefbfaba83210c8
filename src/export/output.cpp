// Output files: where each exported process goes, what may be written
// there (never an input, never a trace, an existing file only with --force),
// and writing a regular file aside then renaming it, so that a reader never
// sees a half-written file and an existing one is replaced whole.

#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <string_view>
#include <set>

#include <fmt/format.h>

#include "common.h"

namespace holdup::exporting {

namespace fs = std::filesystem;

namespace {

bool same_file(const struct stat& a, const struct stat& b) { return a.st_dev == b.st_dev && a.st_ino == b.st_ino; }

// A holdup trace starts with a chunk (0x0a) whose header holds the magic.
bool holds_holdup_trace(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  char head[512] = {};
  in.read(head, sizeof head);
  const std::string_view bytes(head, static_cast<size_t>(in.gcount()));
  return !bytes.empty() && bytes[0] == '\x0a' && bytes.find("holdup-trace") != std::string_view::npos;
}

// /dev/stdout, /dev/stderr, /dev/fd/N, /proc/<pid>/fd/N: a descriptor the
// shell opened, whatever it points at, written as it is, never renamed
// over. Other paths under /dev (a regular file in /dev/shm) are files like
// any other.
bool descriptor_path(const fs::path& p) {
  const std::string lexical = fs::absolute(p).lexically_normal().string();
  if (lexical == "/dev/stdout" || lexical == "/dev/stderr" || lexical.rfind("/dev/fd/", 0) == 0) return true;
  return lexical.rfind("/proc/", 0) == 0 && lexical.find("/fd/") != std::string::npos;
}

}  // namespace

bool resolve_output(const std::string& path, const std::vector<std::string>& inputs, bool force,
                    OutputTarget* target, std::string* error) {
  *target = OutputTarget{path, path, false};
  if (path.empty()) {
    *error = "no output path given";
    return false;
  }
  struct stat st {};
  if (::stat(path.c_str(), &st) != 0) {
    if (errno != ENOENT) {
      *error = fmt::format("{}: cannot look at it ({})", path, std::strerror(errno));
      return false;
    }
    std::error_code ec;
    const fs::path parent = fs::path(path).parent_path();
    if (!parent.empty() && !fs::is_directory(parent, ec)) {
      *error = fmt::format("{}: the folder {} does not exist; create it first", path, parent.string());
      return false;
    }
    return true;
  }
  for (const auto& input : inputs) {
    struct stat in {};
    if (::stat(input.c_str(), &in) == 0 && same_file(st, in)) {
      *error = fmt::format("{}: that is one of the input traces; holdup never writes over an input: name another "
                           "output file",
                           path);
      return false;
    }
  }
  if (S_ISDIR(st.st_mode)) {
    *error = fmt::format("{}: is a directory; name a file inside it", path);
    return false;
  }
  if (S_ISBLK(st.st_mode)) {
    *error = fmt::format("{}: is a block device; holdup never writes one: name a file", path);
    return false;
  }
  if (!S_ISREG(st.st_mode) || descriptor_path(path)) {
    // A character device (/dev/null), a FIFO, a socket, /dev/stdout: written
    // in place. /dev/stdout redirected to a file is written as the shell
    // opened it.
    target->in_place = true;
    return true;
  }
  if (holds_holdup_trace(path)) {
    *error = fmt::format("{}: holds a holdup trace; holdup never writes over one, --force or not (was it meant as "
                         "an input? the output comes first: -o FILE / --html FILE)",
                         path);
    return false;
  }
  if (!force) {
    *error = fmt::format("{}: exists; add --force to replace it, or name another file", path);
    return false;
  }
  // Replace the file a link points to, not the link.
  std::error_code ec;
  const fs::path real = fs::canonical(path, ec);
  if (!ec) target->write_path = real.string();
  return true;
}

namespace detail {

std::string temporary_path(const OutputTarget& target) {
  const fs::path p(target.write_path);
  const std::string name = fmt::format(".{}.tmp-{}", p.filename().string(), ::getpid());
  if (!target.in_place) return (p.parent_path() / name).string();
  const char* tmp = std::getenv("TMPDIR");
  return (fs::path(tmp != nullptr && *tmp != 0 ? tmp : "/tmp") / ("holdup" + name)).string();
}

namespace {

// Copies `from` into the in-place target (a device, a FIFO, stdout), every
// write and the close checked.
bool copy_into(const std::string& from, const OutputTarget& target, std::string* error) {
  std::ifstream in(from, std::ios::binary);
  std::ofstream out(target.write_path, std::ios::binary | std::ios::app);
  if (!in || !out) {
    *error = fmt::format("{}: cannot write ({})", target.path, std::strerror(errno));
    return false;
  }
  out << in.rdbuf();
  out.flush();
  const bool good = static_cast<bool>(out);
  const int err = errno;
  out.close();
  if (!good || out.fail()) {
    *error = fmt::format("{}: write failed ({})", target.path, std::strerror(err));
    return false;
  }
  return true;
}

}  // namespace

bool commit_file(const std::string& temporary, const OutputTarget& target, std::string* error) {
  if (target.in_place) {
    const bool ok = copy_into(temporary, target, error);
    std::remove(temporary.c_str());
    return ok;
  }
  if (std::rename(temporary.c_str(), target.write_path.c_str()) != 0) {
    *error = fmt::format("{}: cannot replace it ({})", target.path, std::strerror(errno));
    std::remove(temporary.c_str());
    return false;
  }
  return true;
}

AtomicFile::AtomicFile(OutputTarget target)
    : target_(std::move(target)), temporary_(target_.in_place ? std::string() : temporary_path(target_)) {}

AtomicFile::~AtomicFile() {
  if (committed_) return;
  if (out_.is_open()) out_.close();
  if (!temporary_.empty()) std::remove(temporary_.c_str());
}

bool AtomicFile::open(std::string* error) {
  // In place: appended, as the shell's `>` or `>>` left it (a device or a
  // FIFO has no length to cut).
  if (target_.in_place) {
    out_.open(target_.write_path, std::ios::binary | std::ios::app);
  } else {
    out_.open(temporary_, std::ios::binary | std::ios::trunc);
  }
  if (!out_) {
    *error = fmt::format("{}: cannot write ({})", target_.in_place ? target_.path : temporary_, std::strerror(errno));
    return false;
  }
  return true;
}

bool AtomicFile::commit(std::string* error) {
  out_.flush();
  const bool good = static_cast<bool>(out_);
  const int err = errno;
  out_.close();
  if (!good || out_.fail()) {
    *error = fmt::format("{}: write failed ({})", target_.path, std::strerror(err != 0 ? err : EIO));
    return false;
  }
  if (target_.in_place) {
    committed_ = true;
    return true;
  }
  committed_ = commit_file(temporary_, target_, error);
  return committed_;
}

}  // namespace detail

bool write_output(const OutputTarget& target, const std::function<void(std::ostream&)>& write, std::string* error) {
  detail::AtomicFile file(target);
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
