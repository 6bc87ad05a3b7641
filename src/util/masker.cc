#include "util/masker.hh"

#include <algorithm>
#include <cstring>

namespace cwf {
namespace {

std::string_view trimmed(std::string_view s) {
  while (!s.empty() && (s.front() == ' ' || s.front() == '\t' || s.front() == '\r')) s.remove_prefix(1);
  while (!s.empty() && (s.back() == ' ' || s.back() == '\t' || s.back() == '\r')) s.remove_suffix(1);
  return s;
}

// S split at every SEPARATOR.
std::vector<std::string_view> split(std::string_view s, std::string_view separator) {
  std::vector<std::string_view> out;
  for (std::size_t at; (at = s.find(separator)) != std::string_view::npos; s.remove_prefix(at + separator.size()))
    out.push_back(s.substr(0, at));
  out.push_back(s);
  return out;
}

}  // namespace

Masker::Masker(const std::vector<std::string>& secrets) {
  auto add = [this](std::string_view piece) {
    piece = trimmed(piece);
    if (piece.size() >= kMinLength) pieces_.emplace_back(piece);
  };
  for (const auto& secret : secrets) {
    if (secret.find('\n') == std::string::npos && secret.find("\\n") == std::string::npos) {
      if (secret.size() >= kMinLength) pieces_.push_back(secret);  // one line: as it is, spaces and all
      continue;
    }
    for (std::string_view line : split(secret, "\n")) {
      add(line);
      if (line.find("\\n") != std::string_view::npos)
        for (std::string_view piece : split(line, "\\n")) add(piece);
    }
  }
  std::sort(pieces_.begin(), pieces_.end(),
            [](const auto& a, const auto& b) { return a.size() != b.size() ? a.size() > b.size() : a < b; });
  pieces_.erase(std::unique(pieces_.begin(), pieces_.end()), pieces_.end());
  for (const auto& s : pieces_) max_length_ = std::max(max_length_, s.size());
}

bool Masker::contains_secret(std::string_view text) const {
  for (const auto& s : pieces_)
    if (::memmem(text.data(), text.size(), s.data(), s.size())) return true;
  return false;
}

std::string Masker::mask(std::string_view text) const {
  std::string out(text);
  for (const auto& s : pieces_) {
    std::size_t pos = 0;
    while ((pos = out.find(s, pos)) != std::string::npos) {
      out.replace(pos, s.size(), "***");
      pos += 3;
    }
  }
  return out;
}

bool secret_name(std::string_view name) {
  return name.ends_with("_TOKEN") || name.ends_with("_SECRET") || name.ends_with("_PASSWORD") ||
         name.ends_with("_KEY") || name == "CONVOX_PASSWORD" || name == "RACK_URL";
}

std::vector<std::string> secrets_from_env(const std::vector<std::string>& env, const std::vector<std::string>& names) {
  std::vector<std::string> out;
  for (const auto& kv : env) {
    std::size_t eq = kv.find('=');
    if (eq == std::string::npos) continue;
    std::string_view name(kv.data(), eq);
    if (!secret_name(name) && std::find(names.begin(), names.end(), name) == names.end()) continue;
    std::string value = kv.substr(eq + 1);
    // A URL's password on its own too: a task may print just that.
    if (std::size_t scheme = value.find("://"); scheme != std::string::npos) {
      std::size_t at = value.find('@', scheme), colon = value.find(':', scheme + 3);
      if (at != std::string::npos && colon < at && value.find('/', scheme + 3) > at)
        out.push_back(value.substr(colon + 1, at - colon - 1));
    }
    out.push_back(std::move(value));
  }
  return out;
}

}  // namespace cwf
