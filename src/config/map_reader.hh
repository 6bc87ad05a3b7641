#pragma once

// Reading one YAML map against the keys it may hold: duplicate and unknown
// keys (with "did you mean"), required keys and typed values are reported
// here once for every map of the format.

#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "config/diagnostics.hh"
#include "config/duration.hh"
#include "config/yaml_tree.hh"

namespace cwf::config {

class MapReader {
 public:
  // WHAT names the map in messages ("workflow 'deploy'", "build task").
  // Keys starting with "x-" are extension
  // keys when ALLOW_EXTENSIONS is set.
  MapReader(const yaml::Node& node, std::string what, const std::vector<std::string>& allowed,
            Diagnostics& diags, bool allow_extensions = false);

  bool ok() const { return ok_; }  // NODE was a map
  const yaml::Node* get(std::string_view key) const;
  const yaml::Node* require(const std::string& key);
  Position pos() const { return node_.pos; }

  std::optional<std::string> string(const std::string& key, bool required = false);
  std::optional<bool> boolean(const std::string& key);
  // Longer than a week only with a MAX beyond: then days too ("14d").
  std::optional<Seconds> duration(const std::string& key, Seconds max = kMaxDuration);
  // A list of strings; reports an empty list when NON_EMPTY.
  std::optional<std::vector<std::string>> strings(const std::string& key, bool non_empty);
  // A map of NAME: scalar (numbers and booleans are kept as written).
  std::optional<std::map<std::string, std::string>> string_map(const std::string& key);

  Diagnostics& diags() { return diags_; }
  const std::string& what() const { return what_; }

 private:
  void check_duplicates();

  const yaml::Node& node_;
  std::string what_;
  Diagnostics& diags_;
  std::vector<std::pair<std::string_view, const yaml::Node*>> values_;  // known keys, first wins
  std::vector<std::string> suggested_;  // keys a "did you mean" already named
  bool ok_ = false;
};

// A scalar that must be a string: not a number, boolean or null the way YAML
// resolves it, so `branch: 1.10` is an error and not the string "1.1".
// The label "WHAT: KEY" is only built for the message.
std::optional<std::string> as_string(const yaml::Node& n, const std::string& what, std::string_view key,
                                     Diagnostics& diags);

}  // namespace cwf::config
