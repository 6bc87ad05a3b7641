#include "cli/output.hh"

#include <nlohmann/json.hpp>
#include <ostream>

#include "config/source.hh"

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

std::optional<std::shared_ptr<const config::Racks>> read_racks_file(const std::string& path, std::ostream& err) {
  if (path.empty()) return std::shared_ptr<const config::Racks>();
  auto src = config::read_source(path);
  if (!src) {
    err << "--racks-file: " << src.error().message << "\n";
    return std::nullopt;
  }
  auto loaded = config::load_racks(*src);
  // The author's own terminal: the full messages (they never quote a password).
  print_diagnostics(err, src->name, loaded.diags);
  if (!loaded.racks) return std::nullopt;
  return std::make_shared<const config::Racks>(std::move(*loaded.racks));
}

std::vector<std::string> rack_secrets(const config::Racks* racks) {
  std::vector<std::string> out;
  if (!racks) return out;
  for (const auto& [name, rack] : racks->racks) {
    out.push_back(rack.password);
    out.push_back(rack.url);
  }
  return out;
}

}  // namespace cwf::cli
