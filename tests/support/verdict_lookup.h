#pragma once
// Finding a copy's verdict by correlation id in the analysis tests, and
// microseconds as the splits count them (ns).

#include <gtest/gtest.h>

#include "holdup/analysis.h"

namespace holdup::testing {

constexpr uint64_t us(double v) { return static_cast<uint64_t>(v * 1000.0); }

inline const analysis::CopyVerdict& verdict(const analysis::Analysis& a, uint32_t corr) {
  for (const auto& v : a.copies) {
    if (a.model->ops[v.op].correlation_id == corr) return v;
  }
  static analysis::CopyVerdict none;
  ADD_FAILURE() << "no copy with correlation id " << corr;
  return none;
}

}  // namespace holdup::testing
