#pragma once

// Replaces secret values with *** in log text.

#include <string>
#include <string_view>
#include <vector>

namespace cwf::executor {

class Masker {
 public:
  Masker() = default;
  // Values shorter than kMinLength are not masked: masking "1" would
  // destroy the log and reveal more than it hides.
  explicit Masker(std::vector<std::string> secrets);

  static constexpr std::size_t kMinLength = 3;
  bool empty() const { return secrets_.empty(); }
  std::size_t max_length() const { return max_length_; }
  // Check first: mask() always copies, and most text holds no secret.
  bool contains_secret(std::string_view text) const;
  std::string mask(std::string_view text) const;  // every secret replaced by ***

 private:
  std::vector<std::string> secrets_;  // longest first, so a secret inside another is not half-masked
  std::size_t max_length_ = 0;
};

// The secrets of an environment: values of NAMES and of variables named
// *_TOKEN, *_SECRET, *_PASSWORD, *_KEY or CONVOX_PASSWORD.
std::vector<std::string> secrets_from_env(const std::vector<std::string>& env, const std::vector<std::string>& names);

}  // namespace cwf::executor
