#include "image_download.hpp"

#include <chrono>
#include <deque>
#include <fstream>
#include <limits>
#include <optional>
#include <vector>

#include "file_io.hpp"
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

DownloadEnd FromTransfer(TransferEnd end) {
  switch (end) {
    case TransferEnd::kComplete: return DownloadEnd::kComplete;
    case TransferEnd::kInterrupted: return DownloadEnd::kInterrupted;
    case TransferEnd::kTimeout: return DownloadEnd::kTimeout;
    case TransferEnd::kTls: return DownloadEnd::kTls;
    case TransferEnd::kNetwork: return DownloadEnd::kNetwork;
    case TransferEnd::kSize: return DownloadEnd::kSize;
  }
  return DownloadEnd::kNetwork;
}

// The minimum-rate rule against slow retrieval: over any rate_window of a transfer (once it has
// lasted that long) at least min_bytes_per_second × rate_window bytes must arrive. Judged when
// bytes arrive; a silence longer than the stall deadline is the channel's to catch.
class RateGuard {
 public:
  RateGuard(std::uint64_t min_bytes_per_second, std::chrono::milliseconds window)
      : min_bytes_per_second_(min_bytes_per_second), window_(window) {}

  void Start() {
    samples_.clear();
    total_ = 0;
    samples_.push_back({Clock::now(), 0});
  }

  // Counts `bytes` that just arrived; returns why the transfer is too slow, or nullopt.
  std::optional<std::string> Add(std::uint64_t bytes) {
    if (min_bytes_per_second_ == 0) return std::nullopt;
    const auto now = Clock::now();
    total_ += bytes;
    samples_.push_back({now, total_});
    // Keep one sample at or before the window's start: the baseline the window is measured from.
    while (samples_.size() > 1 && samples_[1].at <= now - window_) samples_.pop_front();
    const Sample& baseline = samples_.front();
    if (now - baseline.at < window_) return std::nullopt;  // not a whole window yet
    const auto window_ms =
        std::chrono::duration_cast<std::chrono::milliseconds>(now - baseline.at).count();
    const std::uint64_t arrived = total_ - baseline.total;
    const std::uint64_t needed =
        min_bytes_per_second_ * static_cast<std::uint64_t>(window_ms) / 1000;
    if (arrived >= needed) return std::nullopt;
    return "slow retrieval: " + std::to_string(arrived) + " bytes in the last " +
           std::to_string(window_ms) + " ms, below the minimum of " +
           std::to_string(min_bytes_per_second_) + " bytes/s; abandoned";
  }

 private:
  using Clock = std::chrono::steady_clock;
  struct Sample {
    Clock::time_point at;
    std::uint64_t total = 0;  // bytes of the transfer by then
  };

  std::uint64_t min_bytes_per_second_;
  std::chrono::milliseconds window_;
  std::deque<Sample> samples_;
  std::uint64_t total_ = 0;
};

class Downloader final : public ImageSink {
 public:
  Downloader(const StateDir& dir, const DownloadJob& job, UpdateChannel& channel,
             const PowerCut& cut, OutputFile file)
      : dir_(dir),
        job_(job),
        channel_(channel),
        cut_(cut),
        file_(std::move(file)),
        rate_(job.min_bytes_per_second, job.rate_window) {}

  DownloadOutcome Run() {
    if (auto resumed = Resume(); !resumed) {
      return End(DownloadEnd::kStorage, resumed.error().message(), 0);
    }
    // A cut at 0 % (or below what a resume already has) happens before any new byte arrives.
    if (cut_.Due(CutStage::kDownload, offset_, job_.size)) Cut();
    for (int attempt = 0;; ++attempt) {
      auto outcome = Attempt();
      if (!restart_ || attempt > 0) return outcome;
      // The server ignored the resume and sent the image from its start: begin again.
      Log("download: the server sent the image from byte 0 instead of byte " +
          std::to_string(offset_) + "; restarting from byte 0");
      restart_ = false;
      if (auto reset = StartOver(); !reset) {
        return End(DownloadEnd::kStorage, reset.error().message(), 0);
      }
    }
  }

  // ImageSink: the head of a transfer, before any of its bytes. Is this the image we asked for,
  // from where we asked, as long as the manifest says? A refusal is kept in refused_.
  bool Begin(const TransferHead& head) override {
    refused_ = CheckHead(head);
    if (refused_) return false;
    // Only now is the file cut back to the bytes a resume trusts (0 when starting over).
    if (auto cut = file_.Truncate(offset_); !cut) {
      write_error_ = cut.error().message();
      return false;
    }
    began_ = true;
    rate_.Start();
    return true;
  }

  bool Write(const std::uint8_t* data, std::size_t size) override {
    if (!began_) {
      write_error_ = "internal: image bytes before the transfer's head";
      return false;
    }
    if (received_ + size > limit_) {
      overflow_ = true;  // a byte beyond image.size: stop reading at once, store none of it
      return false;
    }
    if (auto written = file_.Write(data, size); !written) {
      write_error_ = written.error().message();
      return false;
    }
    hasher_.Update({data, size});
    received_ += size;
    if (cut_.Due(CutStage::kDownload, offset_ + received_, job_.size)) Cut();
    if (auto slow = rate_.Add(size)) {
      too_slow_ = std::move(*slow);  // stop reading; what arrived is kept for a resume
      return false;
    }
    return true;
  }

