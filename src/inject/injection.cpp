// libholdup.so's only export: the entry point the CUDA driver calls when
// CUDA_INJECTION64_PATH names this library.

#include <sys/auxv.h>

#include "callbacks.h"
#include "log.h"
#include "secure_exec.h"

extern "C" __attribute__((visibility("default"))) int InitializeInjection(void) {
  // Before anything reads the environment (secure_exec.h): a privileged
  // program is left alone, with one warning.
  if (auto refusal = holdup::inject::refuse_secure_execution(getauxval(AT_SECURE))) {
    holdup::inject::log().warn("{}", *refusal);
    return 1;
  }
  // initialize_injection() catches everything: no exception reaches the
  // driver. It returns 1 even when nothing can be recorded (see callbacks.h).
  return holdup::inject::initialize_injection();
}
