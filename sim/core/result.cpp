#include "otasim/result.hpp"

namespace otasim {

std::string_view ErrcName(Errc code) noexcept {
  switch (code) {
    case Errc::kInvalidArgument: return "invalid-argument";
    case Errc::kParse: return "parse";
    case Errc::kIo: return "io";
    case Errc::kCrypto: return "crypto";
    case Errc::kSignature: return "signature";
    case Errc::kTimeout: return "timeout";
    case Errc::kNetwork: return "network";
    case Errc::kProtocol: return "protocol";
    case Errc::kNotFound: return "not-found";
    case Errc::kUnsupported: return "unsupported";
    case Errc::kPlugin: return "plugin";
    case Errc::kInternal: return "internal";
  }
  return "unknown";
}

}  // namespace otasim
