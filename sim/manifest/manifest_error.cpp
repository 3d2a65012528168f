#include "otasim/manifest.hpp"

namespace otasim::manifest {

std::string_view FailureName(Failure failure) noexcept {
  switch (failure) {
    case Failure::kMalformed: return "malformed";
    case Failure::kBadFormat: return "bad-format";
    case Failure::kNoSignature: return "no-signature";
    case Failure::kUnknownKey: return "unknown-key";
    case Failure::kBadSignature: return "bad-signature";
    case Failure::kUnsupportedAlg: return "unsupported-alg";
  }
  return "unknown";
}

Error ManifestError::ToError() const {
  const bool signature_failure = failure != Failure::kMalformed && failure != Failure::kBadFormat;
  return Error(signature_failure ? Errc::kSignature : Errc::kParse,
               std::string(FailureName(failure)) + ": " + detail);
}

}  // namespace otasim::manifest
