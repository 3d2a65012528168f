// Internal: CMS (PKCS#7) detached signatures as SWUpdate verifies them, and the X.509
// code-signing identities that make them. Ed25519 does not work with OpenSSL 3.0's CMS here, so
// identities are ECDSA P-256.
#pragma once

#include <string>
#include <string_view>

#include "otasim/crypto.hpp"
#include "otasim/result.hpp"

namespace otasim::crypto {

// An EC P-256 key and a self-signed certificate for it (CA:TRUE, keyUsage digitalSignature +
// keyCertSign, extendedKeyUsage codeSigning + emailProtection): what SWUpdate's `-k` accepts
// as both the trust anchor and the signer.
Result<IssuedCert> MakeCodeSigningIdentity(const std::string& common_name, int valid_days = 3650);

// A detached CMS signature over `content` in DER, binary mode, without S/MIME capabilities
// (`openssl cms -sign -binary -outform DER -nosmimecap`).
Result<Bytes> CmsSignDetached(std::string_view content, std::string_view cert_pem,
                              std::string_view key_pem);

// kSignature unless `signature` (DER) is a valid detached CMS signature over `content` by a
// certificate that chains to `trusted_cert_pem`.
Status CmsVerifyDetached(std::string_view content, ByteView signature,
                         std::string_view trusted_cert_pem);

}  // namespace otasim::crypto
