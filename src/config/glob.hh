#pragma once

// Globs for branch names and changed paths. '*' and '?' stay within one
// '/'-separated segment, '**' spans segments, '[abc]', '[a-z]' and '[!a]'
// match one character. The same rules drive the JSON Schema's pattern.

#include <optional>
#include <string>
#include <string_view>

namespace cwf::config {

// nullopt when PATTERN is a valid glob, else why it is not.
std::optional<std::string> glob_error(std::string_view pattern);
bool glob_match(std::string_view pattern, std::string_view text);
bool is_glob(std::string_view pattern);

}  // namespace cwf::config
