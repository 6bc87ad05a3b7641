#include "config/map_reader.hh"

#include <algorithm>
#include <numeric>

#include "config/names.hh"

namespace cwf::config {
namespace {

std::string quoted(std::string_view s) { return "'" + std::string(s) + "'"; }

std::string label(const std::string& what, std::string_view key) {
  return key.empty() ? what : what + ": " + std::string(key);
}

}  // namespace

std::optional<std::string> as_string(const yaml::Node& n, const std::string& what, std::string_view key,
                                     Diagnostics& diags) {
  if (n.is_scalar() && yaml::resolve(n) == yaml::ScalarType::string) return std::string(n.value);
  std::string msg = label(what, key) + ": expected a string, got " + yaml::describe(n);
  if (n.is_scalar() && yaml::resolve(n) != yaml::ScalarType::null) msg += " (quote it: \"" + std::string(n.value) + "\")";
  diags.error(n.pos, msg);
  return std::nullopt;
}

MapReader::MapReader(const yaml::Node& node, std::string what, const std::vector<std::string>& allowed,
                     Diagnostics& diags, bool allow_extensions)
    : node_(node), what_(std::move(what)), diags_(diags) {
  if (!node.is_map()) {
    diags_.error(node.pos, what_ + ": expected a map, got " + yaml::describe(node));
    return;
  }
  ok_ = true;
  check_duplicates();
  for (std::size_t i = 0; i < node.map_size(); ++i) {
    const yaml::Node& k = node.key(i);
    if (!k.is_scalar()) {
      diags_.error(k.pos, what_ + ": a key must be a plain word, got " + std::string(yaml::describe(k)));
      continue;
    }
    std::string_view key = k.value;
    if (get(key)) continue;  // a duplicate, reported above
    bool known = std::find(allowed.begin(), allowed.end(), key) != allowed.end();
    if (known) {
      values_.emplace_back(key, &node.val(i));
    } else if (!(allow_extensions && key.starts_with("x-"))) {
      std::string msg = what_ + ": unknown key " + quote(key);
      if (auto near = closest_match(key, allowed)) {
        msg += "; did you mean " + quoted(*near) + "?";
        suggested_.push_back(*near);
      }
      diags_.error(k.pos, msg);
    }
  }
}

// Sorting the keys keeps a hostile map of many keys from costing n^2; the
// maps of the format are small, and a pairwise look costs no allocation.
void MapReader::check_duplicates() {
  auto report = [&](std::size_t first, std::size_t dup) {
    diags_.error(node_.key(dup).pos, what_ + ": duplicate key " + quote(node_.key(dup).value) +
                                         " (first defined at line " + std::to_string(node_.key(first).pos.line) + ")");
  };
  if (node_.map_size() <= 16) {
    for (std::size_t j = 1; j < node_.map_size(); ++j) {
      if (!node_.key(j).is_scalar()) continue;
      for (std::size_t i = 0; i < j; ++i) {
        if (node_.key(i).is_scalar() && node_.key(i).value == node_.key(j).value) {
          report(i, j);
          break;
        }
      }
    }
    return;
  }
  std::vector<std::size_t> order(node_.map_size());
  std::iota(order.begin(), order.end(), 0);
  auto key = [&](std::size_t i) -> std::string_view {
    const yaml::Node& k = node_.key(i);
    return k.is_scalar() ? std::string_view(k.value) : std::string_view();
  };
  // Stable: within a run of equal keys, the first in the file comes first.
  std::stable_sort(order.begin(), order.end(), [&](std::size_t a, std::size_t b) { return key(a) < key(b); });
  std::size_t first = 0;
  for (std::size_t j = 0; j < order.size(); ++j) {
    if (j == 0 || key(order[j]) != key(first)) {
      first = order[j];
      continue;
    }
    if (node_.key(order[j]).is_scalar()) report(first, order[j]);
  }
}

const yaml::Node* MapReader::get(std::string_view key) const {
  for (const auto& [k, v] : values_)
    if (k == key) return v;
  return nullptr;
}

const yaml::Node* MapReader::require(const std::string& key) {
  const yaml::Node* n = get(key);
  bool named = std::find(suggested_.begin(), suggested_.end(), key) != suggested_.end();
  if (!n && ok_ && !named) diags_.error(node_.pos, what_ + ": missing required key " + quoted(key));
  return n;
}

std::optional<std::string> MapReader::string(const std::string& key, bool required) {
  const yaml::Node* n = required ? require(key) : get(key);
  if (!n) return std::nullopt;
  auto s = as_string(*n, what_, key, diags_);
  if (s && s->empty()) {
    diags_.error(n->pos, label(what_, key) + " cannot be empty");
    return std::nullopt;
  }
  return s;
}

std::optional<bool> MapReader::boolean(const std::string& key) {
  const yaml::Node* n = get(key);
  if (!n) return std::nullopt;
  if (n->is_scalar() && yaml::resolve(*n) == yaml::ScalarType::boolean) return n->value[0] == 't' || n->value[0] == 'T';
  diags_.error(n->pos, label(what_, key) + ": expected true or false, got " + yaml::describe(*n));
  return std::nullopt;
}

std::optional<Seconds> MapReader::duration(const std::string& key, Seconds max) {
  const yaml::Node* n = get(key);
  if (!n) return std::nullopt;
  if (n->is_scalar() && yaml::resolve(*n) == yaml::ScalarType::string) {
    if (auto d = parse_duration(n->value, max, max > kMaxDuration)) return d;
  }
  std::string got = n->is_scalar() ? quote(n->value) : yaml::describe(*n);
  diags_.error(n->pos, label(what_, key) + ": bad duration " + got +
                           (max > kMaxDuration ? "; use days, hours, minutes and seconds such as 12h, 7d, 1d12h (at most " +
                                                     std::to_string(max.count() / 86400) + "d)"
                                               : "; use hours, minutes and seconds such as 90s, 10m, 1h30m (at most 168h)"));
  return std::nullopt;
}

std::optional<std::vector<std::string>> MapReader::strings(const std::string& key, bool non_empty) {
  const yaml::Node* n = get(key);
  if (!n) return std::nullopt;
  if (!n->is_sequence()) {
    diags_.error(n->pos, label(what_, key) + ": expected a list, got " + yaml::describe(*n));
    return std::nullopt;
  }
  if (non_empty && n->children.empty()) {
    diags_.error(n->pos, label(what_, key) + " cannot be an empty list");
    return std::nullopt;
  }
  std::vector<std::string> out;
  bool ok = true;
  for (std::size_t i = 0; i < n->children.size(); ++i) {
    const yaml::Node& item = *n->children[i];
    if (item.is_scalar() && yaml::resolve(item) == yaml::ScalarType::string) {
      out.emplace_back(item.value);
    } else {
      as_string(item, what_, key + "[" + std::to_string(i) + "]", diags_);
      ok = false;
    }
  }
  if (!ok) return std::nullopt;
  return out;
}

std::optional<std::map<std::string, std::string>> MapReader::string_map(const std::string& key) {
  const yaml::Node* n = get(key);
  if (!n) return std::nullopt;
  static const std::vector<std::string> kAnyKey;
  if (!n->is_map()) {
    diags_.error(n->pos, label(what_, key) + ": expected a map, got " + yaml::describe(*n));
    return std::nullopt;
  }
  std::map<std::string, std::string> out;
  bool ok = true;
  for (std::size_t i = 0; i < n->map_size(); ++i) {
    const yaml::Node& k = n->key(i);
    const yaml::Node& v = n->val(i);
    if (!k.is_scalar()) {
      diags_.error(k.pos, label(what_, key) + ": a key must be a name, got " + yaml::describe(k));
      ok = false;
    } else if (auto e = env_name_error(k.value)) {
      diags_.error(k.pos, label(what_, key) + ": invalid name " + quote(k.value) + ": " + *e);
      ok = false;
    } else if (!v.is_scalar() || yaml::resolve(v) == yaml::ScalarType::null) {
      diags_.error(v.pos, label(what_, key) + "." + std::string(k.value) + ": expected a string, got " + yaml::describe(v));
      ok = false;
    } else if (!out.emplace(k.value, v.value).second) {
      diags_.error(k.pos, label(what_, key) + ": duplicate key " + quote(k.value));
      ok = false;
    }
  }
  if (!ok) return std::nullopt;
  return out;
}

}  // namespace cwf::config
