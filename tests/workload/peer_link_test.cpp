// The workers' control channel: messages arrive whole, and every failure of
// the peer (silence, exit, error report) ends a wait with an error.
#include <sys/socket.h>
#include <unistd.h>

#include <array>
#include <cstdint>

#include <gtest/gtest.h>

#include "peer_link.h"

namespace holdup::workload {
namespace {

struct Pair {
  std::array<int, 2> fds{};
  Pair() { EXPECT_EQ(::socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, fds.data()), 0); }
};

struct Sample {
  std::int32_t a;
  std::uint64_t b;
};

TEST(PeerLink, RoundTrip) {
  Pair pair;
  PeerLink left(pair.fds[0], 5.0);
  PeerLink right(pair.fds[1], 5.0);
  left.send_pod(MessageType::kHello, Sample{7, 42});
  const Sample received = right.receive_pod<Sample>(MessageType::kHello);
  EXPECT_EQ(received.a, 7);
  EXPECT_EQ(received.b, 42u);
  right.send(MessageType::kReady);
  EXPECT_TRUE(left.receive(MessageType::kReady).empty());
}

TEST(PeerLink, SilenceTimesOut) {
  Pair pair;
  PeerLink left(pair.fds[0], 0.2);
  PeerLink right(pair.fds[1], 0.2);
  try {
    left.receive(MessageType::kReady);
    FAIL() << "expected a timeout";
  } catch (const PeerError& error) {
    EXPECT_NE(std::string(error.what()).find("within"), std::string::npos) << error.what();
  }
}

TEST(PeerLink, AnExitedPeerIsReported) {
  Pair pair;
  PeerLink left(pair.fds[0], 5.0);
  ::close(pair.fds[1]);
  EXPECT_THROW(left.receive(MessageType::kDone), PeerError);
  EXPECT_THROW(left.send(MessageType::kDone), PeerError);  // EPIPE, no SIGPIPE
}

TEST(PeerLink, ThePeersErrorIsPassedOn) {
  Pair pair;
  PeerLink left(pair.fds[0], 5.0);
  PeerLink right(pair.fds[1], 5.0);
  right.send_error("no CUDA device: out of luck");
  try {
    left.receive(MessageType::kReady);
    FAIL() << "expected the peer's error";
  } catch (const PeerError& error) {
    EXPECT_NE(std::string(error.what()).find("no CUDA device: out of luck"), std::string::npos) << error.what();
  }
}

TEST(PeerLink, WrongMessageOrWrongSize) {
  Pair pair;
  PeerLink left(pair.fds[0], 5.0);
  PeerLink right(pair.fds[1], 5.0);
  right.send(MessageType::kDone);
  EXPECT_THROW(left.receive(MessageType::kReady), PeerError);
  right.send_pod(MessageType::kHello, std::int32_t{1});
  EXPECT_THROW(left.receive_pod<Sample>(MessageType::kHello), PeerError);
}

}  // namespace
}  // namespace holdup::workload
