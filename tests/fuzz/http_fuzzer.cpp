// Fuzzes what server.http-poll does with request bytes before any I/O: the transport's request
// parser (Beast, with the server's limits), then the model's routing, Range parsing and, for a
// status POST, the status report parser.
#include <cstddef>
#include <cstdint>
#include <string_view>

#include "common/status_report.hpp"
#include "http_poll/route.hpp"
#include "request_parsing.hpp"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  namespace route = otasim::servers::http_poll;
  const std::string_view bytes(reinterpret_cast<const char*>(data), size);
  const otasim::http::ServerOptions options;  // the server's default limits
  auto request = otasim::http::ParseRequestBytes(bytes, options);
  if (!request) return 0;
  if (request->body.size() > options.max_request_body) __builtin_trap();
  const route::Route chosen = route::RouteOf(request->method, request->target, "dev-0001");
  switch (chosen.resource) {
    case route::Resource::kImage:
    case route::Resource::kArtifact:
      if (auto range = request->Header("range")) (void)route::ParseOpenRange(*range);
      break;
    case route::Resource::kStatus:
      (void)otasim::servers::ParseStatusReport(request->body);
      break;
    case route::Resource::kManifest:
    case route::Resource::kOther:
      break;
  }
  return 0;
}
