// A tiny module embedded as PTX (--module-loading reload): loaded, JIT-compiled
// and unloaded beside Kernel2 every iteration.
extern "C" __global__ void holdup_reload_probe(int* flag) {
  if (flag != nullptr) *flag = 1;
}
