#pragma once
// The CUPTI layer: subscribing, the activity buffer callbacks, the API and
// resource callbacks, and the ActivityControl the writer thread uses.

namespace holdup::inject {

// Everything InitializeInjection does. Returns 1 (success) in every case
// where the app should simply carry on, including when CUPTI is held by
// another client or is unusable: holdup then records only a header and a
// note, and the driver has no reason to complain about the injection.
int initialize_injection();

}  // namespace holdup::inject
