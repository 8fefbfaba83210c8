#include "peer_link.h"

#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cerrno>
#include <chrono>

namespace holdup::workload {
namespace {

struct FrameHeader {
  std::uint32_t type;
  std::uint32_t size;
};

constexpr std::uint32_t kMaxPayload = 1 << 20;

std::string errno_text(int error) { return std::string(std::strerror(error)); }

}  // namespace

std::string_view to_string(MessageType type) {
  switch (type) {
    case MessageType::kHello: return "hello";
    case MessageType::kIpcHandle: return "ipc-handle";
    case MessageType::kReady: return "ready";
    case MessageType::kDone: return "done";
    case MessageType::kError: return "error";
  }
  return "unknown";
}

PeerLink::PeerLink(int fd, double timeout_s) : fd_(fd), timeout_s_(timeout_s) {}

PeerLink::~PeerLink() {
  if (fd_ >= 0) ::close(fd_);
}

void PeerLink::send(MessageType type, std::span<const std::byte> payload) {
  const FrameHeader header{static_cast<std::uint32_t>(type), static_cast<std::uint32_t>(payload.size())};
  const auto header_bytes = std::as_bytes(std::span(&header, 1));
  std::vector<std::byte> frame(header_bytes.begin(), header_bytes.end());
  frame.insert(frame.end(), payload.begin(), payload.end());
  std::size_t sent = 0;
  while (sent < frame.size()) {
    // MSG_NOSIGNAL: a dead peer gives EPIPE here, not a SIGPIPE that kills us.
    const ssize_t n = ::send(fd_, frame.data() + sent, frame.size() - sent, MSG_NOSIGNAL);
    if (n < 0 && errno == EINTR) continue;
    if (n < 0) {
      throw PeerError("cannot send '" + std::string(to_string(type)) + "' to the peer process: " +
                      errno_text(errno) + " (did it exit? see its messages above)");
    }
    sent += static_cast<std::size_t>(n);
  }
}

void PeerLink::send_error(const std::string& text) noexcept {
  try {
    send(MessageType::kError, std::as_bytes(std::span(text.data(), text.size())));
  } catch (...) {
    // The peer may be gone already; our own error is reported by the caller.
  }
}

void PeerLink::read_exactly(void* data, std::size_t size, const char* what) {
  const auto deadline = std::chrono::steady_clock::now() + std::chrono::duration<double>(timeout_s_);
  auto* bytes = static_cast<std::byte*>(data);
  std::size_t received = 0;
  while (received < size) {
    const auto left = std::chrono::duration_cast<std::chrono::milliseconds>(deadline - std::chrono::steady_clock::now());
    if (left.count() <= 0) {
      throw PeerError(std::string("the peer process sent no ") + what + " within " + std::to_string(timeout_s_) +
                      " s (--timeout-s): it is hung or slower than the timeout");
    }
    pollfd poll_fd{fd_, POLLIN, 0};
    const int ready = ::poll(&poll_fd, 1, static_cast<int>(left.count()));
    if (ready < 0 && errno == EINTR) continue;
    if (ready < 0) throw PeerError(std::string("poll on the peer socket failed: ") + errno_text(errno));
    if (ready == 0) continue;  // the deadline check above reports it
    const ssize_t n = ::recv(fd_, bytes + received, size - received, 0);
    if (n < 0 && errno == EINTR) continue;
    if (n < 0) throw PeerError(std::string("cannot read from the peer process: ") + errno_text(errno));
    if (n == 0) {
      throw PeerError(std::string("the peer process closed the connection while we waited for ") + what +
                      " (it exited; see its messages)");
    }
    received += static_cast<std::size_t>(n);
  }
}

std::vector<std::byte> PeerLink::receive(MessageType expected) {
  const std::string what = "'" + std::string(to_string(expected)) + "' message";
  FrameHeader header{};
  read_exactly(&header, sizeof header, what.c_str());
  if (header.size > kMaxPayload) {
    throw PeerError("the peer sent a frame of " + std::to_string(header.size) + " bytes: corrupt control channel");
  }
  std::vector<std::byte> payload(header.size);
  if (header.size > 0) read_exactly(payload.data(), payload.size(), what.c_str());
  const auto type = static_cast<MessageType>(header.type);
  if (type == MessageType::kError) {
    throw PeerError("the peer process failed: " +
                    std::string(reinterpret_cast<const char*>(payload.data()), payload.size()));
  }
  if (type != expected) {
    throw PeerError("expected a '" + std::string(to_string(expected)) + "' message from the peer, got '" +
                    std::string(to_string(type)) + "'");
  }
  return payload;
}

}  // namespace holdup::workload
