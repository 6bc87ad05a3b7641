#pragma once

#include <string>
#include <string_view>

namespace cwf {

// S with its bytes outside [A-Za-z0-9-._~] percent-encoded: a path segment
// or query value (GitLab's project ids: "group/name" -> "group%2Fname";
// Kubernetes' label selectors).
std::string url_encode(std::string_view s);

}  // namespace cwf
