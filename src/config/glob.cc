#include "config/glob.hh"

#include <vector>

namespace cwf::config {
namespace {

// Position just past the class that starts at P[i] == '[', or npos.
std::size_t class_end(std::string_view p, std::size_t i) {
  std::size_t j = i + 1;
  if (j < p.size() && (p[j] == '!' || p[j] == '^')) ++j;
  if (j < p.size() && p[j] == ']') ++j;  // a leading ']' is literal
  while (j < p.size() && p[j] != ']') {
    if (p[j] == '/') return std::string_view::npos;
    ++j;
  }
  return j < p.size() ? j + 1 : std::string_view::npos;
}

bool class_match(std::string_view cls, char c) {
  // CLS is the text between '[' and ']'.
  bool negate = !cls.empty() && (cls[0] == '!' || cls[0] == '^');
  if (negate) cls.remove_prefix(1);
  bool hit = false;
  for (std::size_t i = 0; i < cls.size(); ++i) {
    if (i + 2 < cls.size() && cls[i + 1] == '-') {
      if (c >= cls[i] && c <= cls[i + 2]) hit = true;
      i += 2;
    } else if (cls[i] == c) {
      hit = true;
    }
  }
  return hit != negate;
}

// Memoised over (pattern position, text position), so no pattern, however
// many stars it has, costs more than |pattern| x |text| steps.
class Matcher {
 public:
  Matcher(std::string_view p, std::string_view t)
      : p_(p), t_(t), memo_((p.size() + 1) * (t.size() + 1), kUnknown) {}
  bool run() { return match(0, 0); }

 private:
  static constexpr char kUnknown = 2;

  bool match(std::size_t pi, std::size_t ti) {
    char& m = memo_[pi * (t_.size() + 1) + ti];
    if (m == kUnknown) m = compute(pi, ti) ? 1 : 0;
    return m == 1;
  }

  bool compute(std::size_t pi, std::size_t ti) {
    if (pi == p_.size()) return ti == t_.size();
    char c = p_[pi];
    if (c == '*') {
      bool dbl = pi + 1 < p_.size() && p_[pi + 1] == '*';
      std::size_t rest = pi + (dbl ? 2 : 1);
      // "**/" also matches no directory at all.
      if (dbl && rest < p_.size() && p_[rest] == '/' && match(rest + 1, ti)) return true;
      for (std::size_t k = ti;; ++k) {
        if (match(rest, k)) return true;
        if (k == t_.size() || (!dbl && t_[k] == '/')) return false;
      }
    }
    if (ti == t_.size()) return false;
    if (c == '[') {
      std::size_t end = class_end(p_, pi);
      if (end != std::string_view::npos)
        return t_[ti] != '/' && class_match(p_.substr(pi + 1, end - pi - 2), t_[ti]) &&
               match(end, ti + 1);
    }
    if (c == '?') return t_[ti] != '/' && match(pi + 1, ti + 1);
    return c == t_[ti] && match(pi + 1, ti + 1);
  }

  std::string_view p_, t_;
  std::vector<char> memo_;
};

}  // namespace

std::optional<std::string> glob_error(std::string_view p) {
  if (p.empty()) return "empty pattern";
  for (std::size_t i = 0; i < p.size(); ++i) {
    char c = p[i];
    if (c == '[') {
      std::size_t end = class_end(p, i);
      if (end == std::string_view::npos) return "unclosed '[' at character " + std::to_string(i + 1);
      if (end - i <= 2 + ((p[i + 1] == '!' || p[i + 1] == '^') ? 1 : 0)) return "empty character class";
      i = end - 1;
    } else if (c == ']') {
      return "unmatched ']' at character " + std::to_string(i + 1);
    } else if (c == '*' && i + 2 < p.size() && p[i + 1] == '*' && p[i + 2] == '*') {
      return "'***' is not a glob; use '*' or '**'";
    } else if (c == '\\') {
      return "backslashes are not supported in globs";
    }
  }
  return std::nullopt;
}

bool is_glob(std::string_view p) { return p.find_first_of("*?[") != std::string_view::npos; }

bool glob_match(std::string_view pattern, std::string_view text) {
  return Matcher(pattern, text).run();
}

}  // namespace cwf::config
