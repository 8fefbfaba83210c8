#pragma once
// Fixed-size events carried from CUPTI callbacks (on the app's threads) to
// the writer thread, through a preallocated lock-free ring; and the
// lock-free set of kernel functions already launched.

#include <atomic>
#include <cstddef>
#include <cstdint>
#include <memory>

namespace holdup::inject {

struct CallbackEvent {
  enum class Type : uint8_t {
    kLaunch,
    kModuleLoaded,
    kModuleUnloadStarting,
    kContextCreated,
    kContextDestroyStarting,
    kStreamCreated,
    kStreamDestroyStarting,
    kDeviceReset,
    kProfilerStart,
    kProfilerStop,
    kEventRecord,  // an EventCall: cudaEventRecord and the like
    kStreamWait,   // an EventCall: cudaStreamWaitEvent and the like
    kHostFunc,     // an EventCall: cudaLaunchHostFunc and the like
  };
  enum class FirstLaunch : uint8_t { kNo, kYes, kUnknown };

  Type type = Type::kLaunch;
  FirstLaunch first_launch = FirstLaunch::kNo;
  // EventCall: proto ApiCall.Domain of the call (1 driver, 2 runtime).
  uint8_t domain = 0;
  uint32_t cbid = 0;
  uint32_t thread_id = 0;
  uint32_t context_id = 0;
  uint32_t correlation_id = 0;
  // Module id or stream id (of a stream event or an EventCall).
  uint32_t object_id = 0;
  uint64_t time_ns = 0;
  // CUfunction of a launch; CUevent of an EventCall.
  uint64_t handle = 0;
  // Module image size.
  uint64_t size_bytes = 0;
};

// Bounded multi-producer queue (Vyukov's bounded MPMC design): each push is
// one CAS plus two stores; a full ring refuses the event.
class CallbackRing {
 public:
  // `capacity` is rounded up to a power of two.
  explicit CallbackRing(size_t capacity);

  bool try_push(const CallbackEvent& event);
  bool try_pop(CallbackEvent* event);
  size_t capacity() const { return mask_ + 1; }

 private:
  struct Cell {
    std::atomic<size_t> sequence;
    CallbackEvent event;
  };
  std::unique_ptr<Cell[]> cells_;
  size_t mask_;
  alignas(64) std::atomic<size_t> enqueue_pos_{0};
  alignas(64) std::atomic<size_t> dequeue_pos_{0};
};

// The CUfunction handles seen so far: fixed-size open addressing over
// atomics. insert() says whether a handle is new.
class SeenFunctionSet {
 public:
  enum class Result : uint8_t { kNew, kSeen, kFull };
  explicit SeenFunctionSet(size_t capacity);
  Result insert(uint64_t handle);

 private:
  std::unique_ptr<std::atomic<uint64_t>[]> slots_;
  size_t mask_;
};

}  // namespace holdup::inject
