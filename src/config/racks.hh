#pragma once

// The racks file (--racks-file): which Convox racks the runner acts on and
// how to reach each, so a task's `rack:` decides where it goes. The convox
// CLI lets RACK_URL win over --rack and CONVOX_RACK; the executor sets
// RACK_URL per task from here, and nothing else picks the rack.
//
//   racks:
//     acme/staging:    {url: "https://convox:PASSWORD@rack.staging.example"}
//     acme/production: {url: "https://rack.production.example", password_file: /run/secrets/prod}
//   default: acme/staging

#include <map>
#include <optional>
#include <string>

#include "config/diagnostics.hh"
#include "config/source.hh"

namespace cwf::config {

struct Rack {
  std::string name;
  std::string url;       // RACK_URL: https://convox:PASSWORD@host, the password percent-encoded
  std::string password;  // for masking
  Position pos;
};

struct Racks {
  std::map<std::string, Rack> racks;
  std::string default_rack;  // for tasks that name none; may be empty
  const Rack* find(const std::string& name) const {
    auto it = racks.find(name);
    return it == racks.end() ? nullptr : &it->second;
  }
};

struct RacksResult {
  std::optional<Racks> racks;
  Diagnostics diags;
};

// Every problem with a position; password_file is read now.
RacksResult load_racks(const Source& src);

}  // namespace cwf::config
