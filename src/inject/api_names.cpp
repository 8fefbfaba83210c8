#include "api_names.h"

#include <algorithm>
#include <array>

#include "cuda_names/quiet_apis.h"

namespace holdup::inject {
namespace {

struct ApiNameEntry {
  uint32_t cbid;
  const char* name;
};

#include "holdup_inject/api_names_table.inc"

// The generated tables follow the header order, which is by cbid; a binary
// search keeps lookups cheap without building anything at run time.
template <size_t N>
std::string_view find(const ApiNameEntry (&table)[N], uint32_t cbid) {
  auto it = std::lower_bound(std::begin(table), std::end(table), cbid,
                             [](const ApiNameEntry& e, uint32_t id) { return e.cbid < id; });
  if (it != std::end(table) && it->cbid == cbid) return it->name;
  // Fall back to a scan in case the header was ever not sorted.
  for (const auto& e : table)
    if (e.cbid == cbid) return e.name;
  return {};
}

}  // namespace

std::string_view api_name(ApiDomain domain, uint32_t cbid) {
  return domain == ApiDomain::kRuntime ? find(kRuntimeApiNames, cbid) : find(kDriverApiNames, cbid);
}

std::vector<uint32_t> quiet_api_cbids(ApiDomain domain) {
  std::vector<uint32_t> out;
  auto scan = [&](const auto& table) {
    for (const auto& e : table)
      if (cuda_names::is_quiet_api(e.name)) out.push_back(e.cbid);
  };
  if (domain == ApiDomain::kRuntime) scan(kRuntimeApiNames);
  else scan(kDriverApiNames);
  return out;
}

}  // namespace holdup::inject
