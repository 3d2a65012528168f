#include "scenario/guarded_attacker.hpp"

#include <condition_variable>
#include <cstdlib>
#include <exception>
#include <thread>

namespace otasim::scenario {

namespace {

constexpr std::chrono::milliseconds kDefaultHookDeadline{20000};

std::string DescribeDuration(std::chrono::milliseconds duration) {
  if (duration.count() % 1000 == 0) return std::to_string(duration.count() / 1000) + " s";
  return std::to_string(duration.count()) + " ms";
}

// What the hook thread and the waiting caller share. Owned jointly, so an abandoned thread
// never writes into freed memory.
struct HookCall {
  std::mutex mutex;
  std::condition_variable finished_cv;
  bool finished = false;
  std::optional<std::string> thrown;  // what() of an exception the hook threw
};

}  // namespace

std::chrono::milliseconds HookDeadline() {
  static const std::chrono::milliseconds deadline = [] {
    const char* text = std::getenv("OTASIM_HOOK_TIMEOUT_MS");
    if (text == nullptr) return kDefaultHookDeadline;
    char* end = nullptr;
    const long long value = std::strtoll(text, &end, 10);
    if (end == text || *end != '\0' || value <= 0) return kDefaultHookDeadline;
    return std::chrono::milliseconds(value);
  }();
  return deadline;
}

GuardedAttacker::GuardedAttacker(std::unique_ptr<Attacker> inner, std::string plugin_id,
                                 std::function<void()> on_abandon,
                                 std::chrono::milliseconds deadline)
    : inner_(std::move(inner)),
      plugin_id_(std::move(plugin_id)),
      on_abandon_(std::move(on_abandon)),
      deadline_(deadline) {}

GuardedAttacker::~GuardedAttacker() {
  // A thread stuck in a hook of this attacker may wake up one day and use it: the object is
  // deliberately leaked (never destroyed) so that thread never touches freed memory.
  if (abandoned()) (void)inner_.release();
}

std::optional<Error> GuardedAttacker::failure() const {
  std::lock_guard lock(mutex_);
  return failure_;
}

bool GuardedAttacker::abandoned() const {
  std::lock_guard lock(mutex_);
  return abandoned_;
}

void GuardedAttacker::NoteAbandoned() {
  {
    std::lock_guard lock(mutex_);
    abandoned_ = true;
  }
  if (on_abandon_) on_abandon_();
}

Status GuardedAttacker::Fail(SessionContext& session, const char* hook, Error error,
                             bool abandoned) {
  if (abandoned) NoteAbandoned();
  {
    std::lock_guard lock(mutex_);
    if (!failure_) failure_ = error;
  }
  session.timeline().Add("attacker", abandoned ? "hook-timeout" : "hook-threw",
                         {{"plugin", plugin_id_}, {"hook", hook}, {"error", error.message()}});
  return error;
}

Status GuardedAttacker::Guard(SessionContext& session, const char* hook,
                              std::function<void()> work) {
  if (auto earlier = failure()) {
    return MakeError(Errc::kPlugin, plugin_id_ + " " + hook + " not called: an earlier hook failed (" +
                                        earlier->message() + ")");
  }
  auto call = std::make_shared<HookCall>();
  // A thread per call: hooks run per transfer, not per byte, so this costs little, and a stuck
  // thread can be left behind without taking a pool down with it.
  std::thread thread([call, work = std::move(work)] {
    std::optional<std::string> thrown;
    try {
      work();
    } catch (const std::exception& e) {
      thrown = e.what();
    } catch (...) {
      thrown = "an exception that is not a std::exception";
    }
    std::lock_guard lock(call->mutex);
    call->thrown = std::move(thrown);
    call->finished = true;
    call->finished_cv.notify_all();
  });
  std::unique_lock lock(call->mutex);
  if (!call->finished_cv.wait_for(lock, deadline_, [&] { return call->finished; })) {
    lock.unlock();
    // Abandoned, never joined: it holds `call` and `work` itself, and the attacker is leaked.
    thread.detach();
    return Fail(session, hook,
                MakeError(Errc::kTimeout, plugin_id_ + " " + hook + " did not return within " +
                                              DescribeDuration(deadline_)),
                true);
  }
  const std::optional<std::string> thrown = call->thrown;
  lock.unlock();
  thread.join();
  if (thrown) {
    return Fail(session, hook, MakeError(Errc::kPlugin, plugin_id_ + " " + hook + " threw: " + *thrown),
                false);
  }
  return {};
}

Status GuardedAttacker::Prepare(SessionContext& session) {
  auto status = std::make_shared<Status>();
  Attacker* inner = inner_.get();
  OTASIM_CHECK(Guard(session, "Prepare", [status, inner, &session] { *status = inner->Prepare(session); }));
  return *status;
}

// Runs a content hook on copies of its arguments, so that a thread left behind never writes
// into the caller's frame.
template <class Delivery, class Hook>
Status GuardedAttacker::GuardDelivery(SessionContext& session, const char* name,
                                      const RequestInfo& request, Delivery& delivery, Hook hook) {
  struct Args {
    RequestInfo request;
    Delivery delivery;
    Status status;
  };
  auto args = std::make_shared<Args>(Args{request, std::move(delivery), {}});
  Attacker* inner = inner_.get();
  OTASIM_CHECK(Guard(session, name, [args, inner, hook, &session] {
    args->status = (inner->*hook)(session, args->request, args->delivery);
  }));
  delivery = std::move(args->delivery);
  return args->status;
}

Status GuardedAttacker::OnManifest(SessionContext& session, const RequestInfo& request,
                                   ManifestDelivery& delivery) {
  return GuardDelivery(session, "OnManifest", request, delivery, &Attacker::OnManifest);
}

Status GuardedAttacker::OnImage(SessionContext& session, const RequestInfo& request,
                                ImageDelivery& delivery) {
  return GuardDelivery(session, "OnImage", request, delivery, &Attacker::OnImage);
}

Result<std::optional<nlohmann::json>> GuardedAttacker::WrapEndpoint(SessionContext& session,
                                                                    const TransportEndpoint& genuine) {
  struct Args {
    TransportEndpoint genuine;
    std::optional<Result<std::optional<nlohmann::json>>> result;
  };
  auto args = std::make_shared<Args>(Args{genuine, std::nullopt});
  Attacker* inner = inner_.get();
  OTASIM_CHECK(Guard(session, "WrapEndpoint", [args, inner, &session] {
    args->result = inner->WrapEndpoint(session, args->genuine);
  }));
  return std::move(*args->result);
}

void GuardedAttacker::StopTransport() noexcept {
  // Called on every teardown, also after a failure: an attacker that already failed is left
  // alone (it may be the one that is stuck). Otherwise the call is guarded like the others,
  // except that it has no session to note a failure in: failure() still records it.
  if (failure()) return;
  Attacker* inner = inner_.get();
  auto call = std::make_shared<HookCall>();
  try {
    std::thread thread([call, inner] {
      inner->StopTransport();  // noexcept by contract: a throw here ends the process anyway
      std::lock_guard lock(call->mutex);
      call->finished = true;
      call->finished_cv.notify_all();
    });
    std::unique_lock lock(call->mutex);
    if (call->finished_cv.wait_for(lock, deadline_, [&] { return call->finished; })) {
      lock.unlock();
      thread.join();
      return;
    }
    lock.unlock();
    thread.detach();  // abandoned, like any hook that hangs; the attacker is leaked
    NoteAbandoned();
    std::lock_guard state(mutex_);
    failure_ = MakeError(Errc::kTimeout, plugin_id_ + " StopTransport did not return within " +
                                             DescribeDuration(deadline_));
  } catch (...) {
    // No thread could be started: stop it on this thread, unguarded.
    inner->StopTransport();
  }
}

}  // namespace otasim::scenario
