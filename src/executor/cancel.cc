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

void CancelToken::cancel(const std::string& why) {
  {
    std::lock_guard lock(mu_);
    if (why_.empty()) why_ = why;  // the first reason stands
  }
  cancel();
}

std::string CancelToken::reason() const {
  std::lock_guard lock(mu_);
  return why_.empty() ? "cancelled" : why_;
}

bool CancelToken::sleep_ms(int ms) const {
  pollfd p{fd_, POLLIN, 0};
  ::poll(&p, 1, ms);
  return !cancelled();
}

}  // namespace cwf::executor
