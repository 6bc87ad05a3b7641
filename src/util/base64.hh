#pragma once

#include <optional>
#include <string>
#include <string_view>

namespace cwf {

// Standard base64 with padding (known_hosts lines, kubeconfig and Secret data).
std::optional<std::string> base64_decode(std::string_view text);
std::string base64_encode(std::string_view bytes);

}  // namespace cwf
