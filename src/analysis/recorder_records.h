#pragma once
// The recorder's records about itself that the model keeps per process
// (Process::recorder): its cumulative health, its notes and the device
// identities of the header. Generated protobuf types, so this header is
// for the tree's own reports and exports and is not installed.

#include <vector>

#include "holdup/analysis_model.h"
#include "holdup/trace.pb.h"

namespace holdup::analysis {

struct RecorderRecords {
  proto::RecorderHealth health;  // the last chunk's (cumulative)
  std::vector<proto::Note> notes;
  std::vector<proto::DeviceIdentity> device_identities;
};

}  // namespace holdup::analysis
