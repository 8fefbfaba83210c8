// The chunk checksum (src/checksum/crc32c.h): the standard CRC32C, the same
// on the hardware and the table path, and incremental.

#include "crc32c.h"

#include <gtest/gtest.h>

#include <string>

namespace holdup::checksum {
namespace {

TEST(Crc32c, StandardCheckValue) {
  EXPECT_EQ(crc32c("123456789", 9), 0xe3069283u);
  EXPECT_EQ(crc32c("", 0), 0u);
  // RFC 3720 (iSCSI) B.4: 32 bytes of zeros.
  const std::string zeros(32, '\0');
  EXPECT_EQ(crc32c(zeros.data(), zeros.size()), 0x8a9136aau);
}

TEST(Crc32c, IncrementalEqualsWhole) {
  std::string text;
  for (int i = 0; i < 1000; ++i) text.push_back(static_cast<char>(i * 7));
  const uint32_t whole = crc32c(text.data(), text.size());
  for (size_t cut : {size_t{0}, size_t{1}, size_t{7}, size_t{8}, size_t{501}, text.size()})
    EXPECT_EQ(crc32c(text.data() + cut, text.size() - cut, crc32c(text.data(), cut)), whole) << cut;
}

}  // namespace
}  // namespace holdup::checksum
