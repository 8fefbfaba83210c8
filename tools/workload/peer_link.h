#pragma once
// The two workers' control channel: framed messages over a socketpair end
// inherited from the launcher. Every receive is bounded by a timeout, so a
// dead or hung peer ends the run with an error instead of a hang.

#include <cstdint>
#include <cstring>
#include <span>
#include <stdexcept>
#include <string>
#include <vector>

namespace holdup::workload {

enum class MessageType : std::uint32_t {
  kHello = 1,      // HelloMessage
  kIpcHandle = 2,  // IpcHandleMessage
  kReady = 3,      // barrier before the timed loop
  kDone = 4,       // barrier after it: the peer no longer writes into our buffer
  kError = 5,      // text: the peer failed and says why
};

std::string_view to_string(MessageType type);

struct PeerError : std::runtime_error {
  using std::runtime_error::runtime_error;
};

class PeerLink {
 public:
  // Takes ownership of `fd`.
  PeerLink(int fd, double timeout_s);
  ~PeerLink();
  PeerLink(const PeerLink&) = delete;
  PeerLink& operator=(const PeerLink&) = delete;

  void send(MessageType type, std::span<const std::byte> payload = {});
  // Waits at most the timeout for the next message, which must be of type
  // `expected` (a kError from the peer is reported as such). Throws PeerError.
  std::vector<std::byte> receive(MessageType expected);
  // Best effort: tells the peer why we stop, never throws.
  void send_error(const std::string& text) noexcept;

  template <typename Pod>
  void send_pod(MessageType type, const Pod& value) {
    send(type, std::as_bytes(std::span(&value, 1)));
  }
  template <typename Pod>
  Pod receive_pod(MessageType expected) {
    const std::vector<std::byte> bytes = receive(expected);
    if (bytes.size() != sizeof(Pod)) {
      throw PeerError("peer sent a " + std::string(to_string(expected)) + " message of " +
                      std::to_string(bytes.size()) + " bytes, expected " + std::to_string(sizeof(Pod)) +
                      " (are both workers the same build?)");
    }
    Pod value;
    std::memcpy(&value, bytes.data(), sizeof(Pod));
    return value;
  }

 private:
  void read_exactly(void* data, std::size_t size, const char* what);
  int fd_;
  double timeout_s_;
};

}  // namespace holdup::workload
