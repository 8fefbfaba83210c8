#pragma once
// CLI11 checks for numeric options, applied to the text before CLI11
// converts it (issue 21): an empty value (an unset $LIMIT), NaN, an
// infinity, a negative number for an unsigned option, or one out of range
// is a usage error that states the accepted range in plain numbers. CLI11's
// own conversion let "" and "nan" through and wrapped "-1" for unsigned
// options (--top -1 became 18446744073709551615).

#include <charconv>
#include <cmath>
#include <cstdint>
#include <string>
#include <system_error>

#include <CLI/CLI.hpp>
#include <fmt/format.h>

namespace holdup::cli {

// The longest time an option may name, in microseconds: a year.
inline constexpr double kMaxTimeUs = 365.0 * 24 * 3600 * 1e6;

// A whole number in [min, max], digits only.
inline CLI::Validator whole_number(uint64_t min, uint64_t max) {
  return CLI::Validator(
      [min, max](std::string& text) -> std::string {
        uint64_t value = 0;
        const char* end = text.data() + text.size();
        const auto [ptr, ec] = std::from_chars(text.data(), end, value);
        const bool digits = !text.empty() && text.find_first_not_of("0123456789") == std::string::npos;
        if (!digits || ec != std::errc() || ptr != end || value < min || value > max)
          return fmt::format("\"{}\" is not a whole number from {} to {}", text, min, max);
        return {};
      },
      fmt::format("whole number {}..{}", min, max));
}

// A finite decimal number in [min, max] (plain or with an exponent).
inline CLI::Validator real_number(double min, double max) {
  return CLI::Validator(
      [min, max](std::string& text) -> std::string {
        double value = 0;
        const char* end = text.data() + text.size();
        const auto [ptr, ec] = std::from_chars(text.data(), end, value);
        if (text.empty() || ec != std::errc() || ptr != end || !std::isfinite(value) || value < min || value > max)
          return fmt::format("\"{}\" is not a number from {:.0f} to {:.0f}", text, min, max);
        return {};
      },
      fmt::format("number {:.0f}..{:.0f}", min, max));
}

}  // namespace holdup::cli
