#pragma once
// Stream waits from the recorder's event-call callbacks (proto::EventCall),
// for traces recorded without the SYNCHRONIZATION kind (issue 12), and the
// events they wait for when CUDA_EVENT is off too (the default since then).

#include "holdup/analysis_model.h"

namespace holdup::analysis {

// For each process with Process::waits_from_event_calls: one
// STREAM_WAIT_EVENT Synchronization per stream-wait call (spanning its API
// record when there is one), joined to the event recorded by the latest
// record call of the same CUevent before it (CUDA's rule): that record's
// CUDA_EVENT record when there is one (same correlation id), else an
// EventRecord made from the call (stream, correlation, host time). A driver
// call inside a runtime call (the same correlation id) is the runtime call
// itself and counts once. A wait whose event was never recorded in the trace waits for
// nothing (event_sync_id 0), as in CUDA.
void add_waits_from_event_calls(Model& m);

}  // namespace holdup::analysis
