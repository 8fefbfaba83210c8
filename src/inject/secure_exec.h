#pragma once
// Set-user-id and set-group-id programs are not recorded.
//
// The kernel sets AT_SECURE (getauxval) for a program that gained
// privileges when it started: set-user-id or set-group-id, file
// capabilities, an LSM transition. Its environment came from whoever
// started it, so CUDA_INJECTION64_PATH and every HOLDUP_* variable are the
// caller's choice: HOLDUP_OUTPUT would let an unprivileged user make a
// privileged process create files where it chooses, holding the process's
// command line and environment. holdup therefore does nothing in such a
// process: no CUPTI subscription, no file, no thread, and no HOLDUP_* is
// read. It says so in one warning (HOLDUP_LOG is not read either, so the
// warning cannot be turned off), so that whoever injected holdup learns why
// no trace appeared; the line goes only to the program's own stderr.

#include <optional>
#include <string>

namespace holdup::inject {

// The warning when a process whose AT_SECURE value is `at_secure` must not be
// recorded (any non-zero value); nullopt when recording is allowed.
std::optional<std::string> refuse_secure_execution(unsigned long at_secure);

}  // namespace holdup::inject
