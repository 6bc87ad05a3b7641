#include "config/yaml_tree.hh"

#include <algorithm>
#include <istream>
#include <streambuf>
#include <utility>
#include <yaml-cpp/eventhandler.h>
#include <yaml-cpp/exceptions.h>
#include <yaml-cpp/mark.h>
#include <yaml-cpp/parser.h>

#include "config/source.hh"

namespace cwf::config::yaml {
namespace {

// Thrown by the builder to stop parsing once the file broke a limit.
struct Abort {
  Position pos;
  std::string message;
};

// Lets yaml-cpp read the text in place instead of through a copy in an istringstream.
class ViewBuffer : public std::streambuf {
 public:
  explicit ViewBuffer(std::string_view text) {
    char* p = const_cast<char*>(text.data());  // a get area is only read
    setg(p, p, p + text.size());
  }
};

// yaml-cpp's marks count bytes (and skip a byte-order mark); our positions,
// like the byte checks in source.cc, count characters. A cursor makes the
// conversion cost the distance between two events, even on one long line.
class Locator {
 public:
  explicit Locator(std::string_view text) : text_(text) {
    if (text_.starts_with("\xEF\xBB\xBF")) byte_ = bom_ = 3;
  }

  std::size_t byte_of(const YAML::Mark& m) const {
    if (m.is_null() || m.pos < 0) return text_.size();
    return std::min(text_.size(), static_cast<std::size_t>(m.pos) + bom_);
  }

  Position at(std::size_t byte) {
    byte = std::clamp(byte, bom_, text_.size());
    if (byte < byte_) {  // back to the start of BYTE's line
      line_ -= static_cast<int>(std::count(text_.begin() + static_cast<std::ptrdiff_t>(byte),
                                           text_.begin() + static_cast<std::ptrdiff_t>(byte_), '\n'));
      std::size_t nl = byte == 0 ? std::string_view::npos : text_.rfind('\n', byte - 1);
      byte_ = nl == std::string_view::npos ? bom_ : nl + 1;
      column_ = 1;
    }
    for (; byte_ < byte; ++byte_) {
      unsigned char c = static_cast<unsigned char>(text_[byte_]);
      if (c == '\n') {
        ++line_;
        column_ = 1;
      } else if ((c & 0xC0) != 0x80) {  // not a UTF-8 continuation byte
        ++column_;
      }
    }
    return {line_, column_};
  }
  Position at(const YAML::Mark& m) { return at(byte_of(m)); }

