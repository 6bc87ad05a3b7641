#pragma once

#include <cstddef>
#include <string>

namespace cwf {

// N random bytes from OpenSSL's CSPRNG, as 2N hex digits (session ids, form
// tokens, container names). Throws if OpenSSL has none to give.
std::string random_hex(std::size_t n);

}  // namespace cwf
