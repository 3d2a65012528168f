#define BOOST_TEST_MODULE reference_device_slow_redirect
#include <boost/test/unit_test.hpp>
// The reference device against slow retrieval and redirected image locations: the minimum-rate
// rule (limits.min_bytes_per_second over limits.rate_window_ms), the no-timeout flaw that
// removes it, and redirects that are followed but never skip the digest check. The image comes
// from a plain HTTP server of this test (the manifest's image.uri is absolute).

#include <atomic>
#include <thread>

#include "device_harness.hpp"

using namespace device_test;

namespace {

constexpr std::size_t kSmallImage = 4096;

// The bytes of `text` at `bytes_per_second`, in 64-byte reads.
class Trickle final : public ByteSource {
 public:
  Trickle(std::string text, std::uint64_t bytes_per_second)
      : text_(std::move(text)), bytes_per_second_(bytes_per_second) {}
  Result<std::size_t> Read(std::span<std::uint8_t> out) override {
    if (at_ == text_.size()) return std::size_t{0};
    std::this_thread::sleep_until(start_ + std::chrono::microseconds(at_ * 1'000'000 /
                                                                     bytes_per_second_));
    const std::size_t n = std::min({out.size(), text_.size() - at_, std::size_t{64}});
    std::copy_n(text_.data() + at_, n, out.data());
    at_ += n;
    return n;
  }
  std::optional<std::uint64_t> Length() const override { return text_.size(); }

 private:
  std::string text_;
  std::uint64_t bytes_per_second_;
  std::chrono::steady_clock::time_point start_ = std::chrono::steady_clock::now();
  std::size_t at_ = 0;
};

// A plain HTTP image host: /image (the bytes, paced when asked), /other (other bytes of the same
// size), /to-other (302 to /other), /loop (302 to itself).
struct ImageHost {
  ImageHost(std::string image, std::string other) : image_(std::move(image)), other_(std::move(other)) {
    server_ = Must(http::StartServer({}, [this](const http::Request& r) { return Handle(r); }),
                   "image host");
  }
  ~ImageHost() { server_->Stop(); }
  std::string Url(const std::string& path) const { return server_->BaseUrl() + path; }
  void Pace(std::uint64_t bytes_per_second) { bytes_per_second_ = bytes_per_second; }
  int requests() const { return requests_; }

 private:
  http::Response Handle(const http::Request& request) {
    ++requests_;
    if (request.target == "/to-other" || request.target == "/loop") {
      http::Response response = http::Response::Text(302, "");
      response.headers["location"] = request.target == "/loop" ? "/loop" : "/other";
      return response;
    }
    if (request.target != "/image" && request.target != "/other") {
      return http::Response::Text(404, "no");
    }
    const std::string& bytes = request.target == "/image" ? image_ : other_;
    http::Response response;
    response.headers["content-type"] = "application/octet-stream";
    if (bytes_per_second_ > 0) {
      response.stream = std::make_unique<Trickle>(bytes, bytes_per_second_);
    } else {
      response.body = bytes;
    }
    return response;
  }

  std::string image_, other_;
  std::atomic<std::uint64_t> bytes_per_second_{0};
  std::atomic<int> requests_{0};
  std::unique_ptr<http::Server> server_;
};

struct Fixture : DeviceFixture {
  Fixture()
      : image(RandomBytes(kSmallImage, 7)),
        host(image, RandomBytes(kSmallImage, 8)) {
    Provision(v1());
    // A tight rule, so that the test is short: 4 KiB/s over any 500 ms.
    Config()["limits"]["min_bytes_per_second"] = 4096;
    Config()["limits"]["rate_window_ms"] = 500;
    SaveConfig();
  }

  // v3 (4 KiB) whose image.uri points at `path` on the image host.
  void OfferV3At(const std::string& path) {
    Offer(MakeRelease("v3", "3.0.0", 3, image, {.uri = host.Url(path)}));
  }

  std::string image;
  ImageHost host;
};

}  // namespace

BOOST_FIXTURE_TEST_CASE(a_trickle_below_the_minimum_rate_is_abandoned_as_timeout, Fixture) {
  host.Pace(1024);  // a quarter of the minimum: 4 s for the image
  OfferV3At("/image");
  const auto check = Device("check");
  BOOST_TEST(check.exit_code == 30);
  BOOST_TEST(check.err.find("slow retrieval") != std::string::npos, check.err);
  const json state = State();
  BOOST_TEST(state["last_reason"] == "timeout");
  BOOST_TEST(state["running"]["version"] == "1.0.0");
}

BOOST_FIXTURE_TEST_CASE(no_timeout_waits_for_the_trickle_and_installs, Fixture) {
  host.Pace(1024);
  OfferV3At("/image");
  const auto check = Device("check", "no-timeout");
  BOOST_TEST(check.exit_code == 0, check.err);
  BOOST_TEST(State("no-timeout")["running"]["version"] == "3.0.0");
}

BOOST_FIXTURE_TEST_CASE(a_full_speed_download_passes_the_rate_rule, Fixture) {
  OfferV3At("/image");
  BOOST_TEST(Device("check").exit_code == 0);
  BOOST_TEST(State()["running"]["version"] == "3.0.0");
}

BOOST_FIXTURE_TEST_CASE(a_redirect_is_followed_and_its_bytes_are_verified, Fixture) {
  OfferV3At("/to-other");
  const auto check = Device("check");
  BOOST_TEST(check.exit_code == 20);
  BOOST_TEST(check.err.find("redirected to " + host.Url("/other")) != std::string::npos, check.err);
  BOOST_TEST(State()["last_reason"] == "digest");

  // Without the digest check the redirected bytes install: the redirect alone proves nothing.
  const auto flawed = Device("check", "skip-digest");
  BOOST_TEST(flawed.exit_code == 0);
}

BOOST_FIXTURE_TEST_CASE(a_redirect_loop_ends_after_three_redirects, Fixture) {
  OfferV3At("/loop");
  const auto check = Device("check");
  BOOST_TEST(check.exit_code == 30);
  BOOST_TEST(State()["last_reason"] == "network");
  BOOST_TEST(host.requests() == 4);  // the first request and three redirects
}
