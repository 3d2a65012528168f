#include "cli/listen_address.hpp"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cerrno>
#include <cstdlib>
#include <cstring>

namespace otasim::cli {

namespace {

Status BindOnce(const ListenAddress& address, int type) {
  sockaddr_storage storage{};
  socklen_t length = 0;
  int family = AF_INET;
  auto* v4 = reinterpret_cast<sockaddr_in*>(&storage);
  auto* v6 = reinterpret_cast<sockaddr_in6*>(&storage);
  if (inet_pton(AF_INET, address.host.c_str(), &v4->sin_addr) == 1) {
    v4->sin_family = AF_INET;
    v4->sin_port = htons(address.port);
    length = sizeof *v4;
  } else {
    family = AF_INET6;
    inet_pton(AF_INET6, address.host.c_str(), &v6->sin6_addr);
    v6->sin6_family = AF_INET6;
    v6->sin6_port = htons(address.port);
    length = sizeof *v6;
  }
  const int fd = socket(family, type, 0);
  if (fd < 0) return MakeError(Errc::kIo, std::string("socket: ") + std::strerror(errno));
  const int on = 1;
  setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &on, sizeof on);  // as the servers do
  const int bound = bind(fd, reinterpret_cast<sockaddr*>(&storage), length);
  const int error = errno;
  close(fd);
  if (bound == 0) return {};
  const std::string what = std::string(type == SOCK_STREAM ? "TCP" : "UDP") + " " + address.host +
                           ":" + std::to_string(address.port);
  if (error == EADDRNOTAVAIL) {
    return MakeError(Errc::kInvalidArgument,
                     "--listen: " + address.host + " is not an address of this machine (" + what + ")");
  }
  return MakeError(Errc::kIo, "--listen: cannot bind " + what + ": " + std::strerror(error));
}

}  // namespace

Result<ListenAddress> ParseListenAddress(const std::string& text) {
  const auto colon = text.rfind(':');
  if (colon == std::string::npos || colon == 0) {
    return MakeError(Errc::kInvalidArgument, "--listen '" + text + "' is not HOST:PORT");
  }
  ListenAddress address;
  address.host = text.substr(0, colon);
  if (address.host.size() > 2 && address.host.front() == '[' && address.host.back() == ']') {
    address.host = address.host.substr(1, address.host.size() - 2);
  }
  in6_addr scratch{};
  if (inet_pton(AF_INET, address.host.c_str(), &scratch) != 1 &&
      inet_pton(AF_INET6, address.host.c_str(), &scratch) != 1) {
    return MakeError(Errc::kInvalidArgument,
                     "--listen '" + text + "': HOST must be an IP address of this machine (the "
                     "device is given it, and the server certificate must name it)");
  }
  const std::string port = text.substr(colon + 1);
  char* end = nullptr;
  errno = 0;
  const unsigned long value = port.empty() ? 0 : std::strtoul(port.c_str(), &end, 10);
  if (port.empty() || *end != '\0' || errno != 0 || value == 0 || value > 65535) {
    return MakeError(Errc::kInvalidArgument, "--listen '" + text + "': PORT must be 1..65535");
  }
  address.port = static_cast<std::uint16_t>(value);
  return address;
}

Status CheckCanListen(const ListenAddress& address) {
  OTASIM_CHECK(BindOnce(address, SOCK_STREAM));
  return BindOnce(address, SOCK_DGRAM);
}

}  // namespace otasim::cli
