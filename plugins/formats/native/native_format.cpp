// format.native: otasim's own manifest envelope + image pair, served as two resources by the
// server models themselves. It renders nothing; it exists so that a profile can name its format
// and so that the trust anchor a device is provisioned with comes from one place.
#include <string>

#include "otasim/plugin.hpp"

namespace otasim::formats::native {
namespace {

class NativeFormat final : public ReleaseFormat {
 public:
  explicit NativeFormat(const Params& /*params*/) {}

  static TypeInfo Describe() {
    return {.id = "format.native",
            .version = "1.0.0",
            .summary = "otasim's signed manifest envelope and a separate image (the default)",
            .params = {},
            .threats = {},
            .protocols = {}};
  }

  bool SingleFile() const override { return false; }
  bool CarriesRootDocuments() const override { return true; }

  Result<std::string> TrustAnchorPem(FormatContext& context) override {
    auto pem = context.PublicKeyPem("vendor");
    if (!pem) return pem.error().WithContext("format.native");
    return pem;
  }

  Result<RenderedRelease> Render(FormatContext& /*context*/, const std::string& /*envelope*/,
                                 const Release& /*original*/) override {
    return MakeError(Errc::kUnsupported,
                     "format.native: the manifest and the image are served apart, not rendered");
  }
};

}  // namespace
}  // namespace otasim::formats::native

OTASIM_PLUGIN("format.native", "1.0.0") { registrar.Add<otasim::formats::native::NativeFormat>(); }
