#include "executor/cancel.hh"

#include <cstdint>
#include <poll.h>
#include <sys/eventfd.h>
#include <unistd.h>

namespace cwf::executor {

CancelToken::CancelToken() : fd_(::eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK)) {}
CancelToken::~CancelToken() { ::close(fd_); }

void CancelToken::cancel() {
  cancelled_.store(true);
  std::uint64_t one = 1;
  [[maybe_unused]] ssize_t n = ::write(fd_, &one, sizeof one);
}

bool CancelToken::sleep_ms(int ms) const {
  pollfd p{fd_, POLLIN, 0};
  ::poll(&p, 1, ms);
  return !cancelled();
}

}  // namespace cwf::executor
