#include "trace_file.h"

#include <fcntl.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>

#include <fmt/format.h>

namespace holdup::inject {

TraceFile::~TraceFile() { close(); }

bool TraceFile::create(const std::string& dir, const std::string& stem, const std::string& ext,
                       std::string* error) {
  const std::string base = (dir.empty() ? std::string(".") : dir) + "/" + stem;
  for (int attempt = 0; attempt < 1000; ++attempt) {
    std::string path = attempt == 0 ? base + ext : fmt::format("{}.{}{}", base, attempt, ext);
    int fd = ::open(path.c_str(), O_CREAT | O_EXCL | O_WRONLY | O_CLOEXEC, 0644);
    if (fd >= 0) {
      fd_ = fd;
      path_ = std::move(path);
      return true;
    }
    if (errno != EEXIST) {
      *error = fmt::format("cannot create trace file {}: {}; set HOLDUP_OUTPUT to a writable directory", path,
                           std::strerror(errno));
      return false;
    }
  }
  *error = fmt::format("cannot create trace file {}{}: 1000 files of that name exist; clean up {}", base, ext,
                       dir.empty() ? "." : dir);
  return false;
}

bool TraceFile::write_all(const std::string& bytes, std::string* error) {
  size_t done = 0;
  while (done < bytes.size()) {
    ssize_t n = ::write(fd_, bytes.data() + done, bytes.size() - done);
    if (n < 0) {
      if (errno == EINTR) continue;
      *error = fmt::format("cannot write {} bytes to {}: {}; check free space", bytes.size() - done, path_,
                           std::strerror(errno));
      return false;
    }
    done += static_cast<size_t>(n);
  }
  return true;
}

void TraceFile::close() {
  if (fd_ >= 0) ::close(fd_);
  fd_ = -1;
}

}  // namespace holdup::inject
