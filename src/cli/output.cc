#include "cli/output.hh"

#include <nlohmann/json.hpp>
#include <ostream>

namespace cwf::cli {

void print_diagnostics(std::ostream& out, const std::string& file, const config::Diagnostics& diags) {
  auto items = diags.sorted();
  for (std::size_t i = 0; i < items.size() && i < kMaxShown; ++i)
    out << config::format_diagnostic(file, items[i]) << "\n";
  if (items.size() > kMaxShown) out << file << ": ... and " << items.size() - kMaxShown << " more\n";
}

nlohmann::json diagnostics_to_json(const config::Diagnostics& diags) {
  nlohmann::json list = nlohmann::json::array();
  for (const auto& d : diags.sorted())
    list.push_back({{"line", d.pos.line},
                    {"column", d.pos.column},
                    {"severity", config::severity_name(d.severity)},
                    {"message", d.message}});
  return list;
}

bool valid_format(const std::string& format) { return format == "text" || format == "json"; }

}  // namespace cwf::cli
