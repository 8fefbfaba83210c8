#include "trace_file.h"

#include <fcntl.h>
#include <linux/falloc.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>

#include <fmt/format.h>

namespace holdup::inject {
namespace {

// What to do about a failed write, by its errno.
const char* advice(int err) {
  switch (err) {
    case ENOSPC:
    case EDQUOT: return "free space on that file system or set HOLDUP_OUTPUT to another";
    case EFBIG: return "raise the process's file size limit (ulimit -f) or set HOLDUP_SIZE_CAP_MB below it";
    default: return "check that file system or set HOLDUP_OUTPUT to another";
  }
}

}  // namespace

TraceFile::~TraceFile() { close(); }

bool TraceFile::create(const std::string& dir, const std::string& stem, const std::string& ext,
                       std::string* error) {
  const std::string base = (dir.empty() ? std::string(".") : dir) + "/" + stem;
  for (int attempt = 0; attempt < 1000; ++attempt) {
    std::string path = attempt == 0 ? base + ext : fmt::format("{}.{}{}", base, attempt, ext);
    // O_EXCL alone already fails on any existing name, a link included
    // (EEXIST); O_NOFOLLOW says so again. The mode is 0600 whatever the
    // umask: only the owner reads what the app's command line held.
    int fd = ::open(path.c_str(), O_CREAT | O_EXCL | O_NOFOLLOW | O_WRONLY | O_CLOEXEC, 0600);
    if (fd >= 0) {
      adopt(fd, std::move(path));
      return true;
    }
    if (errno != EEXIST && errno != ELOOP) {
      *error = fmt::format("cannot create trace file {}: {}; set HOLDUP_OUTPUT to a writable directory", path,
                           std::strerror(errno));
      return false;
    }
  }
  *error = fmt::format("cannot create trace file {}{}: 1000 files of that name exist; clean up {}", base, ext,
                       dir.empty() ? "." : dir);
  return false;
}

void TraceFile::adopt(int fd, std::string path) {
  close();
  fd_ = fd;
  path_ = std::move(path);
  size_ = 0;
  reserved_until_ = 0;
  reserve_supported_ = true;
}

bool TraceFile::keep_reserve(uint64_t bytes) {
  if (!reserve_supported_) return true;
  const uint64_t until = size_ + bytes + kFinalReserve;
  if (until <= reserved_until_) return true;
  if (::fallocate(fd_, FALLOC_FL_KEEP_SIZE, static_cast<off_t>(size_), static_cast<off_t>(until - size_)) == 0) {
    reserved_until_ = until;
    return true;
  }
  if (errno == ENOSPC || errno == EDQUOT) return false;
  // EOPNOTSUPP (some network and FUSE file systems), ENODEV (a device),
  // EFBIG...: no reserve; the final chunk takes its chances.
  reserve_supported_ = false;
  return true;
}

bool TraceFile::write_all(const std::string& bytes, std::string* error, bool final) {
  if (fd_ < 0) {
    *error = fmt::format("trace file {} is closed", path_);
    return false;
  }
  if (!final && !keep_reserve(bytes.size())) {
    *error = fmt::format("cannot write {} bytes to {}: {} (room for the final chunk is kept); {}", bytes.size(),
                         path_, std::strerror(errno), advice(errno));
    return false;
  }
  size_t done = 0;
  while (done < bytes.size()) {
    ssize_t n = ::pwrite(fd_, bytes.data() + done, bytes.size() - done, static_cast<off_t>(size_ + done));
    if (n < 0) {
      if (errno == EINTR) continue;
      const int err = errno;
      // A torn chunk in the middle would hide every chunk after it from a
      // reader: the file is cut back to its last whole chunk.
      if (done > 0 && ::ftruncate(fd_, static_cast<off_t>(size_)) != 0) {
        // Could not cut it: whatever follows would be unreadable.
        *error = fmt::format("cannot write {} bytes to {}: {}, nor cut the file back to {} bytes; the trace ends "
                             "there; {}",
                             bytes.size() - done, path_, std::strerror(err), size_, advice(err));
        ::close(fd_);
        fd_ = -1;
        return false;
      }
      *error = fmt::format("cannot write {} bytes to {}: {}; {}", bytes.size(), path_, std::strerror(err),
                           advice(err));
      return false;
    }
    done += static_cast<size_t>(n);
  }
  size_ += bytes.size();
  return true;
}

bool TraceFile::removed() const {
  struct stat st {};
  return fd_ >= 0 && ::fstat(fd_, &st) == 0 && st.st_nlink == 0;
}

void TraceFile::close() {
  if (fd_ < 0) return;
  // The reserve past the end is given back (blocks past EOF stay allocated
  // otherwise on some file systems).
  if (reserved_until_ > size_)
    ::fallocate(fd_, FALLOC_FL_PUNCH_HOLE | FALLOC_FL_KEEP_SIZE, static_cast<off_t>(size_),
                static_cast<off_t>(reserved_until_ - size_));
  ::close(fd_);
  fd_ = -1;
}

}  // namespace holdup::inject
