#pragma once

// How diagnostics reach a terminal or a machine.

#include <iosfwd>
#include <nlohmann/json_fwd.hpp>
#include <string>

#include "config/diagnostics.hh"

namespace cwf::cli {

// Prints FILE:LINE:COL lines, at most kMaxShown, then how many were left out.
void print_diagnostics(std::ostream& out, const std::string& file, const config::Diagnostics& diags);
nlohmann::json diagnostics_to_json(const config::Diagnostics& diags);

inline constexpr std::size_t kMaxShown = 100;

// "text" or "json"; anything else is a usage error the caller reports.
bool valid_format(const std::string& format);

}  // namespace cwf::cli
