// The driver version from /proc/driver/nvidia/version (issue 21: the open
// kernel module's line was read as "for").

#include "process_header.h"

#include <gtest/gtest.h>

namespace holdup::inject {
namespace {

TEST(DriverVersion, OpenKernelModule) {
  EXPECT_EQ(driver_version_from_text("NVRM version: NVIDIA UNIX Open Kernel Module for x86_64  580.159.04  Release "
                                     "Build  (dvs-builder@U22-I3-AF03-09-1)  Thu Jul 31 23:22:54 UTC 2025\n"
                                     "GCC version:  gcc version 12.2.0 (Debian 12.2.0-14)\n"),
            "580.159.04");
}

TEST(DriverVersion, ProprietaryKernelModule) {
  EXPECT_EQ(driver_version_from_text("NVRM version: NVIDIA UNIX x86_64 Kernel Module  575.57.08  Sat May 24 07:21:18 "
                                     "UTC 2025\nGCC version:  gcc version 13.3.0\n"),
            "575.57.08");
  EXPECT_EQ(driver_version_from_text("NVRM version: NVIDIA UNIX aarch64 Kernel Module  590.48.01  Release Build\n"),
            "590.48.01");
}

TEST(DriverVersion, NothingRecognisableIsEmpty) {
  EXPECT_EQ(driver_version_from_text(""), "");
  EXPECT_EQ(driver_version_from_text("GCC version:  gcc version 12.2.0\n"), "");
  EXPECT_EQ(driver_version_from_text("NVRM version: NVIDIA UNIX Open Kernel Module for x86_64\n"), "");
}

}  // namespace
}  // namespace holdup::inject