 private:
  // Continues a recorded download of the same manifest into the same file, else starts over.
  // The channel resumes at multiples of its unit (CoAP: a block): the record is rounded down.
  Status Resume() {
    const auto progress = LoadProgress(dir_);
    std::error_code ec;
    const auto on_disk = std::filesystem::file_size(job_.file, ec);
    const std::uint64_t unit = std::max<std::uint64_t>(1, channel_.ResumeUnit());
    const std::uint64_t usable_bytes = progress ? progress->bytes / unit * unit : 0;
    const bool usable = progress && progress->manifest_sha256 == job_.manifest_id &&
                        progress->file == job_.file.string() && usable_bytes > 0 && !ec &&
                        on_disk >= progress->bytes &&
                        (!job_.enforce_size || progress->bytes <= job_.size);
    if (!usable) return StartOver();
    // Bytes past the record were never synced-and-recorded: not trusted.
    OTASIM_CHECK(file_.Truncate(usable_bytes));
    OTASIM_CHECK(HashPrefix(job_.file, usable_bytes, hasher_));
    offset_ = usable_bytes;
    Log("download: resuming at byte " + std::to_string(offset_) + " of " +
        std::to_string(job_.size) + " (re-hashed the bytes on storage)");
    return {};
  }

  // Forgets what is on storage. The file itself is cut only once a transfer passed its head
  // checks (Begin): a refused transfer leaves it as it was, which matters when the file is the
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

  std::optional<DownloadOutcome> CheckHead(const TransferHead& head) {
    if (head.start != offset_) {
      if (head.start == 0) {
        restart_ = true;  // the server ignored the resume: ask again for the whole image
        return End(DownloadEnd::kNetwork, "server ignored the resume", offset_);
      }
      return End(DownloadEnd::kNetwork,
                 "the transfer starts at byte " + std::to_string(head.start) + ", expected " +
                     std::to_string(offset_),
                 offset_);
    }
    if (!job_.enforce_size) {
      // FLAW no-size-check: the declared lengths are not compared with image.size.
      return std::nullopt;
    }
    const std::uint64_t remaining = job_.size - offset_;
    if (head.declared_length && *head.declared_length != remaining) {
      return End(DownloadEnd::kSize,
                 "Content-Length " + std::to_string(*head.declared_length) + " != " +
                     std::to_string(remaining) + " remaining bytes of image.size " +
                     std::to_string(job_.size) + "; refused before reading the body",
                 offset_);
    }
    if (head.declared_total && *head.declared_total != job_.size) {
      return End(DownloadEnd::kSize,
                 "Size2 " + std::to_string(*head.declared_total) + " != image.size " +
                     std::to_string(job_.size) + "; refused before storing any block",
                 offset_);
    }
    return std::nullopt;
  }

  DownloadOutcome Attempt() {
    received_ = 0;
    overflow_ = false;
    began_ = false;
    refused_.reset();
    write_error_.clear();
    too_slow_.clear();
    if (job_.enforce_size) {
      limit_ = job_.size - offset_;
    } else {
      // FLAW no-size-check: no limit on what is read; the server decides when the image ends.
      limit_ = kUnlimited;
    }
    ImageRequest request;
    request.location = job_.location;
    request.offset = offset_;
    request.size = job_.size;
    request.enforce_size = job_.enforce_size;
    request.stall_deadline = job_.stall_deadline;
    const Transfer transfer = channel_.FetchImage(request, *this);

    // The sink's own reasons first: they are why the transfer stopped.
    if (!write_error_.empty()) return End(DownloadEnd::kStorage, write_error_, file_.position());
    if (refused_) return *refused_;
    if (overflow_) {
      return End(DownloadEnd::kSize,
                 "more than image.size " + std::to_string(job_.size) + " bytes; stopped reading",
                 file_.position());
    }
    if (!too_slow_.empty()) {
      SaveResumePoint();
      return End(DownloadEnd::kTimeout,
                 too_slow_ + " at byte " + std::to_string(file_.position()) + " of " +
                     std::to_string(job_.size),
                 file_.position());
    }
    const std::string at =
        "at byte " + std::to_string(file_.position()) + " of " + std::to_string(job_.size);
    const std::string why = transfer.detail.empty() ? "" : " (" + transfer.detail + ")";
    switch (transfer.end) {
      case TransferEnd::kComplete: break;
      case TransferEnd::kInterrupted:
        SaveResumePoint();
        return End(DownloadEnd::kInterrupted, "transfer ended " + at + why, file_.position());
      default:
        // Whatever arrived before a timeout or failure is kept for a resume.
        if (received_ > 0) SaveResumePoint();
        return End(FromTransfer(transfer.end), transfer.detail + " (" + at + ")",
                   file_.position());
    }
    if (job_.enforce_size && file_.position() < job_.size) {
      SaveResumePoint();
      return End(DownloadEnd::kInterrupted, "the server ended the image " + at + why,
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

  const StateDir& dir_;
  const DownloadJob& job_;
  UpdateChannel& channel_;
  const PowerCut& cut_;
  OutputFile file_;
  crypto::Sha256 hasher_;
  std::uint64_t offset_ = 0;    // bytes on storage before this transfer
  std::uint64_t received_ = 0;  // bytes of this transfer written after them
  std::uint64_t limit_ = 0;     // at most this many bytes from this transfer
  bool began_ = false;
  bool overflow_ = false;
  bool restart_ = false;
  std::optional<DownloadOutcome> refused_;  // the head checks refused this transfer
  std::string write_error_;
  RateGuard rate_;
  std::string too_slow_;  // the minimum-rate rule stopped this transfer
};

}  // namespace

DownloadOutcome DownloadImage(const StateDir& dir, const DownloadJob& job, UpdateChannel& channel,
                              const PowerCut& cut) {
  auto file = OutputFile::Open(job.file, /*truncate=*/false);
  if (!file) return End(DownloadEnd::kStorage, file.error().message(), 0);
  Downloader downloader(dir, job, channel, cut, std::move(*file));
  return downloader.Run();
}

}  // namespace otasim::device
