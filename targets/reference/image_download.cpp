#include "image_download.hpp"

#include <fstream>
#include <limits>
#include <optional>
#include <vector>

#include "file_io.hpp"
#include "http_client.hpp"
#include "log.hpp"
#include "otasim/crypto.hpp"

namespace otasim::device {
namespace {

constexpr std::uint64_t kUnlimited = std::numeric_limits<std::uint64_t>::max();

DownloadOutcome End(DownloadEnd end, std::string detail, std::uint64_t bytes) {
  return {end, std::move(detail), {}, bytes};
}

// Feeds the first `bytes` bytes of `path` to `hasher`: a resume re-hashes what is on disk
// rather than trusting a remembered digest.
Status HashPrefix(const std::filesystem::path& path, std::uint64_t bytes, crypto::Sha256& hasher) {
  std::ifstream in(path, std::ios::binary);
  if (!in) return MakeError(Errc::kIo, "open " + path.string());
  std::vector<std::uint8_t> buffer(kIoBufferBytes);
  while (bytes > 0) {
    const auto want = static_cast<std::streamsize>(std::min<std::uint64_t>(bytes, buffer.size()));
    in.read(reinterpret_cast<char*>(buffer.data()), want);
    if (in.gcount() != want) return MakeError(Errc::kIo, "short read of " + path.string());
    hasher.Update({buffer.data(), static_cast<std::size_t>(want)});
    bytes -= static_cast<std::uint64_t>(want);
  }
  return {};
}

// "bytes N-M/T" -> N
std::optional<std::uint64_t> RangeStart(const std::string& content_range) {
  const std::string prefix = "bytes ";
  if (content_range.rfind(prefix, 0) != 0) return std::nullopt;
  const auto dash = content_range.find('-', prefix.size());
  if (dash == std::string::npos || dash == prefix.size()) return std::nullopt;
  const std::string digits = content_range.substr(prefix.size(), dash - prefix.size());
  if (digits.find_first_not_of("0123456789") != std::string::npos || digits.size() > 19) {
    return std::nullopt;
  }
  return std::stoull(digits);
}

class Downloader {
 public:
  Downloader(const StateDir& dir, const DownloadJob& job, const PowerCut& cut, OutputFile file)
      : dir_(dir), job_(job), cut_(cut), file_(std::move(file)) {}

  DownloadOutcome Run() {
    if (auto resumed = Resume(); !resumed) {
      return End(DownloadEnd::kStorage, resumed.error().message(), 0);
    }
    // A cut at 0 % (or below what a resume already has) happens before any new byte arrives.
    if (cut_.Due(CutStage::kDownload, offset_, job_.size)) Cut();
    for (int attempt = 0;; ++attempt) {
      auto outcome = Attempt();
      if (!restart_ || attempt > 0) return outcome;
      // The server ignored our Range and sent the image from its start: begin again.
      Log("download: server answered 200 to a Range request; restarting from byte 0");
      restart_ = false;
      if (auto reset = StartOver(); !reset) {
        return End(DownloadEnd::kStorage, reset.error().message(), 0);
      }
    }
  }

 private:
  // Continues a recorded download of the same manifest into the same file, else starts over.
  Status Resume() {
    const auto progress = LoadProgress(dir_);
    std::error_code ec;
    const auto on_disk = std::filesystem::file_size(job_.file, ec);
    const bool usable = progress && progress->manifest_sha256 == job_.manifest_id &&
                        progress->file == job_.file.string() && progress->bytes > 0 && !ec &&
                        on_disk >= progress->bytes &&
                        (!job_.enforce_size || progress->bytes <= job_.size);
    if (!usable) return StartOver();
    // Bytes past the record were never synced-and-recorded: not trusted.
    OTASIM_CHECK(file_.Truncate(progress->bytes));
    OTASIM_CHECK(HashPrefix(job_.file, progress->bytes, hasher_));
    offset_ = progress->bytes;
    Log("download: resuming at byte " + std::to_string(offset_) + " of " +
        std::to_string(job_.size) + " (re-hashed the bytes on storage)");
    return {};
  }

  // Forgets what is on storage. The file itself is cut only once a response passed its header
  // checks (Accept): a refused response leaves it as it was, which matters when the file is the
  // running slot (install-while-streaming).
  Status StartOver() {
    ClearProgress(dir_);
    hasher_ = crypto::Sha256();
    offset_ = 0;
    return {};
  }

  // Syncs the bytes on storage, then records how many there are: a resume trusts only those.
  void SaveResumePoint() {
    if (!file_.Sync()) return;
    const Progress progress{job_.manifest_id, file_.position(), job_.file.string()};
    if (auto saved = SaveProgress(dir_, progress); !saved) {
      Log("download: cannot record progress: " + saved.error().message());
    }
  }

  [[noreturn]] void Cut() {
    SaveResumePoint();
    cut_.Cut("download at byte " + std::to_string(file_.position()) + " of " +
             std::to_string(job_.size));
  }

  bool OnBytes(const std::uint8_t* data, std::size_t size) {
    if (received_ + size > limit_) {
      overflow_ = true;  // a byte beyond image.size: stop reading at once
      return false;
    }
    if (auto written = file_.Write(data, size); !written) {
      write_error_ = written.error().message();
      return false;
    }
    hasher_.Update({data, size});
    received_ += size;
    if (cut_.Due(CutStage::kDownload, offset_ + received_, job_.size)) Cut();
    return true;
  }