 private:
  std::string_view text_;
  std::size_t bom_ = 0;
  std::size_t byte_ = 0;
  int line_ = 1, column_ = 1;
};

// The node's text after its properties (&anchor, !tag).
std::string_view content_of(std::string_view rest) {
  while (!rest.empty() && (rest[0] == '&' || rest[0] == '!')) {
    std::size_t end = rest.find_first_of(" \t\r\n");
    if (end == std::string_view::npos) return {};
    rest.remove_prefix(end);
    rest.remove_prefix(std::min(rest.size(), rest.find_first_not_of(" \t")));
  }
  return rest;
}

// yaml-cpp reports `~`, `null` and an empty value alike, as a null event.
// libyaml gave the null's own text, and an empty value the position right
// after its ':', '-' or ',': messages about a missing value point there.
std::string_view null_word(std::string_view rest) {
  rest = content_of(rest);
  for (std::string_view w : {"~", "null", "Null", "NULL"}) {
    if (!rest.starts_with(w)) continue;
    std::string_view after = rest.substr(w.size());
    if (after.empty() || std::string_view(" \t\r\n,]}#").find(after[0]) != std::string_view::npos) return w;
  }
  return {};
}

// yaml-cpp 0.7 takes a quoted scalar that a line break and the end of the
// file cut short as if it were closed there; libyaml refused it, and so do we.
// Returns false when REST, starting at the opening quote, has no closing one.
bool quote_closes(std::string_view rest) {
  char q = rest[0];
  for (std::size_t i = 1; i < rest.size(); ++i) {
    if (q == '"' && rest[i] == '\\') {
      ++i;
    } else if (rest[i] == q) {
      if (q == '\'' && i + 1 < rest.size() && rest[i + 1] == '\'') ++i;  // '' is an escaped quote
      else return true;
    }
  }
  return false;
}

// Where an empty value is: after the last character before BYTE that is not
// blank or a comment, scanning no further back than FLOOR.
std::size_t after_previous_token(std::string_view text, std::size_t byte, std::size_t floor) {
  std::size_t end = byte;
  while (end > floor) {
    std::size_t nl = text.rfind('\n', end - 1);
    std::size_t start = nl == std::string_view::npos || nl < floor ? floor : nl + 1;
    std::string_view line = text.substr(start, end - start);
    for (std::size_t hash = line.find('#'); hash != std::string_view::npos; hash = line.find('#', hash + 1)) {
      if (hash == 0 || line[hash - 1] == ' ' || line[hash - 1] == '\t') {
        line = line.substr(0, hash);
        break;
      }
    }
    std::size_t last = line.find_last_not_of(" \t\r");
    if (last != std::string_view::npos) return start + last + 1;
    if (start == floor) break;
    end = start - 1;  // the '\n' before this line
  }
  return byte;
}

// yaml-cpp's messages, in the wording the project has always used (libyaml's,
// which is what YAML users meet in most tools). Matched by prefix: some carry
// the offending text after a colon.
std::string describe_error(const std::string& msg) {
  namespace E = YAML::ErrorMsg;
  struct Wording {
    const char* yaml_cpp;
    const char* ours;
  };
  static const Wording kWordings[] = {
      {E::END_OF_MAP_FLOW, "did not find expected ',' or '}' while parsing a flow mapping"},
      {E::END_OF_SEQ_FLOW, "did not find expected ',' or ']' while parsing a flow sequence"},
      {E::END_OF_MAP, "did not find expected key while parsing a block mapping"},
      {E::END_OF_SEQ, "did not find expected '-' indicator while parsing a block sequence"},
      {E::MAP_VALUE, "mapping values are not allowed in this context"},
      {E::MAP_KEY, "mapping keys are not allowed in this context"},
      {E::BLOCK_ENTRY, "block sequence entries are not allowed in this context"},
      {E::FLOW_END, "found an unmatched ']' or '}'"},
      {E::EOF_IN_SCALAR, "found unexpected end of stream while scanning a quoted scalar"},
      {E::DOC_IN_SCALAR, "found unexpected document indicator while scanning a quoted scalar"},
      {E::CHAR_IN_SCALAR, "found a character that is not allowed in a plain scalar"},
      {E::SINGLE_QUOTED_CHAR, "found a character that is not allowed in a single-quoted scalar"},
      {E::INVALID_ESCAPE, "found unknown escape character while parsing a quoted scalar"},
      {E::INVALID_HEX, "did not find expected hexdecimal number while parsing a quoted scalar"},
      {E::INVALID_UNICODE, "found invalid Unicode character escape code while parsing a quoted scalar"},
      {E::UNKNOWN_TOKEN, "found character that cannot start any token"},
      {E::ALIAS_NOT_FOUND, "did not find expected alphabetic or numeric character while scanning an alias"},
      {E::CHAR_IN_ALIAS, "did not find expected alphabetic or numeric character while scanning an alias"},
      {E::ANCHOR_NOT_FOUND, "did not find expected alphabetic or numeric character while scanning an anchor"},
      {E::CHAR_IN_ANCHOR, "did not find expected alphabetic or numeric character while scanning an anchor"},
      {E::ZERO_INDENT_IN_BLOCK, "found an indentation indicator equal to 0 while scanning a block scalar"},
      {E::CHAR_IN_BLOCK, "did not find expected comment or line break while scanning a block scalar"},
      {E::CHAR_IN_TAG_HANDLE, "did not find expected '!' while scanning a tag"},
      {E::TAG_WITH_NO_SUFFIX, "did not find expected tag URI while scanning a tag"},
      {E::END_OF_VERBATIM_TAG, "did not find the expected '>' while scanning a tag"},
      {E::MULTIPLE_TAGS, "a node has more than one tag"},
      {E::MULTIPLE_ANCHORS, "a node has more than one anchor"},
      {E::MULTIPLE_ALIASES, "a node is more than one alias"},
      {E::ALIAS_CONTENT, "an alias cannot have a tag, an anchor or content"},
      {E::TAB_IN_INDENTATION, "found a tab character where an indentation space is expected"},
      {E::YAML_DIRECTIVE_ARGS, "found an invalid %YAML directive"},
      {E::YAML_VERSION, "found an incompatible YAML document"},
      {E::YAML_MAJOR_VERSION, "found an incompatible YAML document"},
      {E::REPEATED_YAML_DIRECTIVE, "found duplicate %YAML directive"},
      {E::TAG_DIRECTIVE_ARGS, "found an invalid %TAG directive"},
      {E::REPEATED_TAG_DIRECTIVE, "found duplicate %TAG directive"},
  };
  for (const auto& w : kWordings)
    if (msg.starts_with(w.yaml_cpp)) return std::string("invalid YAML: ") + w.ours;
  return "invalid YAML: " + msg;
}

}  // namespace

Node& Document::new_node() {
  constexpr std::size_t kChunk = 4096;
  if (chunks_.empty() || used_in_chunk_ == kChunk) {
    chunks_.push_back(std::make_unique<Node[]>(kChunk));
    used_in_chunk_ = 0;
  }
  return chunks_.back()[used_in_chunk_++];
}

class TreeBuilder final : public YAML::EventHandler {
 public:
  TreeBuilder(Document& doc, Diagnostics& diags, std::string_view text)
      : doc_(doc), diags_(diags), text_(text), locator_(text) {}

