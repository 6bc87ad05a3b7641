#include "config/yaml_tree.hh"

#include <cstdlib>
#include <map>
#include <yaml.h>

#include "config/source.hh"

namespace cwf::config::yaml {
namespace {

// libyaml, not yaml-cpp: on a 1,000-workflow file yaml-cpp 0.7's scanner alone
// took ~165 ms (callgrind: half of it in YAML::RegEx), libyaml ~10 ms.

Position to_position(const yaml_mark_t& m) {
  return {static_cast<int>(m.line) + 1, static_cast<int>(m.column) + 1};
}

// Thrown by the builder to stop parsing once the file broke a limit.
struct Abort {
  Position pos;
  std::string message;
};

struct ParserHandle {
  yaml_parser_t parser;
  ParserHandle() { yaml_parser_initialize(&parser); }
  ~ParserHandle() { yaml_parser_delete(&parser); }
};

struct EventHandle {
  yaml_event_t event;
  ~EventHandle() { yaml_event_delete(&event); }
};

std::string text_of(const yaml_char_t* s) { return s ? reinterpret_cast<const char*>(s) : ""; }

}  // namespace

void Document::Free::operator()(char* p) const { std::free(p); }

Node& Document::new_node() {
  constexpr std::size_t kChunk = 4096;
  if (chunks_.empty() || used_in_chunk_ == kChunk) {
    chunks_.push_back(std::make_unique<Node[]>(kChunk));
    used_in_chunk_ = 0;
  }
  return chunks_.back()[used_in_chunk_++];
}

class TreeBuilder {
 public:
  TreeBuilder(Document& doc, Diagnostics& diags) : doc_(doc), diags_(diags) {}

  // Points each collection at its children, once the arena stopped growing.
  void finish() {
    for (const auto& s : spans_) s.node->children = {doc_.children_.data() + s.offset, s.count};
  }

  void handle(yaml_event_t& e) {
    Position pos = to_position(e.start_mark);
    switch (e.type) {
      case YAML_DOCUMENT_START_EVENT:
        if (++documents_ > 1) throw Abort{pos, "expected one YAML document, found a second (remove the '---')"};
        break;
      case YAML_ALIAS_EVENT: {
        auto it = anchors_.find(text_of(e.data.alias.anchor));
        if (it == anchors_.end()) throw Abort{pos, "alias to an unknown anchor"};
        count(it->second->expanded_size, pos);
        attach(it->second);
        break;
      }
      case YAML_SCALAR_EVENT: {
        const auto& s = e.data.scalar;
        Node& n = make(Kind::scalar, pos, s.tag);
        n.plain = !s.tag && s.style == YAML_PLAIN_SCALAR_STYLE;
        // Keep libyaml's buffer: the event no longer frees it, the Document does.
        n.value = std::string_view(reinterpret_cast<const char*>(s.value), s.length);
        doc_.texts_.emplace_back(reinterpret_cast<char*>(s.value));
        e.data.scalar.value = nullptr;
        count(1, pos);
        remember(n, s.anchor);
        attach(&n);
        break;
      }
      case YAML_SEQUENCE_START_EVENT:
        open(Kind::sequence, pos, e.data.sequence_start.tag, e.data.sequence_start.anchor);
        break;
      case YAML_MAPPING_START_EVENT:
        open(Kind::map, pos, e.data.mapping_start.tag, e.data.mapping_start.anchor);
        break;
      case YAML_SEQUENCE_END_EVENT:
      case YAML_MAPPING_END_EVENT:
        close();
        break;
      default:
        break;
    }
  }

 private:
  Node& make(Kind kind, Position pos, const yaml_char_t* tag) {
    Node& n = doc_.new_node();
    n.kind = kind;
    n.pos = pos;
    if (tag) {
      static const std::string kCore = "tag:yaml.org,2002:";
      n.tag = &doc_.tags_.emplace_back(text_of(tag));
      if (!(n.tag->starts_with(kCore) && core_tag(n.tag->substr(kCore.size()))) && *n.tag != "!")
        diags_.error(pos, "unsupported YAML tag '" + *n.tag + "'");
    }
    return n;
  }
  void count(std::uint64_t nodes, Position pos) {
    total_ += nodes;
    if (total_ > kMaxExpandedNodes)
      throw Abort{pos, "the document expands to more than " + std::to_string(kMaxExpandedNodes) +
                           " nodes, counting what each alias repeats (an alias bomb?)"};
  }
  void attach(const Node* n) {
    if (stack_.empty()) {
      doc_.root_ = n;
      return;
    }
    stack_.back().node->expanded_size += n->expanded_size;
    pending_.push_back(n);
  }
  void remember(Node& n, const yaml_char_t* anchor) {
    if (anchor) anchors_[text_of(anchor)] = &n;
  }
  void open(Kind kind, Position pos, const yaml_char_t* tag, const yaml_char_t* anchor) {
    if (static_cast<int>(stack_.size()) >= kMaxDepth)
      throw Abort{pos, "nesting deeper than " + std::to_string(kMaxDepth) + " levels"};
    count(1, pos);
    Node& n = make(kind, pos, tag);
    stack_.push_back({&n, anchor ? text_of(anchor) : std::string(), pending_.size()});
  }
  void close() {
    Open top = stack_.back();
    stack_.pop_back();
    std::size_t offset = doc_.children_.size(), n = pending_.size() - top.first_pending;
    doc_.children_.insert(doc_.children_.end(), pending_.begin() + static_cast<std::ptrdiff_t>(top.first_pending),
                          pending_.end());
    pending_.resize(top.first_pending);
    spans_.push_back({top.node, offset, n});
    // The anchor names the node once complete: an alias to it from inside
    // itself is unknown, so no cycle can be built.
    if (!top.anchor.empty()) anchors_[top.anchor] = top.node;
    attach(top.node);
  }