  // The response header, before any body byte is read: is this the image we asked for, and as
  // long as the manifest says? A refusal is kept in refused_ and the body is never read.
  std::optional<DownloadOutcome> CheckHeader(const http::ClientResponse& head) {
    if (offset_ > 0 && head.status == 200) {
      restart_ = true;  // the server ignored our Range: ask again for the whole image
      return End(DownloadEnd::kNetwork, "server ignored Range", offset_);
    }
    const int expected = offset_ > 0 ? 206 : 200;
    if (head.status != expected) {
      return End(DownloadEnd::kNetwork,
                 "HTTP status " + std::to_string(head.status) + " for the image", offset_);
    }
    if (head.status == 206) {
      const auto range = head.Header("content-range");
      if (!range || RangeStart(*range) != offset_) {
        return End(DownloadEnd::kNetwork,
                   "206 with Content-Range '" + range.value_or("") + "', expected start " +
                       std::to_string(offset_),
                   offset_);
      }
    }
    if (!job_.enforce_size) {
      // FLAW no-size-check: the declared Content-Length is not compared with image.size.
    } else if (const std::uint64_t remaining = job_.size - offset_;
               head.content_length && *head.content_length != remaining) {
      return End(DownloadEnd::kSize,
                 "Content-Length " + std::to_string(*head.content_length) + " != " +
                     std::to_string(remaining) + " remaining bytes of image.size " +
                     std::to_string(job_.size) + "; refused before reading the body",
                 offset_);
    }
    return std::nullopt;
  }

  // Header callback for Fetch: true lets the body flow into the file.
  bool Accept(const http::ClientResponse& head) {
    refused_ = CheckHeader(head);
    if (refused_) return false;
    // Only now is the file cut back to the bytes a resume trusts (0 when starting over).
    if (auto cut = file_.Truncate(offset_); !cut) {
      write_error_ = cut.error().message();
      return false;
    }
    return true;
  }

  DownloadOutcome Attempt() {
    http::ClientRequest request;
    request.url = job_.url;
    if (offset_ > 0) request.headers["Range"] = "bytes=" + std::to_string(offset_) + "-";
    received_ = 0;
    overflow_ = false;
    refused_.reset();
    write_error_.clear();
    if (job_.enforce_size) {
      limit_ = job_.size - offset_;
    } else {
      // FLAW no-size-check: no limit on what is read; the server decides when the image ends.
      limit_ = kUnlimited;
    }
    Log("download: GET " + job_.url +
        (offset_ > 0 ? " Range: bytes=" + std::to_string(offset_) + "-" : ""));
    auto response = http::Fetch(
        request, job_.options,
        [this](const std::uint8_t* data, std::size_t size) { return OnBytes(data, size); },
        [this](const http::ClientResponse& head) { return Accept(head); });
    if (!write_error_.empty()) return End(DownloadEnd::kStorage, write_error_, file_.position());
    if (!response) return Failed(response.error());
    if (refused_) return *refused_;
    const http::ClientResponse& r = *response;

    if (job_.enforce_size) {
      // Without a Content-Length only counting can tell: the sink stopped at the first byte
      // beyond image.size.
      if (overflow_) {
        return End(DownloadEnd::kSize,
                   "more than image.size " + std::to_string(job_.size) + " bytes; stopped reading",
                   file_.position());
      }
    }
    if (!r.body_complete || (job_.enforce_size && file_.position() < job_.size)) {
      SaveResumePoint();
      return End(DownloadEnd::kInterrupted,
                 "connection ended at byte " + std::to_string(file_.position()) + " of " +
                     std::to_string(job_.size) +
                     (r.body_end_detail.empty() ? "" : " (" + r.body_end_detail + ")"),
                 file_.position());
    }
    if (auto synced = file_.Sync(); !synced) {
      return End(DownloadEnd::kStorage, synced.error().message(), file_.position());
    }
    DownloadOutcome done;
    done.end = DownloadEnd::kComplete;
    done.bytes = file_.position();
    done.digest = crypto::HexEncode(hasher_.Final());
    return done;
  }

  // Fetch failed outright. Whatever arrived before a timeout or cut is kept for a resume.
  DownloadOutcome Failed(const Error& error) {
    if (received_ > 0) SaveResumePoint();
    DownloadEnd end = DownloadEnd::kNetwork;
    if (error.code() == Errc::kTimeout) {
      end = DownloadEnd::kTimeout;
    } else if (error.code() == Errc::kCrypto) {
      end = DownloadEnd::kTls;
    } else if (received_ > 0) {
      end = DownloadEnd::kInterrupted;
    }
    return End(end, error.message(), file_.position());
  }

  const StateDir& dir_;
  const DownloadJob& job_;
  const PowerCut& cut_;
  OutputFile file_;
  crypto::Sha256 hasher_;
  std::uint64_t offset_ = 0;    // bytes on storage before this request
  std::uint64_t received_ = 0;  // bytes of this response written after them
  std::uint64_t limit_ = 0;     // at most this many bytes from this response
  bool overflow_ = false;
  bool restart_ = false;
  std::optional<DownloadOutcome> refused_;  // the header checks refused this response
  std::string write_error_;
};

}  // namespace

DownloadOutcome DownloadImage(const StateDir& dir, const DownloadJob& job, const PowerCut& cut) {
  auto file = OutputFile::Open(job.file, /*truncate=*/false);
  if (!file) return End(DownloadEnd::kStorage, file.error().message(), 0);
  Downloader downloader(dir, job, cut, std::move(*file));
  return downloader.Run();
}

}  // namespace otasim::device
