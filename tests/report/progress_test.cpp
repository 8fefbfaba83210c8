// The progress line of long report runs: what it says, that it goes to the
// error stream only, and that short runs print nothing.

#include <sstream>

#include <gtest/gtest.h>

#include "report/report_progress.h"

namespace holdup::testing {
namespace {

using std::chrono::milliseconds;

TEST(Progress, LinesSayRecordsShareAndCopies) {
  std::ostringstream err;
  {
    report::ProgressLine progress(err, "holdup report", /*terminal=*/false, milliseconds(0));
    progress.reading(12'300'000, 40, 100);
    progress.step("indexing 12.3M records");
    progress.analysing(300'000, 1'200'000);
  }
  EXPECT_EQ(err.str(),
            "holdup report: read 12.3M records (40%) ...\n"
            "holdup report: indexing 12.3M records ...\n"
            "holdup report: analysing 1.2M copies (25%) ...\n");
}

TEST(Progress, TerminalLineIsRedrawnAndEnded) {
  std::ostringstream err;
  {
    report::ProgressLine progress(err, "holdup check", /*terminal=*/true, milliseconds(0));
    progress.reading(999, 0, 0);
  }
  EXPECT_EQ(err.str(), "\rholdup check: read 999 records ...\x1b[K\n");
}

TEST(Progress, ShortRunsPrintNothing) {
  std::ostringstream err;
  {
    // An interval no test run reaches: only the rule "nothing before the first interval" is checked.
    report::ProgressLine progress(err, "holdup report", /*terminal=*/true, std::chrono::hours(1));
    for (int i = 0; i < 1000; ++i) progress.reading(i, i, 1000);
    progress.analysing(10, 10);
    progress.step("indexing");
  }
  EXPECT_EQ(err.str(), "");
}

TEST(Progress, CountsAreShort) {
  EXPECT_EQ(report::count_text(999), "999");
  EXPECT_EQ(report::count_text(12'345), "12.3k");
  EXPECT_EQ(report::count_text(50'000'056), "50.0M");
  EXPECT_EQ(report::count_text(1'200'000'000), "1.20G");
}

}  // namespace
}  // namespace holdup::testing
