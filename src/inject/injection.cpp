// libholdup.so's only export: the entry point the CUDA driver calls when
// CUDA_INJECTION64_PATH names this library.

#include "callbacks.h"

extern "C" __attribute__((visibility("default"))) int InitializeInjection(void) {
  // initialize_injection() catches everything: no exception reaches the
  // driver. It returns 1 even when nothing can be recorded (see callbacks.h).
  return holdup::inject::initialize_injection();
}
