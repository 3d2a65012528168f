#define BOOST_TEST_MODULE scenario_guarded_attacker
#include <boost/test/unit_test.hpp>

// GuardedAttacker: hooks pass through unchanged when they behave; one that hangs or throws
// becomes an Error naming the plugin and the hook, and the attacker is not called again.

#include <atomic>
#include <chrono>
#include <filesystem>
#include <future>
#include <memory>
#include <stdexcept>
#include <string>

#include "otasim/time.hpp"
#include "scenario/guarded_attacker.hpp"
#include "scenario/session_environment.hpp"

using namespace otasim;
using namespace otasim::scenario;

namespace {

constexpr std::chrono::milliseconds kDeadline{200};

SessionEnvironment MakeEnv() {
  auto start = ParseRfc3339("2026-03-01T12:00:00Z");
  BOOST_REQUIRE(start.ok());
  return SessionEnvironment("http", "dev-0001", std::filesystem::temp_directory_path() / "otasim-unused",
                            1, TlsMaterial{}, *start);
}

// Behaviour chosen per hook; a hang waits for `release` (so the test can end the thread).
class ScriptedAttacker : public Attacker {
 public:
  std::string prepare = "ok", manifest = "ok", image = "ok", stop = "ok";
  std::shared_future<void> release;
  std::atomic<int> calls{0};

  Status Prepare(SessionContext&) override { return Act(prepare); }
  Status OnManifest(SessionContext&, const RequestInfo& request, ManifestDelivery& delivery) override {
    delivery.envelope += " seen by " + request.resource;
    return Act(manifest);
  }
  Status OnImage(SessionContext&, const RequestInfo&, ImageDelivery& delivery) override {
    delivery.cut_after = 7;
    return Act(image);
  }
  Result<std::optional<nlohmann::json>> WrapEndpoint(SessionContext&, const TransportEndpoint& genuine) override {
    return std::optional<nlohmann::json>(nlohmann::json{{"port", genuine.port + 1}});
  }
  void StopTransport() noexcept override { (void)Act(stop); }

 private:
  Status Act(const std::string& what) {
    ++calls;
    if (what == "hang") release.wait();
    if (what == "throw") throw std::runtime_error("boom");
    if (what == "error") return MakeError(Errc::kInvalidArgument, "no such release");
    return {};
  }
};

bool TimelineHas(SessionEnvironment& env, const std::string& event, const std::string& hook) {
  for (const auto& entry : env.timeline().Snapshot()) {
    if (entry["event"] == event && entry["details"]["hook"] == hook &&
        entry["details"]["plugin"] == "attack.scripted") {
      return true;
    }
  }
  return false;
}

}  // namespace

BOOST_AUTO_TEST_CASE(well_behaved_hooks_pass_their_results_through) {
  auto env = MakeEnv();
  auto inner = std::make_unique<ScriptedAttacker>();
  inner->prepare = "error";  // an ordinary error is the plugin's answer, not a misbehaviour
  GuardedAttacker guarded(std::move(inner), "attack.scripted", {}, kDeadline);

  Status prepared = guarded.Prepare(env);
  BOOST_REQUIRE(!prepared);
  BOOST_TEST(prepared.error().message() == "no such release");

  RequestInfo request;
  request.resource = "manifest";
  ManifestDelivery manifest{"envelope"};
  BOOST_TEST(guarded.OnManifest(env, request, manifest).ok());
  BOOST_TEST(manifest.envelope == "envelope seen by manifest");

  ImageDelivery image;
  image.offset = 3;
  BOOST_TEST(guarded.OnImage(env, request, image).ok());
  BOOST_TEST(image.offset == 3u);
  BOOST_TEST(image.cut_after.value_or(0) == 7u);

  TransportEndpoint genuine;
  genuine.port = 4000;
  auto wrapped = guarded.WrapEndpoint(env, genuine);
  BOOST_REQUIRE(wrapped.ok());
  BOOST_REQUIRE(wrapped->has_value());
  BOOST_TEST((**wrapped)["port"] == 4001);
  guarded.StopTransport();
  BOOST_TEST(!guarded.failure().has_value());
  BOOST_TEST(!guarded.abandoned());
}

BOOST_AUTO_TEST_CASE(a_hook_that_hangs_is_a_timeout_and_the_attacker_is_not_called_again) {
  auto env = MakeEnv();
  std::promise<void> release;
  auto inner = std::make_unique<ScriptedAttacker>();
  inner->image = "hang";
  inner->release = release.get_future().share();
  ScriptedAttacker* script = inner.get();
  bool abandoned_noted = false;
  {
    GuardedAttacker guarded(std::move(inner), "attack.scripted", [&] { abandoned_noted = true; },
                            kDeadline);
    RequestInfo request;
    ImageDelivery image;
    Status status = guarded.OnImage(env, request, image);
    BOOST_REQUIRE(!status);
    BOOST_TEST((status.error().code() == Errc::kTimeout));
    BOOST_TEST(status.error().message() == "attack.scripted OnImage did not return within 200 ms");
    BOOST_TEST(abandoned_noted);
    BOOST_TEST(guarded.abandoned());
    BOOST_REQUIRE(guarded.failure().has_value());
    BOOST_TEST(guarded.failure()->message() == status.error().message());
    BOOST_TEST(TimelineHas(env, "hook-timeout", "OnImage"));

    ManifestDelivery manifest;
    Status later = guarded.OnManifest(env, request, manifest);
    BOOST_REQUIRE(!later);
    BOOST_TEST(later.error().message().find("not called") != std::string::npos, later.error().message());
    guarded.StopTransport();  // left alone: it may be the one that is stuck
    BOOST_TEST(script->calls == 1);
  }
  // The guard is gone but the attacker was leaked (the stuck thread may still use it): let the
  // thread finish; the attacker stays leaked.
  release.set_value();
}

BOOST_AUTO_TEST_CASE(a_hook_that_throws_is_an_error_with_the_message) {
  auto env = MakeEnv();
  auto inner = std::make_unique<ScriptedAttacker>();
  inner->manifest = "throw";
  GuardedAttacker guarded(std::move(inner), "attack.scripted", {}, kDeadline);
  RequestInfo request;
  ManifestDelivery manifest{"envelope"};
  Status status = guarded.OnManifest(env, request, manifest);
  BOOST_REQUIRE(!status);
  BOOST_TEST((status.error().code() == Errc::kPlugin));
  BOOST_TEST(status.error().message() == "attack.scripted OnManifest threw: boom");
  BOOST_TEST(!guarded.abandoned());  // the thread ended: nothing was left behind
  BOOST_TEST(TimelineHas(env, "hook-threw", "OnManifest"));
  BOOST_TEST(!guarded.Prepare(env).ok());
}

BOOST_AUTO_TEST_CASE(a_stop_transport_that_hangs_is_recorded_as_the_failure) {
  auto env = MakeEnv();
  std::promise<void> release;
  auto inner = std::make_unique<ScriptedAttacker>();
  inner->stop = "hang";
  inner->release = release.get_future().share();
  {
    GuardedAttacker guarded(std::move(inner), "attack.scripted", {}, kDeadline);
    guarded.StopTransport();
    BOOST_REQUIRE(guarded.failure().has_value());
    BOOST_TEST(guarded.failure()->message() == "attack.scripted StopTransport did not return within 200 ms");
    BOOST_TEST(guarded.abandoned());
  }
  release.set_value();
}
