#pragma once
// The trace file on disk: created exclusively (never overwrites, never
// follows a link at its name), private to its owner (0600), written one
// framed chunk per write, and always a whole number of chunks long: a
// write that fails part-way is cut back off.
//
// On a file system that can fill up, a reserve past the end (fallocate
// KEEP_SIZE) keeps room for the final chunk, so a full disk still leaves a
// trace that says where it stopped.

#include <cstdint>
#include <string>

namespace holdup::inject {

class TraceFile {
 public:
  // Room kept for the final chunk (health and notes; its last events are
  // dropped if they do not fit).
  static constexpr uint64_t kFinalReserve = 64u << 10;

  TraceFile() = default;
  ~TraceFile();
  TraceFile(const TraceFile&) = delete;
  TraceFile& operator=(const TraceFile&) = delete;

  // Creates `dir/stem.ext`, or `dir/stem.1.ext`, `.2`, ... if taken
  // (O_CREAT|O_EXCL|O_NOFOLLOW|O_WRONLY|O_CLOEXEC, mode 0600: a trace holds
  // the command line and environment). A symbolic link at the name counts
  // as taken and is never followed; a symbolic link to the folder itself is
  // the user's choice and is followed. On failure returns false and sets
  // *error to a message naming the path and what to do.
  bool create(const std::string& dir, const std::string& stem, const std::string& ext, std::string* error);

  // Takes over an open descriptor, written from offset 0 (tests: /dev/full).
  void adopt(int fd, std::string path);

  // Writes `bytes` at the end (retried on EINTR or a short write). A chunk
  // that is not `final` is written only if the reserve past it can be kept;
  // a `final` one may use the reserve. On failure returns false, sets
  // *error, and the file keeps its length from before the call.
  bool write_all(const std::string& bytes, std::string* error, bool final = false);

  // The file's name no longer leads to it (it, or its folder, was removed):
  // what is written from now on is lost when it is closed.
  bool removed() const;

  // Gives back the reserve and closes.
  void close();
  bool is_open() const { return fd_ >= 0; }
  const std::string& path() const { return path_; }
  // Bytes written: whole chunks only.
  uint64_t size() const { return size_; }

  // Forgets the descriptor without closing or writing (forked child).
  void abandon() { fd_ = -1; }

  // Hands the open descriptor over to the caller, who closes it.
  int release() {
    const int fd = fd_;
    fd_ = -1;
    return fd;
  }

 private:
  // Allocates [size_, size_ + bytes + kFinalReserve) ahead, the file's
  // length unchanged. False (errno set) when the file system is full; true
  // where it cannot preallocate (then writes go ahead unprotected).
  bool keep_reserve(uint64_t bytes);

  int fd_ = -1;
  std::string path_;
  uint64_t size_ = 0;
  bool reserve_supported_ = true;
  uint64_t reserved_until_ = 0;
};

}  // namespace holdup::inject
