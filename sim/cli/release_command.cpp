// `otasim release build`: a device maker's signed release from an image file, in otasim's
// native format (NAME.manifest.json + NAME.bin beside it) or as SWUpdate's .swu (streamed: the
// image is read twice, for its digest and into the archive, never held whole).
#include <filesystem>
#include <fstream>
#include <iostream>
#include <map>
#include <span>
#include <string>
#include <system_error>
#include <vector>

#include "cli/commands.hpp"
#include "cli/key_files.hpp"
#include "otasim/byte_source.hpp"
#include "otasim/crypto.hpp"
#include "otasim/files.hpp"
#include "otasim/manifest.hpp"
#include "otasim/time.hpp"
#include "plugin_host/registry.hpp"
#include "scenario/release_builder.hpp"
#include "scenario/signing_identities.hpp"

namespace otasim::cli {
namespace {

namespace fs = std::filesystem;

constexpr std::string_view kManifestSuffix = ".manifest.json";

// "v2.manifest.json" -> "v2"; "v2.swu" -> "v2".
std::string ReleaseName(const fs::path& out) {
  std::string file = out.filename().string();
  if (file.ends_with(kManifestSuffix)) return file.substr(0, file.size() - kManifestSuffix.size());
  return out.stem().string();
}

Result<std::map<std::string, std::string>> ParseParams(const std::vector<std::string>& raw) {
  std::map<std::string, std::string> params;
  for (const std::string& item : raw) {
    const auto eq = item.find('=');
    if (eq == std::string::npos || eq == 0) {
      return MakeError(Errc::kInvalidArgument, "--param '" + item + "': expected KEY=VALUE");
    }
    params[item.substr(0, eq)] = item.substr(eq + 1);
  }
  return params;
}

Result<manifest::Manifest> DescribeImage(const ReleaseOptions& options, const std::string& uri) {
  std::error_code ec;
  const std::uint64_t size = fs::file_size(options.image, ec);
  if (ec) return MakeError(Errc::kIo, "--image " + options.image + ": " + ec.message());
  OTASIM_TRY(std::string digest, crypto::Sha256FileHex(options.image));
  const SysTime now = NowUtc();
  SysTime expires = now + std::chrono::days(365);
  if (!options.expires.empty()) {
    auto parsed = ParseRfc3339(options.expires);
    if (!parsed) return parsed.error().WithContext("--expires");
    expires = *parsed;
  }
  manifest::Manifest m;
  m.vendor_id = scenario::kVendorId;
  m.class_id = options.class_id;
  m.version = options.version;
  m.sequence = options.sequence;
  m.image = {.digest = digest, .size = size, .uri = uri};
  m.issued = FormatRfc3339(now);
  m.expires = FormatRfc3339(expires);
  return m;
}

// Copies `from` to `to` in chunks (never whole in memory).
Status AppendFile(std::ofstream& out, const fs::path& from, std::uint64_t expected) {
  OTASIM_TRY(ByteSourcePtr source, OpenFileSource(from));
  std::vector<std::uint8_t> buffer(64 * 1024);
  std::uint64_t copied = 0;
  while (true) {
    OTASIM_TRY(std::size_t n, source->Read(buffer));
    if (n == 0) break;
    out.write(reinterpret_cast<const char*>(buffer.data()), static_cast<std::streamsize>(n));
    copied += n;
  }
  if (copied != expected) {
    return MakeError(Errc::kIo, from.string() + " changed while it was read (" +
                                    std::to_string(copied) + " bytes, " + std::to_string(expected) +
                                    " expected)");
  }
  return {};
}

Status BuildNative(const ReleaseOptions& options, const crypto::PrivateKey& vendor) {
  const fs::path out(options.out);
  const std::string name = ReleaseName(out);
  const fs::path image_out = out.parent_path() / (name + ".bin");
  OTASIM_TRY(manifest::Manifest m, DescribeImage(options, image_out.filename().string()));
  OTASIM_TRY(manifest::Envelope envelope, manifest::Sign(m, std::span(&vendor, 1)));
  std::error_code ec;
  if (!fs::equivalent(options.image, image_out, ec)) {
    fs::copy_file(options.image, image_out, fs::copy_options::overwrite_existing, ec);
    if (ec) return MakeError(Errc::kIo, "copying the image to " + image_out.string() + ": " + ec.message());
  }
  OTASIM_CHECK(WriteFileAtomic(out, manifest::ToJson(envelope)));
  std::cout << "wrote " << out.string() << " and " << image_out.string() << "\n";
  return {};
}

Status BuildSwu(const ReleaseOptions& options, const crypto::PrivateKey& vendor,
                std::map<std::string, std::string> params) {
  const fs::path keys(options.keys_dir);
  OTASIM_TRY(std::string cert_pem, ReadFile(keys / kCodesignCertFile));
  OTASIM_TRY(std::string key_pem, ReadFile(keys / kCodesignKeyFile));
  // The built release is for the device class named by --class.
  params.emplace("device_class", options.class_id);
  plugin_host::Registry registry;
  OTASIM_CHECK(registry.LoadBuiltins());
  OTASIM_TRY(std::unique_ptr<ReleaseFormat> format,
             registry.CreateFormat("format.swu", params, "release build --param"));

  const fs::path out(options.out);
  Release release;
  release.name = ReleaseName(out);
  release.image_path = options.image;
  release.image_file = fs::path(options.image).filename().string();
  OTASIM_TRY(release.manifest, DescribeImage(options, release.image_file));
  OTASIM_TRY(manifest::Envelope envelope, manifest::Sign(release.manifest, std::span(&vendor, 1)));
  release.envelope = manifest::ToJson(envelope);

  scenario::SigningIdentities identities({{"vendor", &vendor}});
  identities.SetIdentity({.name = "vendor", .cert_pem = cert_pem, .key_pem = key_pem});
  OTASIM_TRY(RenderedRelease rendered, format->Render(identities, release.envelope, release));

  const fs::path partial = out.string() + ".partial";
  {
    std::ofstream file(partial, std::ios::binary | std::ios::trunc);
    if (!file) return MakeError(Errc::kIo, "cannot write " + partial.string());
    file.write(rendered.head.data(), static_cast<std::streamsize>(rendered.head.size()));
    OTASIM_CHECK(AppendFile(file, options.image, rendered.image_size));
    file.write(rendered.tail.data(), static_cast<std::streamsize>(rendered.tail.size()));
    if (!file.flush()) return MakeError(Errc::kIo, "writing " + partial.string() + " failed");
  }
  std::error_code ec;
  fs::rename(partial, out, ec);
  if (ec) return MakeError(Errc::kIo, "renaming to " + out.string() + ": " + ec.message());
  std::cout << "wrote " << out.string() << " (" << release.manifest.version << ", "
            << (rendered.head.size() + rendered.image_size + rendered.tail.size()) << " bytes)\n";
  return {};
}

}  // namespace

int ReleaseBuildCommand(const ReleaseOptions& options) {
  auto params = ParseParams(options.params);
  if (!params) {
    std::cerr << "otasim: release build: " << params.error().message() << "\n";
    return kExitBadInput;
  }
  auto vendor = crypto::PrivateKey::LoadPem(fs::path(options.keys_dir) / kVendorKeyFile);
  if (!vendor) {
    std::cerr << "otasim: release build: --keys " << options.keys_dir << ": "
              << vendor.error().message() << " (make keys with `otasim keys generate`)\n";
    return kExitBadInput;
  }
  if (options.format == "native" && !params->empty()) {
    std::cerr << "otasim: release build: format native takes no --param\n";
    return kExitBadInput;
  }
  Status built = options.format == "swu" ? BuildSwu(options, *vendor, std::move(*params))
                                         : BuildNative(options, *vendor);
  if (!built) {
    std::cerr << "otasim: release build: " << built.error().What() << "\n";
    const Errc code = built.error().code();
    return code == Errc::kCrypto || code == Errc::kInternal ? kExitHarness : kExitBadInput;
  }
  return kExitOk;
}

}  // namespace otasim::cli
