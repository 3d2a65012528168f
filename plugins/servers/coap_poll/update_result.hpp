// The LwM2M Update Result a CoAP update server answers a status report with.
#pragma once

#include "otasim/session.hpp"

namespace otasim::servers::coap_poll {

// The Update Result (LwM2M object 5, resource 5) a report maps to, per the table in
// targets/PROTOCOL.md: 1 installed, 2 storage, 4 connection lost, 5 integrity, 6 unsupported
// package, 8 any other failure.
int UpdateResultFor(const StatusReport& report);

}  // namespace otasim::servers::coap_poll
