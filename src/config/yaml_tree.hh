#pragma once

// A small YAML document tree built from yaml-cpp's parser events. Owning the
// tree lets us keep duplicate keys for reporting, bound nesting depth and
// alias expansion while parsing, and know whether a scalar was quoted.
// yaml_tree.cc is the only file that includes the YAML library.

#include <deque>
#include <memory>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "config/diagnostics.hh"
#include "config/source.hh"

namespace cwf::config::yaml {

enum class Kind { null, scalar, sequence, map };

// How a scalar resolves under the YAML 1.2 core schema.
enum class ScalarType { null, boolean, integer, floating, string };

struct Node {
  Kind kind = Kind::null;
  bool plain = false;               // an untagged, unquoted scalar: YAML resolves its type
  Position pos;
  const std::string* tag = nullptr;  // an explicit tag ("tag:yaml.org,2002:str"), if any
  std::string_view value;            // scalars only; owned by the Document
  // Sequences: the items. Maps: key, value, key, value... in file order,
  // duplicates kept. Aliases point at the anchored node, which is shared.
  std::span<const Node* const> children;
  std::uint64_t expanded_size = 1;  // nodes this one stands for, aliases expanded

  bool is_map() const { return kind == Kind::map; }
  bool is_sequence() const { return kind == Kind::sequence; }
  bool is_scalar() const { return kind == Kind::scalar; }
  std::size_t map_size() const { return children.size() / 2; }
  const Node& key(std::size_t i) const { return *children[2 * i]; }
  const Node& val(std::size_t i) const { return *children[2 * i + 1]; }
  // The value of the first key NAME of a map, or null.
  const Node* find(std::string_view name) const {
    for (std::size_t i = 0; is_map() && i < map_size(); ++i)
      if (key(i).is_scalar() && key(i).value == name) return &val(i);
    return nullptr;
  }
};

// Nesting deeper than this is no workflows file (the format needs 6 levels).
inline constexpr int kMaxDepth = 64;
// The limit on nodes after alias expansion: a billion-laughs file hits it
// within a few levels, a file of 1,000 workflows stays under a tenth of it.
inline constexpr std::uint64_t kMaxExpandedNodes = 250000;

class Document {
 public:
  Document() = default;
  Document(const Document&) = delete;
  Document& operator=(const Document&) = delete;
  const Node* root() const { return root_; }

 private:
  friend class TreeBuilder;
  Node& new_node();

  // Nodes in chunks: stable addresses, a handful of allocations per file.
  std::vector<std::unique_ptr<Node[]>> chunks_;
  std::size_t used_in_chunk_ = 0;
  // Scalar texts; a deque never moves its elements, so views stay valid.
  std::deque<std::string> texts_;
  std::deque<std::string> tags_;
  // Every collection's children, one after the other: one allocation for
  // the whole file instead of one per map and list.
  std::vector<const Node*> children_;
  const Node* root_ = nullptr;
};

// Parses one YAML document. Syntax errors and limit violations go to DIAGS
// and yield a document whose root is null.
std::unique_ptr<Document> parse(std::string_view text, Diagnostics& diags);
// SRC's bytes checked, then parsed into DOC: its root, or null with the
// errors (EMPTY: the message for a document with nothing in it).
const Node* parse_root(const Source& src, std::unique_ptr<Document>& doc, const char* empty, Diagnostics& diags);

ScalarType resolve(const Node& n);
ScalarType number_type(std::string_view plain_scalar);
const char* describe(const Node& n);  // "a map", "a string", "null", ...

}  // namespace cwf::config::yaml
