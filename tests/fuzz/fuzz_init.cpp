// Set up once per fuzzer process, before the first input.

#include <google/protobuf/stubs/logging.h>

// libprotobuf logs every string with invalid UTF-8 it rejects; the reader's
// error already says the chunk does not parse, and the logging slows the
// fuzzer down.
extern "C" int LLVMFuzzerInitialize(int* /*argc*/, char*** /*argv*/) {
  google::protobuf::SetLogHandler(nullptr);
  return 0;
}
