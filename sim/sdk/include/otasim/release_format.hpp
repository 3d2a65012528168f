// Release formats: how a release reaches a device that takes one signed file (SWUpdate's .swu)
// instead of otasim's manifest envelope + image pair. A format renders what the update service
// serves after the attackers had their say — the envelope after every OnManifest, the image
// after every OnImage — so every content attacker applies to every format.
//
// A rendered release is `head`, then the image bytes as delivered, then `tail`: the image is
// streamed between them and never held in memory.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>

#include "otasim/result.hpp"
#include "otasim/session.hpp"

namespace otasim {

// An X.509 code-signing identity for formats signed with CMS: an ECDSA P-256 key and a
// self-signed certificate (CA:TRUE, extended key usage codeSigning + emailProtection).
struct SigningIdentity {
  std::string name;      // the manifest key it stands for: "vendor", "rogue", "vendor-2"
  std::string cert_pem;
  std::string key_pem;
};

// What the host offers a format while it renders.
class FormatContext {
 public:
  virtual ~FormatContext() = default;
  // The identity of the key whose signature on `envelope` verifies (the vendor's, the rogue's,
  // another vendor key's); kSignature when no key the session knows signed it.
  virtual Result<SigningIdentity> SignerOf(const std::string& envelope) = 0;
  // The identity standing for a named manifest key ("vendor": the one the device trusts).
  virtual Result<SigningIdentity> Identity(std::string_view key_name) = 0;
  // The public key (PEM) of a named manifest key, for formats that carry otasim's own signed
  // manifest (format.native). kUnsupported when the host keeps none.
  virtual Result<std::string> PublicKeyPem(std::string_view key_name) {
    return Error(Errc::kUnsupported, "no manifest public key '" + std::string(key_name) + "'");
  }
};

struct RenderedRelease {
  std::string head;          // everything before the image bytes
  std::string tail;          // everything after them (padding, archive trailer)
  std::uint64_t image_size = 0;  // the image length the head declares (the manifest's)
  std::string content_type;  // "application/octet-stream"
  std::string file_name;     // "v2.swu"
};

class ReleaseFormat {
 public:
  virtual ~ReleaseFormat() = default;
  // True when the format is one file (head + image + tail); the native format is not.
  virtual bool SingleFile() const = 0;
  // Whether signed root documents (key rotation, `trust: root`) can travel in this format.
  virtual bool CarriesRootDocuments() const = 0;
  // The PEM the device is provisioned with to verify releases in this format.
  virtual Result<std::string> TrustAnchorPem(FormatContext& context) = 0;
  // Renders the release described by `envelope` (as served: possibly replayed, altered or
  // re-signed). `original` is the honest release the image belongs to: when the envelope's
  // signature verifies with no known key, a format signs what `original` would have said and
  // serves the altered description beside it, as an attacker editing a signed file does.
  virtual Result<RenderedRelease> Render(FormatContext& context, const std::string& envelope,
                                         const Release& original) = 0;
};

}  // namespace otasim