  static bool core_tag(const std::string& t) {
    return t == "str" || t == "int" || t == "float" || t == "bool" || t == "null" || t == "map" || t == "seq";
  }

  struct Open {
    Node* node;
    std::string anchor;
    std::size_t first_pending;  // where its children start in pending_
  };
  struct Span {
    Node* node;
    std::size_t offset, count;
  };

  Document& doc_;
  Diagnostics& diags_;
  std::vector<Open> stack_;
  std::vector<const Node*> pending_;  // children of the open collections
  std::vector<Span> spans_;
  std::map<std::string, const Node*> anchors_;
  std::uint64_t total_ = 0;
  int documents_ = 0;
};

std::unique_ptr<Document> parse(std::string_view text, Diagnostics& diags) {
  auto doc = std::make_unique<Document>();
  TreeBuilder builder(*doc, diags);
  ParserHandle p;
  yaml_parser_set_input_string(&p.parser, reinterpret_cast<const unsigned char*>(text.data()), text.size());
  try {
    for (;;) {
      EventHandle e;
      if (!yaml_parser_parse(&p.parser, &e.event)) {
        e.event.type = YAML_NO_EVENT;  // nothing to free
        Position pos = to_position(p.parser.problem_mark);
        Position tab = find_tab_indentation(text, pos.line);
        if (tab.line > 0) {
          diags.error(tab, "tab character in indentation; YAML indents with spaces only");
        } else {
          std::string msg = "invalid YAML: " + text_of(reinterpret_cast<const yaml_char_t*>(p.parser.problem));
          if (p.parser.context) msg += std::string(" ") + p.parser.context;
          diags.error(pos, msg);
        }
        return std::make_unique<Document>();
      }
      builder.handle(e.event);
      if (e.event.type == YAML_STREAM_END_EVENT) break;
    }
    builder.finish();
  } catch (const Abort& a) {
    diags.error(a.pos, a.message);
    return std::make_unique<Document>();
  }
  return doc;
}

// The YAML 1.2 core schema's numbers, without std::regex (hot: every scalar).
ScalarType number_type(std::string_view v) {
  auto digits = [](std::string_view s, auto accept) {
    if (s.empty()) return false;
    for (char c : s)
      if (!accept(c)) return false;
    return true;
  };
  auto dec = [](char c) { return c >= '0' && c <= '9'; };
  auto oct = [](char c) { return c >= '0' && c <= '7'; };
  auto hex = [](char c) { return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'f') || (c >= 'A' && c <= 'F'); };
  if (v.starts_with("0o") && digits(v.substr(2), oct)) return ScalarType::integer;
  if (v.starts_with("0x") && digits(v.substr(2), hex)) return ScalarType::integer;
  if (v == ".nan" || v == ".NaN" || v == ".NAN") return ScalarType::floating;
  std::string_view s = v;
  if (!s.empty() && (s[0] == '-' || s[0] == '+')) s.remove_prefix(1);
  if (s == ".inf" || s == ".Inf" || s == ".INF") return ScalarType::floating;
  if (digits(s, dec)) return ScalarType::integer;
  // [0-9]+(.[0-9]*)? or .[0-9]+, then an optional exponent
  std::size_t i = 0, int_digits = 0, frac_digits = 0;
  while (i < s.size() && dec(s[i])) ++i, ++int_digits;
  if (i < s.size() && s[i] == '.') {
    ++i;
    while (i < s.size() && dec(s[i])) ++i, ++frac_digits;
  }
  if (int_digits == 0 && frac_digits == 0) return ScalarType::string;
  if (i < s.size() && (s[i] == 'e' || s[i] == 'E')) {
    ++i;
    if (i < s.size() && (s[i] == '-' || s[i] == '+')) ++i;
    if (!digits(s.substr(i), dec)) return ScalarType::string;
    i = s.size();
  }
  return i == s.size() ? ScalarType::floating : ScalarType::string;
}

ScalarType resolve(const Node& n) {
  if (n.kind == Kind::null) return ScalarType::null;
  if (n.kind != Kind::scalar) return ScalarType::string;
  if (n.tag) {
    const std::string& t = *n.tag;
    if (t == "tag:yaml.org,2002:int") return ScalarType::integer;
    if (t == "tag:yaml.org,2002:float") return ScalarType::floating;
    if (t == "tag:yaml.org,2002:bool") return ScalarType::boolean;
    if (t == "tag:yaml.org,2002:null") return ScalarType::null;
    return ScalarType::string;
  }
  if (!n.plain) return ScalarType::string;  // quoted or block
  std::string_view v = n.value;
  if (v.empty() || v == "~" || v == "null" || v == "Null" || v == "NULL") return ScalarType::null;
  if (v == "true" || v == "True" || v == "TRUE" || v == "false" || v == "False" || v == "FALSE")
    return ScalarType::boolean;
  return number_type(v);
}

const char* describe(const Node& n) {
  switch (n.kind) {
    case Kind::map: return "a map";
    case Kind::sequence: return "a list";
    case Kind::null: return "nothing (null)";
    case Kind::scalar: break;
  }
  switch (resolve(n)) {
    case ScalarType::null: return "nothing (null)";
    case ScalarType::boolean: return "a boolean";
    case ScalarType::integer: return "a number";
    case ScalarType::floating: return "a number";
    case ScalarType::string: return "a string";
  }
  return "a value";
}

}  // namespace cwf::config::yaml