  // Points each collection at its children, once the arena stopped growing.
  void finish() {
    for (const auto& s : spans_) s.node->children = {doc_.children_.data() + s.offset, s.count};
  }

  Locator& locator() { return locator_; }

  void OnDocumentStart(const YAML::Mark& mark) override {
    if (++documents_ > 1) throw Abort{position(mark), "expected one YAML document, found a second (remove the '---')"};
  }
  void OnDocumentEnd() override {}

  void OnNull(const YAML::Mark& mark, YAML::anchor_t anchor) override {
    std::size_t byte = locator_.byte_of(mark);
    std::size_t floor = std::exchange(last_byte_, std::max(last_byte_, byte));  // the back-scan stops there
    std::string_view word = null_word(text_.substr(byte));
    bool has_properties = byte < text_.size() && (text_[byte] == '&' || text_[byte] == '!');
    if (word.empty() && !has_properties) {
      // yaml-cpp 0.7 reads `[a, , b]` as having a null; YAML (and libyaml) has no empty flow entry.
      if (!stack_.empty() && stack_.back().flow_sequence)
        throw Abort{locator_.at(byte), "invalid YAML: did not find expected node content while parsing a flow node"};
      byte = after_previous_token(text_, byte, floor);
    }
    Node& n = make(Kind::scalar, locator_.at(byte), "?");
    n.plain = true;
    n.value = word;  // a literal: static storage
    add_scalar(n, anchor);
  }

  void OnAlias(const YAML::Mark& mark, YAML::anchor_t anchor) override {
    Position pos = position(mark);
    const Node* target = anchor < anchors_.size() ? anchors_[anchor] : nullptr;
    if (!target) throw Abort{pos, "alias to an unknown anchor"};
    count(target->expanded_size, pos);
    attach(target);
  }

  void OnScalar(const YAML::Mark& mark, const std::string& tag, YAML::anchor_t anchor,
                const std::string& value) override {
    Node& n = make(Kind::scalar, position(mark), tag);
    n.plain = tag == "?";  // yaml-cpp's non-specific tag of a plain scalar ("!" when quoted or block)
    if (!n.plain) {
      std::string_view content = content_of(text_.substr(locator_.byte_of(mark)));
      if (!content.empty() && (content[0] == '"' || content[0] == '\'') && !quote_closes(content))
        throw Abort{locator_.at(text_.size()),
                    "invalid YAML: found unexpected end of stream while scanning a quoted scalar"};
    }
    n.value = doc_.texts_.emplace_back(value);
    add_scalar(n, anchor);
  }

  void OnSequenceStart(const YAML::Mark& mark, const std::string& tag, YAML::anchor_t anchor,
                       YAML::EmitterStyle::value style) override {
    open(Kind::sequence, mark, tag, anchor);
    stack_.back().flow_sequence = style == YAML::EmitterStyle::Flow;
  }
  void OnSequenceEnd() override { close(); }
  void OnMapStart(const YAML::Mark& mark, const std::string& tag, YAML::anchor_t anchor,
                  YAML::EmitterStyle::value) override {
    open(Kind::map, mark, tag, anchor);
  }
  void OnMapEnd() override { close(); }

