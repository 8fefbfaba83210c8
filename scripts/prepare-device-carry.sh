#!/usr/bin/env bash
# Copies the binaries a GPU batch needs from a build tree into .devcarry/build
# (same relative layout, debug info stripped to fit the device tool's 64 MiB
# transfer limit). The device machine runs what was built here.
set -euo pipefail
build=${1:-build}
dest=.devcarry/build
rm -rf .devcarry && mkdir -p "$dest"
for f in src/inject/libholdup.so tools/holdup/holdup tools/workload/holdup-workload \
         tests/inject/gpu/holdup_recorder_smoke tests/inject/gpu/holdup_thread_per_iteration \
         tests/inject/gpu/holdup_recorder_gpu_check tests/inject/gpu/holdup_crash_probe \
         tests/inject/gpu/holdup_fault_probe tests/inject/gpu/holdup_cupti_client_probe \
         tests/inject/gpu/holdup_deep_queue_probe tests/inject/gpu/holdup_stream_order_probe "$@"; do
  [ "$f" = "$build" ] && continue
  [ -e "$build/$f" ] || continue
  mkdir -p "$dest/$(dirname "$f")"
  strip --strip-debug -o "$dest/$f" "$build/$f"
done
# The command links libprotobuf.so.32 (the device image's own was not
# checked): carried, and put on LD_LIBRARY_PATH by the batch scripts.
proto=$(ldd "$build/tools/holdup/holdup" | awk '/libprotobuf\.so/ {print $3}')
[ -n "$proto" ] && mkdir -p "$dest/lib" && cp -L "$proto" "$dest/lib/"
du -sh .devcarry
