// An attacker plugin runs in-process, so one whose hook hangs would block the run forever and
// one that throws would unwind through the server model. GuardedAttacker wraps a step's
// attacker: every hook runs on its own thread with a deadline. A hook that does not return in
// time, or throws, becomes an Error naming the plugin and the hook; it is noted in the timeline,
// the step reads it from failure() to get verdict `error`, and the attacker is not called again.
#pragma once

#include <chrono>
#include <functional>
#include <memory>
#include <mutex>
#include <optional>
#include <string>

#include "otasim/attacker.hpp"

namespace otasim::scenario {

// The hook deadline: OTASIM_HOOK_TIMEOUT_MS if set to a positive number (tests use a short
// one), else 20 s.
std::chrono::milliseconds HookDeadline();

class GuardedAttacker final : public Attacker {
 public:
  // on_abandon runs (on the calling thread) when a hook thread is left behind: whatever that
  // thread may still use (the session context) must then never be freed.
  GuardedAttacker(std::unique_ptr<Attacker> inner, std::string plugin_id,
                  std::function<void()> on_abandon = {},
                  std::chrono::milliseconds deadline = HookDeadline());
  ~GuardedAttacker() override;
  GuardedAttacker(const GuardedAttacker&) = delete;
  GuardedAttacker& operator=(const GuardedAttacker&) = delete;

  Status Prepare(SessionContext& session) override;
  Status OnManifest(SessionContext& session, const RequestInfo& request,
                    ManifestDelivery& delivery) override;
  Status OnImage(SessionContext& session, const RequestInfo& request,
                 ImageDelivery& delivery) override;
  Result<std::optional<nlohmann::json>> WrapEndpoint(SessionContext& session,
                                                     const TransportEndpoint& genuine) override;
  void StopTransport() noexcept override;

  // The first hook that hung or threw, if any.
  std::optional<Error> failure() const;
  // Whether a hook thread was abandoned (it may still hold the session context).
  bool abandoned() const;

 private:
  // Runs `work` (which calls the inner attacker) on a new thread and waits up to the deadline.
  // Returns the failure if the hook hung or threw, or if an earlier hook of this attacker did.
  Status Guard(SessionContext& session, const char* hook, std::function<void()> work);
  template <class Delivery, class Hook>
  Status GuardDelivery(SessionContext& session, const char* name, const RequestInfo& request,
                       Delivery& delivery, Hook hook);
  Status Fail(SessionContext& session, const char* hook, Error error, bool abandoned);
  void NoteAbandoned();

  std::unique_ptr<Attacker> inner_;
  const std::string plugin_id_;
  const std::function<void()> on_abandon_;
  const std::chrono::milliseconds deadline_;
  mutable std::mutex mutex_;
  std::optional<Error> failure_;
  bool abandoned_ = false;
};

}  // namespace otasim::scenario
