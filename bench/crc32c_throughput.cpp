// What the chunk checksum costs (issue 21): CRC32C throughput over buffers
// of a chunk's typical size, on this CPU, against a plain memcpy of the same
// bytes (what writing the chunk costs at least).
//
//   holdup-bench-crc [MiB=256]   -> one JSON line

#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <vector>

#include "checksum/crc32c.h"

int main(int argc, char** argv) {
  const size_t total = size_t(argc > 1 ? std::atoi(argv[1]) : 256) << 20;
  const size_t chunk = 1 << 20;  // a chunk per CUPTI buffer: up to a few MiB
  std::vector<char> data(chunk), copy(chunk);
  for (size_t i = 0; i < chunk; ++i) data[i] = static_cast<char>(i * 131);
  using clock = std::chrono::steady_clock;
  uint32_t sink = 0;
  auto t0 = clock::now();
  for (size_t done = 0; done < total; done += chunk) sink ^= holdup::checksum::crc32c(data.data(), chunk);
  const double crc_s = std::chrono::duration<double>(clock::now() - t0).count();
  t0 = clock::now();
  for (size_t done = 0; done < total; done += chunk) {
    std::memcpy(copy.data(), data.data(), chunk);
    sink ^= static_cast<uint32_t>(copy[done % chunk]);
  }
  const double copy_s = std::chrono::duration<double>(clock::now() - t0).count();
  std::printf("{\"bytes\": %zu, \"crc32c_gb_s\": %.2f, \"memcpy_gb_s\": %.2f, \"sink\": %u}\n", total,
              total / crc_s / 1e9, total / copy_s / 1e9, sink);
  return 0;
}
