// libFuzzer target: the webhook signature checks. The first byte splits the
// input into a secret and a body. A signature made with the secret is always
// accepted; the same with one hex digit changed, a wrong secret, or the input
// itself as the header is never a crash, and never accepted by mistake.

#include <cstddef>
#include <cstdint>
#include <string>

#include "server/webhook.hh"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  if (size == 0) return 0;
  std::string_view rest(reinterpret_cast<const char*>(data) + 1, size - 1);
  std::size_t cut = std::min<std::size_t>(data[0], rest.size());
  std::string_view secret = rest.substr(0, cut), body = rest.substr(cut);
  using namespace cwf::server;
  std::string good = "sha256=" + hmac_sha256_hex(secret, body);
  bool accepted = github_signature_valid(secret, body, good);
  if (accepted != !secret.empty()) __builtin_trap();  // no secret configured: nothing is accepted
  std::string flipped = good;
  flipped.back() = flipped.back() == '0' ? '1' : '0';
  if (github_signature_valid(secret, body, flipped)) __builtin_trap();
  github_signature_valid(secret, body, rest);  // any header: an answer, not a crash
  github_signature_valid(rest, body, good.substr(0, good.size() / 2));
  if (gitlab_token_valid(secret, secret) != !secret.empty()) __builtin_trap();
  if (!secret.empty() && gitlab_token_valid(secret, std::string(secret) + "x")) __builtin_trap();
  return 0;
}
