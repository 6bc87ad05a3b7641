#pragma once

// How diagnostics reach a terminal or a machine.

#include <iosfwd>
#include <memory>
#include <nlohmann/json_fwd.hpp>
#include <optional>
#include <string>
#include <vector>

#include "config/diagnostics.hh"
#include "config/racks.hh"

namespace cwf::cli {

// Prints FILE:LINE:COL lines, at most kMaxShown, then how many were left out.
void print_diagnostics(std::ostream& out, const std::string& file, const config::Diagnostics& diags);
nlohmann::json diagnostics_to_json(const config::Diagnostics& diags);

inline constexpr std::size_t kMaxShown = 100;

// --racks-file PATH: its racks, or null (its errors printed to ERR as
// FILE:LINE:COL lines; the caller exits 2). An empty PATH: no racks file.
std::optional<std::shared_ptr<const config::Racks>> read_racks_file(const std::string& path, std::ostream& err);
// Every rack password and URL, for masking.
std::vector<std::string> rack_secrets(const config::Racks* racks);

// "text" or "json"; anything else is a usage error the caller reports.
bool valid_format(const std::string& format);

}  // namespace cwf::cli
