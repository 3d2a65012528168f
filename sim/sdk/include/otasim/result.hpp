// Errors are values: every fallible call returns Result<T>, which holds either a T or an Error.
// Nothing is thrown across module or plugin boundaries.
#pragma once

#include <cassert>
#include <string>
#include <string_view>
#include <utility>
#include <variant>

namespace otasim {

// Broad categories; the message and context say the rest.
enum class Errc {
  kInvalidArgument,  // a caller passed something unusable
  kParse,            // malformed input (file, manifest, network bytes)
  kIo,               // file system or process I/O
  kCrypto,           // OpenSSL failed
  kSignature,        // a signature is missing, unknown or does not verify
  kTimeout,          // a deadline passed
  kNetwork,          // connect, read or write failed
  kProtocol,         // a peer broke the protocol
  kNotFound,         // a named thing does not exist
  kUnsupported,      // valid but not supported here
  kPlugin,           // a plugin could not be loaded or misbehaved
  kInternal,         // a bug in otasim
};

std::string_view ErrcName(Errc code) noexcept;

class Error {
 public:
  Error(Errc code, std::string message) : code_(code), message_(std::move(message)) {}

  Errc code() const noexcept { return code_; }
  const std::string& message() const noexcept { return message_; }

  // Prefix with where the error happened: "loading scenario x.yaml: line 3: ...".
  Error WithContext(std::string_view context) const {
    return Error(code_, std::string(context) + ": " + message_);
  }

  std::string What() const { return std::string(ErrcName(code_)) + ": " + message_; }

 private:
  Errc code_;
  std::string message_;
};

inline Error MakeError(Errc code, std::string message) { return Error(code, std::move(message)); }

template <class T>
class [[nodiscard]] Result {
 public:
  Result(T value) : state_(std::in_place_index<0>, std::move(value)) {}  // NOLINT: implicit by design
  Result(Error error) : state_(std::in_place_index<1>, std::move(error)) {}  // NOLINT

  bool ok() const noexcept { return state_.index() == 0; }
  explicit operator bool() const noexcept { return ok(); }

  T& value() & { assert(ok()); return std::get<0>(state_); }
  const T& value() const& { assert(ok()); return std::get<0>(state_); }
  T&& value() && { assert(ok()); return std::get<0>(std::move(state_)); }
  const Error& error() const { assert(!ok()); return std::get<1>(state_); }

  T& operator*() & { return value(); }
  const T& operator*() const& { return value(); }
  T&& operator*() && { return std::move(*this).value(); }
  T* operator->() { return &value(); }
  const T* operator->() const { return &value(); }

 private:
  std::variant<T, Error> state_;
};

template <>
class [[nodiscard]] Result<void> {
 public:
  Result() = default;
  Result(Error error) : error_(std::move(error)), ok_(false) {}  // NOLINT

  bool ok() const noexcept { return ok_; }
  explicit operator bool() const noexcept { return ok_; }
  const Error& error() const { assert(!ok_); return error_; }

 private:
  Error error_{Errc::kInternal, ""};
  bool ok_ = true;
};

using Status = Result<void>;

}  // namespace otasim

// Early return of an error: OTASIM_TRY(auto key, LoadKey(path));
#define OTASIM_CONCAT_INNER(a, b) a##b
#define OTASIM_CONCAT(a, b) OTASIM_CONCAT_INNER(a, b)
#define OTASIM_TRY(decl, expr) OTASIM_TRY_IMPL(OTASIM_CONCAT(otasim_try_, __LINE__), decl, expr)
#define OTASIM_TRY_IMPL(tmp, decl, expr)     \
  auto tmp = (expr);                         \
  if (!tmp.ok()) return tmp.error();         \
  decl = std::move(tmp).value()
#define OTASIM_CHECK(expr)                                    \
  do {                                                        \
    auto otasim_check_result = (expr);                        \
    if (!otasim_check_result.ok()) return otasim_check_result.error(); \
  } while (0)
