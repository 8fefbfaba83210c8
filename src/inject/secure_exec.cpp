#include "secure_exec.h"

namespace holdup::inject {

std::optional<std::string> refuse_secure_execution(unsigned long at_secure) {
  if (at_secure == 0) return std::nullopt;
  return std::string(
      "this program runs set-user-id or set-group-id (AT_SECURE): its HOLDUP_* settings come from whoever "
      "started it, so holdup records nothing in it; record it without the set-user-id bit to trace it");
}

}  // namespace holdup::inject
