#include "artifact_delivery.hpp"

#include <algorithm>
#include <exception>
#include <filesystem>
#include <functional>
#include <system_error>
#include <utility>
#include <vector>

#include "common/concat_source.hpp"
#include "otasim/crypto.hpp"
#include "otasim/manifest.hpp"

namespace otasim::servers {
namespace {

// An attacker's hook, with a throw turned into an error that names the attacker and the hook.
Status RunHook(std::size_t position, const char* hook, const std::function<Status()>& call) {
  const std::string who = "attacker #" + std::to_string(position + 1) + " " + hook;
  try {
    Status status = call();
    if (!status) return status.error().WithContext(who);
    return {};
  } catch (const std::exception& e) {
    return MakeError(Errc::kPlugin, who + " threw: " + e.what());
  } catch (...) {
    return MakeError(Errc::kPlugin, who + " threw");
  }
}

// The release whose image the served manifest names ("images/v2.bin" or a URL ending so);
// the published one when it names none the session built.
const Release* ReleaseOfImage(ServerEnvironment& env, const std::string& envelope,
                              const Release* published) {
  auto parsed = manifest::ParseEnvelope(envelope);
  if (!parsed.ok()) return published;
  auto m = manifest::ParseManifest(parsed.value().signed_bytes);
  if (!m.ok()) return published;
  const std::string& uri = m.value().image.uri;
  const std::string file = uri.substr(uri.find_last_of('/') + 1);
  constexpr std::string_view kBin = ".bin";
  if (file.size() <= kBin.size() || !file.ends_with(kBin)) return published;
  const Release* named = env.FindRelease(file.substr(0, file.size() - kBin.size()));
  return named != nullptr && named->image_file == file ? named : published;
}

std::string Slice(const std::string& text, std::uint64_t from) {
  return from >= text.size() ? std::string() : text.substr(from);
}

}  // namespace

Result<std::optional<ArtifactResponse>> DeliverArtifact(ServerEnvironment& env,
                                                         const ArtifactRequest& request) {
  ReleaseFormat* format = env.release_format();
  FormatContext* context = env.format_context();
  const Release* published = env.PublishedRelease();
  if (format == nullptr || context == nullptr || !format->SingleFile()) {
    return std::optional<ArtifactResponse>();
  }
  const std::vector<Attacker*> attackers = env.ActiveAttackers();

  // Attackers see the request even when nothing is published: a downgrade or a freeze serves
  // a release of its own choosing.
  ManifestDelivery manifest_delivery{published != nullptr ? published->envelope : std::string()};
  RequestInfo manifest_info{.protocol = request.protocol, .resource = "manifest", .index = request.index};
  for (std::size_t i = 0; i < attackers.size(); ++i) {
    OTASIM_CHECK(RunHook(i, "OnManifest", [&] {
      return attackers[i]->OnManifest(env, manifest_info, manifest_delivery);
    }));
  }
  if (manifest_delivery.envelope.empty()) return std::optional<ArtifactResponse>();
  if (!request.head_only) env.RecordServedManifest(manifest_delivery.envelope);

  const Release* original = ReleaseOfImage(env, manifest_delivery.envelope, published);
  if (original == nullptr) {
    env.timeline().Add("server", "artifact-unrenderable",
                       {{"reason", "the served manifest names no image this session built"}});
    return std::optional<ArtifactResponse>();
  }
  auto rendered = format->Render(*context, manifest_delivery.envelope, *original);
  if (!rendered) return rendered.error().WithContext("rendering release " + original->name);

  ArtifactResponse out;
  out.release = original;
  out.file_name = rendered->file_name;
  out.content_type = rendered->content_type;
  out.head_size = rendered->head.size();
  out.image_size = rendered->image_size;
  out.file_length = out.head_size + out.image_size + rendered->tail.size();
  out.offset = request.range_start;

  // Where the asked-for first byte falls: in the head, the image or the tail.
  const std::uint64_t image_end = out.head_size + out.image_size;
  const std::uint64_t image_offset =
      std::clamp(request.range_start, out.head_size, image_end) - out.head_size;
  const std::uint64_t tail_offset =
      request.range_start > image_end ? request.range_start - image_end : 0;
  out.image_offset = image_offset;

  std::error_code ec;
  const std::uint64_t file_size = std::filesystem::file_size(original->image_path, ec);
  if (ec) return MakeError(Errc::kIo, "image of " + original->name + ": " + ec.message());
  OTASIM_TRY(ByteSourcePtr image, OpenFileSource(original->image_path,
                                                 std::min(image_offset, file_size)));
  ImageDelivery delivery{.release = original, .offset = image_offset, .source = std::move(image)};
  RequestInfo image_info{.protocol = request.protocol,
                         .resource = "image",
                         .index = request.index,
                         .range_start = image_offset};
  for (std::size_t i = 0; i < attackers.size() && !request.head_only; ++i) {
    OTASIM_CHECK(RunHook(i, "OnImage", [&] { return attackers[i]->OnImage(env, image_info, delivery); }));
  }
  if (delivery.release != nullptr) out.release = delivery.release;

  // The image part is sent whole once the request reaches it; a request starting in the tail
  // gets only the tail's rest.
  const bool image_reached = request.range_start < image_end ||
                             (out.image_size == 0 && request.range_start == out.head_size);
  std::string head_rest = Slice(rendered->head, request.range_start);
  std::string tail_rest = Slice(rendered->tail, tail_offset);
  const std::uint64_t before_image = head_rest.size();
  const std::uint64_t after_image = tail_rest.size();

  std::vector<ByteSourcePtr> parts;
  parts.push_back(MemorySource(std::move(head_rest)));
  if (image_reached && delivery.source) parts.push_back(std::move(delivery.source));
  parts.push_back(MemorySource(std::move(tail_rest)));
  out.body = ConcatSource(std::move(parts));

  if (image_reached) {
    if (delivery.declared_length) out.declared_length = before_image + *delivery.declared_length + after_image;
    if (delivery.cut_after) out.cut_after = before_image + *delivery.cut_after;
    out.close_delimited = delivery.close_delimited;
    out.trickle_bytes_per_second = delivery.trickle_bytes_per_second;
    out.redirect_url = delivery.redirect_url;
  }
  out.envelope = std::move(manifest_delivery.envelope);

  env.timeline().Add(
      "server", "artifact-rendered",
      {{"release", out.release->name},
       {"file", out.file_name},
       {"file_length", out.file_length},
       {"offset", out.offset},
       {"envelope_sha256",
        crypto::HexEncode(crypto::Sha256::Of(crypto::AsBytes(out.envelope)))}});
  return std::optional<ArtifactResponse>(std::move(out));
}

std::uint64_t ImageBytesSent(const ArtifactResponse& response, std::uint64_t sent) {
  // File positions [offset, offset + sent); the image spans [head, head + image_size).
  const std::uint64_t begin = response.offset;
  const std::uint64_t end = begin + sent;
  const std::uint64_t image_begin = response.head_size;
  const std::uint64_t image_end = image_begin + response.image_size;
  const std::uint64_t in_image =
      std::min(end, image_end) > std::max(begin, image_begin)
          ? std::min(end, image_end) - std::max(begin, image_begin)
          : 0;
  const std::uint64_t past_file = end > response.file_length ? end - std::max(begin, response.file_length) : 0;
  return in_image + past_file;
}

}  // namespace otasim::servers
