#pragma once
// The base of a CUDA API name as CUPTI's callback tables spell it: without a
// trailing _ptsz/_ptds (per-thread default stream) and then a trailing _vN
// (version), so every variant of a call reads as one ("cuGetProcAddress_v2",
// "cudaStreamWaitEvent_ptsz"). The recorder writes those names into traces;
// the analysis reads them with the same rule. Header-only, no dependency.

#include <algorithm>
#include <cstddef>
#include <string_view>

namespace holdup::cuda_names {

constexpr std::string_view api_base_name(std::string_view name) {
  for (std::string_view suffix : {std::string_view("_ptsz"), std::string_view("_ptds")}) {
    if (name.size() > suffix.size() && name.ends_with(suffix)) name.remove_suffix(suffix.size());
  }
  if (auto pos = name.rfind("_v"); pos != std::string_view::npos && pos + 2 < name.size() &&
                                   std::all_of(name.begin() + static_cast<std::ptrdiff_t>(pos) + 2, name.end(),
                                               [](char c) { return c >= '0' && c <= '9'; })) {
    name = name.substr(0, pos);
  }
  return name;
}

}  // namespace holdup::cuda_names
