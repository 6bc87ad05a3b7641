#include "executor/masker.hh"

#include <algorithm>
#include <cstring>

namespace cwf::executor {

Masker::Masker(std::vector<std::string> secrets) {
  for (auto& s : secrets)
    if (s.size() >= kMinLength) secrets_.push_back(std::move(s));
  std::sort(secrets_.begin(), secrets_.end(), [](const auto& a, const auto& b) { return a.size() > b.size(); });
  secrets_.erase(std::unique(secrets_.begin(), secrets_.end()), secrets_.end());
  for (const auto& s : secrets_) max_length_ = std::max(max_length_, s.size());
}

bool Masker::contains_secret(std::string_view text) const {
  for (const auto& s : secrets_)
    if (::memmem(text.data(), text.size(), s.data(), s.size())) return true;
  return false;
}

std::string Masker::mask(std::string_view text) const {
  std::string out(text);
  for (const auto& s : secrets_) {
    std::size_t pos = 0;
    while ((pos = out.find(s, pos)) != std::string::npos) {
      out.replace(pos, s.size(), "***");
      pos += 3;
    }
  }
  return out;
}

std::vector<std::string> secrets_from_env(const std::vector<std::string>& env, const std::vector<std::string>& names) {
  std::vector<std::string> out;
  for (const auto& kv : env) {
    std::size_t eq = kv.find('=');
    if (eq == std::string::npos) continue;
    std::string_view name(kv.data(), eq);
    bool listed = std::find(names.begin(), names.end(), name) != names.end();
    bool secret_name = name.ends_with("_TOKEN") || name.ends_with("_SECRET") || name.ends_with("_PASSWORD") ||
                       name.ends_with("_KEY") || name == "CONVOX_PASSWORD";
    if (listed || secret_name) out.push_back(kv.substr(eq + 1));
  }
  return out;
}

}  // namespace cwf::executor
