#include "util/random.hh"

#include <openssl/rand.h>

#include <stdexcept>
#include <vector>

namespace cwf {

std::string random_hex(std::size_t n) {
  std::vector<unsigned char> bytes(n);
  if (RAND_bytes(bytes.data(), static_cast<int>(n)) != 1) throw std::runtime_error("no random bytes from OpenSSL");
  static const char* digits = "0123456789abcdef";
  std::string out;
  for (unsigned char b : bytes) out += {digits[b >> 4], digits[b & 15]};
  return out;
}

}  // namespace cwf
