#pragma once
// The trace file on disk: created exclusively (never overwrites), written
// one framed chunk per write(2).

#include <cstdint>
#include <string>

namespace holdup::inject {

class TraceFile {
 public:
  TraceFile() = default;
  ~TraceFile();
  TraceFile(const TraceFile&) = delete;
  TraceFile& operator=(const TraceFile&) = delete;

  // Creates `dir/stem.ext`, or `dir/stem.1.ext`, `.2`, ... if taken
  // (O_CREAT|O_EXCL|O_WRONLY|O_CLOEXEC). On failure returns false and sets
  // *error to a message naming the path and what to do.
  bool create(const std::string& dir, const std::string& stem, const std::string& ext, std::string* error);

  // Writes `bytes` with one write(2) (retried only on EINTR or a short
  // write). On failure returns false and sets *error.
  bool write_all(const std::string& bytes, std::string* error);

  void close();
  bool is_open() const { return fd_ >= 0; }
  const std::string& path() const { return path_; }

  // Forgets the descriptor without closing or writing (forked child).
  void abandon() { fd_ = -1; }

  // Hands the open descriptor over to the caller, who closes it.
  int release() {
    const int fd = fd_;
    fd_ = -1;
    return fd;
  }

 private:
  int fd_ = -1;
  std::string path_;
};

}  // namespace holdup::inject
