#pragma once

// Replaces secret values with *** in log text. Logs are masked line by line,
// so a multi-line secret (a private key, JSON credentials) is masked as its
// lines: each line of it, trimmed, is a value of its own, and so is each
// piece between the two-character "\n" escapes that JSON writes (a key
// inside a credentials file, printed after it was parsed).
//
// What masking can't do: a value that a task encodes (base64, hex, reversed,
// one character per line) or that has fewer than kMinLength characters passes
// unmasked. Keeping secrets out of tasks that don't list them is the defence;
// this is a net for the ones that do.

#include <string>
#include <string_view>
#include <vector>

namespace cwf {

class Masker {
 public:
  Masker() = default;
  explicit Masker(const std::vector<std::string>& secrets);

  // Shorter pieces are not masked: masking "1" would destroy the log and
  // reveal more than it hides.
  static constexpr std::size_t kMinLength = 3;
  bool empty() const { return pieces_.empty(); }
  std::size_t max_length() const { return max_length_; }
  // Check first: mask() always copies, and most text holds no secret.
  bool contains_secret(std::string_view text) const;
  std::string mask(std::string_view text) const;  // every secret replaced by ***
  // The values masked, longest first.
  const std::vector<std::string>& pieces() const { return pieces_; }

 private:
  std::vector<std::string> pieces_;  // longest first, so a secret inside another is not half-masked
  std::size_t max_length_ = 0;
};

// Whether a variable of this name holds a secret by its name alone:
// *_TOKEN, *_SECRET, *_PASSWORD, *_KEY, CONVOX_PASSWORD, RACK_URL (a rack's
// password in its userinfo).
bool secret_name(std::string_view name);
// The secrets of an environment: values of NAMES and of variables with a
// secret name.
std::vector<std::string> secrets_from_env(const std::vector<std::string>& env, const std::vector<std::string>& names);

}  // namespace cwf
