// The edge's sockets: binding a listener, peers' addresses, and the small
// replies the edge writes itself.
#include <arpa/inet.h>
#include <netdb.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>

#include <nlohmann/json.hpp>

#include "server/edge.hh"

namespace cwf::server {
namespace {

const char* reason(int status) {
  switch (status) {
    case 400: return "Bad Request";
    case 404: return "Not Found";
    case 408: return "Request Timeout";
    case 411: return "Length Required";
    case 413: return "Content Too Large";
    case 414: return "URI Too Long";
    case 421: return "Misdirected Request";
    case 429: return "Too Many Requests";
    case 431: return "Request Header Fields Too Large";
    case 501: return "Not Implemented";
    case 503: return "Service Unavailable";
    default: return "Error";
  }
}

}  // namespace

void address_of(const sockaddr_storage& sa, std::string& ip, int& port) {
  char text[INET6_ADDRSTRLEN] = "";
  if (sa.ss_family == AF_INET) {
    const auto& in = reinterpret_cast<const sockaddr_in&>(sa);
    ::inet_ntop(AF_INET, &in.sin_addr, text, sizeof text);
    port = ntohs(in.sin_port);
  } else if (sa.ss_family == AF_INET6) {
    const auto& in6 = reinterpret_cast<const sockaddr_in6&>(sa);
    ::inet_ntop(AF_INET6, &in6.sin6_addr, text, sizeof text);
    port = ntohs(in6.sin6_port);
  }
  ip = text;
}

std::string Edge::canned_reply(int status, const std::string& path, const std::string& error, int retry_after) {
  bool json = under_api(path);
  std::string body = json ? nlohmann::json({{"error", error}}).dump(-1, ' ', false,
                                                                    nlohmann::json::error_handler_t::replace) + "\n"
                          : error + "\n";
  std::string out = "HTTP/1.1 " + std::to_string(status) + " " + reason(status) + "\r\n";
  out += std::string("Content-Type: ") + (json ? "application/json" : "text/plain; charset=utf-8") + "\r\n";
  out += "Content-Length: " + std::to_string(body.size()) + "\r\n";
  out += "X-Content-Type-Options: nosniff\r\nConnection: close\r\n";
  if (retry_after > 0) out += "Retry-After: " + std::to_string(retry_after) + "\r\n";
  return out + "\r\n" + body;
}

Result<int> Edge::listen(const std::string& host, int port) {
  if (listeners_.size() >= std::size(listener_open_)) return make_error("too many listeners");
  addrinfo hints{}, *found = nullptr;
  hints.ai_family = AF_UNSPEC;
  hints.ai_socktype = SOCK_STREAM;
  hints.ai_flags = AI_PASSIVE | AI_NUMERICSERV;
  std::string service = std::to_string(port);
  if (int rc = ::getaddrinfo(host.empty() ? nullptr : host.c_str(), service.c_str(), &hints, &found); rc != 0)
    return make_error("cannot listen on " + host + ":" + service + ": " + ::gai_strerror(rc));
  std::unique_ptr<addrinfo, void (*)(addrinfo*)> guard(found, ::freeaddrinfo);
  std::string why = "no address";
  for (addrinfo* a = found; a; a = a->ai_next) {
    int fd = ::socket(a->ai_family, a->ai_socktype | SOCK_NONBLOCK | SOCK_CLOEXEC, a->ai_protocol);
    if (fd < 0) continue;
    int one = 1;
    ::setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
    if (::bind(fd, a->ai_addr, a->ai_addrlen) == 0 && ::listen(fd, 1024) == 0) {
      sockaddr_storage bound{};
      socklen_t len = sizeof bound;
      ::getsockname(fd, reinterpret_cast<sockaddr*>(&bound), &len);
      std::string ip;
      int actual = 0;
      address_of(bound, ip, actual);
      listeners_.push_back(Listener{fd, {}});
      return actual;
    }
    why = std::strerror(errno);
    ::close(fd);
  }
  return make_error("cannot listen on " + host + ":" + service + " (" + why +
                    "; in use, or not an address of this machine)");
}

}  // namespace cwf::server