 private:
  Position position(const YAML::Mark& mark) {
    last_byte_ = std::max(last_byte_, locator_.byte_of(mark));
    return locator_.at(mark);
  }
  Node& make(Kind kind, Position pos, const std::string& tag) {
    Node& n = doc_.new_node();
    n.kind = kind;
    n.pos = pos;
    // "?" and "!" are yaml-cpp's non-specific tags: no tag was written.
    if (tag != "?" && tag != "!") {
      static const std::string kCore = "tag:yaml.org,2002:";
      n.tag = &doc_.tags_.emplace_back(tag);
      if (!(tag.starts_with(kCore) && core_tag(tag.substr(kCore.size()))))
        diags_.error(pos, "unsupported YAML tag " + quote(tag));
    }
    return n;
  }
  void add_scalar(Node& n, YAML::anchor_t anchor) {
    count(1, n.pos);
    remember(n, anchor);
    attach(&n);
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
  // yaml-cpp numbers anchors 1, 2, 3... as they appear; a redefined name gets a new number.
  void remember(const Node& n, YAML::anchor_t anchor) {
    if (anchor == YAML::NullAnchor) return;
    if (anchor >= anchors_.size()) anchors_.resize(anchor + 1, nullptr);
    anchors_[anchor] = &n;
  }
  void open(Kind kind, const YAML::Mark& mark, const std::string& tag, YAML::anchor_t anchor) {
    Position pos = position(mark);
    if (static_cast<int>(stack_.size()) >= kMaxDepth)
      throw Abort{pos, "nesting deeper than " + std::to_string(kMaxDepth) + " levels"};
    count(1, pos);
    Node& n = make(kind, pos, tag);
    stack_.push_back({&n, anchor, pending_.size()});
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
    remember(*top.node, top.anchor);
    attach(top.node);
  }

  static bool core_tag(const std::string& t) {
    return t == "str" || t == "int" || t == "float" || t == "bool" || t == "null" || t == "map" || t == "seq";
  }

  struct Open {
    Node* node;
    YAML::anchor_t anchor;
    std::size_t first_pending;  // where its children start in pending_
    bool flow_sequence = false;
  };
  struct Span {
    Node* node;
    std::size_t offset, count;
  };

  Document& doc_;
  Diagnostics& diags_;
  std::string_view text_;
  Locator locator_;
  std::size_t last_byte_ = 0;  // the furthest event so far
  std::vector<Open> stack_;
  std::vector<const Node*> pending_;  // children of the open collections
  std::vector<Span> spans_;
  std::vector<const Node*> anchors_;  // by yaml-cpp's anchor number
  std::uint64_t total_ = 0;
  int documents_ = 0;
};

std::unique_ptr<Document> parse(std::string_view text, Diagnostics& diags) {
  auto doc = std::make_unique<Document>();
  TreeBuilder builder(*doc, diags, text);
  ViewBuffer buffer(text);
  std::istream in(&buffer);
  try {
    YAML::Parser parser(in);
    while (parser.HandleNextDocument(builder)) {
    }
    builder.finish();
  } catch (const Abort& a) {
    diags.error(a.pos, a.message);
    return std::make_unique<Document>();
  } catch (const YAML::Exception& e) {
    std::size_t byte = builder.locator().byte_of(e.mark);
    // yaml-cpp marks a bad escape after it; libyaml, and a reader, at its backslash.
    if (e.msg.starts_with(YAML::ErrorMsg::INVALID_ESCAPE))
      for (std::size_t back = 1; back <= 5 && back <= byte; ++back)
        if (text[byte - back] == '\\') {
          byte -= back;
          break;
        }
    Position pos = builder.locator().at(byte);
    Position tab = find_tab_indentation(text, pos.line);
    if (tab.line > 0)
      diags.error(tab, "tab character in indentation; YAML indents with spaces only");
    else if (e.msg == YAML::ErrorMsg::UNKNOWN_ANCHOR)
      diags.error(pos, "alias to an unknown anchor");
    else
      diags.error(pos, describe_error(e.msg));
    return std::make_unique<Document>();
  } catch (const std::exception& e) {  // yaml-cpp's own slips (none known): still an error, never a crash
    diags.error({1, 1}, std::string("invalid YAML: ") + e.what());
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

const Node* parse_root(const Source& src, std::unique_ptr<Document>& doc, const char* empty, Diagnostics& diags) {
  if (!check_source_bytes(src, diags)) return nullptr;
  doc = parse(src.text, diags);
  if (diags.has_errors()) return nullptr;
  const Node* root = doc->root();
  if (!root || root->kind == Kind::null) {
    diags.error({1, 1}, empty);
    return nullptr;
  }
  return root;
}

}  // namespace cwf::config::yaml
