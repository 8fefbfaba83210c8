#pragma once
// Records that cannot be true of their own stream (Model::contradictions).
//
// Work of one stream runs in the order it was issued: a later call's op
// starts after the earlier ones end. Two exceptions are real: a kernel may
// start before the kernel before it ends (programmatic dependent launch),
// and the nodes of one graph launch may run together (one issuing call).
// Anything else is a record that contradicts its stream: CUPTI wrote a 48
// MiB device-to-device copy lasting 50.8 ms on an H200 whose program's own
// events timed it at 27 us, its "end" after later work of its stream had
// run. Taken as stream order, such a record hides the next copy's hold, so
// it is counted, shown, and kept out of every explanation.

#include "holdup/analysis_model.h"

namespace holdup::analysis::detail {

// Slack for timestamps of one stream's consecutive ops (the GPU timer's
// granularity and CUPTI's normalization are far below it).
inline constexpr TimeNs kStreamOrderSlackNs = 1'000;

// Finds the contradictions among m.ops (issue times joined), flags those
// ops kContradicts, fills m.contradictions and each process's count and
// adds one problem line per process that has any. Before index_queues.
void find_contradictions(Model& m);

}  // namespace holdup::analysis::detail
