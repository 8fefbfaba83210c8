#pragma once
// CUPTI callback id -> API function name, for the RUNTIME and DRIVER domains.
// The tables are generated at build time from CUPTI's cbid headers.

#include <cstdint>
#include <string_view>
#include <vector>

namespace holdup::inject {

enum class ApiDomain : uint8_t { kDriver = 1, kRuntime = 2 };

// The function's name without CUPTI's version suffix ("cudaMemcpyAsync",
// "cudaMemcpyAsync_ptsz", "cuLaunchKernel"); empty for an unknown cbid.
std::string_view api_name(ApiDomain domain, uint32_t cbid);

// The cbids of every variant (_ptsz, _vN) of the calls in quiet_apis.h
// known to this build's CUPTI headers, in cbid order.
std::vector<uint32_t> quiet_api_cbids(ApiDomain domain);

}  // namespace holdup::inject
