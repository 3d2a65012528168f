#include "update_result.hpp"

#include <string>

namespace otasim::servers::coap_poll {

int UpdateResultFor(const StatusReport& report) {
  if (report.result == "installed") return 1;
  const std::string& reason = report.reason;
  if (reason == "size" || reason == "storage") return 2;
  if (reason == "interrupted" || reason == "network" || reason == "timeout" || reason == "tls") {
    return 4;
  }
  if (reason == "signature" || reason == "digest") return 5;
  if (reason == "format" || reason == "class") return 6;
  return 8;
}

}  // namespace otasim::servers::coap_poll
