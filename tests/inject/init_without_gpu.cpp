// Loads libholdup.so like the driver would and calls InitializeInjection on
// a machine without a GPU: it must return, warn at most once, never crash,
// and leave the process's exit code alone. Run by check_init_without_gpu.cmake.

#include <dlfcn.h>

#include <cstdio>

int main(int argc, char** argv) {
  if (argc != 2) {
    std::fprintf(stderr, "usage: %s /path/to/libholdup.so\n", argv[0]);
    return 2;
  }
  void* lib = dlopen(argv[1], RTLD_NOW | RTLD_LOCAL);
  if (lib == nullptr) {
    std::fprintf(stderr, "dlopen failed: %s\n", dlerror());
    return 2;
  }
  using Init = int (*)();
  auto init = reinterpret_cast<Init>(dlsym(lib, "InitializeInjection"));
  if (init == nullptr) {
    std::fprintf(stderr, "InitializeInjection not exported\n");
    return 2;
  }
  int rc = init();
  std::printf("InitializeInjection returned %d\n", rc);
  return 0;
}
