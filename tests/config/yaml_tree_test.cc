#include <catch2/catch.hpp>
#include <chrono>

#include "config/yaml_tree.hh"

using namespace cwf::config;
using yaml::ScalarType;

namespace {

std::unique_ptr<yaml::Document> parse(const std::string& text, Diagnostics& d) { return yaml::parse(text, d); }

struct ErrorCase {
  const char* text;
  int line, column;
  const char* message;
};

// TEXT gives exactly one error, MESSAGE at LINE:COLUMN, and no document.
void expect_one_error(const ErrorCase& c) {
  INFO(c.text);
  Diagnostics d;
  auto doc = parse(c.text, d);
  REQUIRE(d.error_count() == 1);
  CHECK(d.items()[0].message == c.message);
  CHECK(d.items()[0].pos.line == c.line);
  CHECK(d.items()[0].pos.column == c.column);
  CHECK(doc->root() == nullptr);
}

}  // namespace

TEST_CASE("positions are 1-based and duplicate keys are kept") {
  Diagnostics d;
  auto doc = parse("a: 1\nb:\n  - x\na: 2\n", d);
  REQUIRE_FALSE(d.has_errors());
  const yaml::Node& root = *doc->root();
  REQUIRE(root.map_size() == 3);
  CHECK(root.key(0).pos.line == 1);
  CHECK(root.key(0).pos.column == 1);
  CHECK(root.val(1).children[0]->pos.line == 3);
  CHECK(root.val(1).children[0]->pos.column == 5);
  CHECK(root.key(2).value == "a");
  CHECK(root.val(2).value == "2");
}

TEST_CASE("scalars resolve by the YAML 1.2 core schema - quotes make strings") {
  Diagnostics d;
  auto doc = parse("[1, 0x1F, 1.5, .inf, true, False, ~, null, yes, '1', \"true\", !!str 7, main, 1.10.2]", d);
  REQUIRE_FALSE(d.has_errors());
  std::vector<ScalarType> want = {ScalarType::integer, ScalarType::integer, ScalarType::floating,
                                  ScalarType::floating, ScalarType::boolean, ScalarType::boolean,
                                  ScalarType::null,    ScalarType::null,    ScalarType::string,
                                  ScalarType::string,  ScalarType::string,  ScalarType::string,
                                  ScalarType::string,  ScalarType::string};
  const auto& items = doc->root()->children;
  REQUIRE(items.size() == want.size());
  for (std::size_t i = 0; i < want.size(); ++i) {
    INFO(i << ": " << items[i]->value);
    CHECK(yaml::resolve(*items[i]) == want[i]);
  }
}

TEST_CASE("aliases share the anchored node") {
  Diagnostics d;
  auto doc = parse("a: &x {k: v}\nb: *x\n", d);
  REQUIRE_FALSE(d.has_errors());
  CHECK(&doc->root()->val(0) == &doc->root()->val(1));
}

TEST_CASE("an alias bomb is stopped while parsing, quickly") {
  std::string bomb = "a: &a [x, x, x, x, x, x, x, x, x, x]\n";
  std::string prev = "a";
  for (char c = 'b'; c <= 'j'; ++c) {
    std::string name(1, c);
    bomb += name + ": &" + name + " [";
    for (int i = 0; i < 10; ++i) bomb += (i ? ", *" : "*") + prev;
    bomb += "]\n";
    prev = name;
  }
  Diagnostics d;
  auto start = std::chrono::steady_clock::now();
  auto doc = parse(bomb, d);
  auto elapsed = std::chrono::steady_clock::now() - start;
  REQUIRE(d.has_errors());
  CHECK(d.items()[0].message.find("alias bomb") != std::string::npos);
  CHECK(d.items()[0].pos.line == 6);  // the second alias to e in f passes 250,000 nodes
  CHECK(doc->root() == nullptr);
  CHECK(elapsed < std::chrono::seconds(2));
}

TEST_CASE("deep nesting is an error, not a stack overflow") {
  for (bool flow : {true, false}) {
    std::string text;
    if (flow) {
      text = std::string(10000, '[') + std::string(10000, ']');
    } else {
      for (int i = 0; i < 10000; ++i) text += std::string(static_cast<std::size_t>(i), ' ') + "k:\n";
    }
    Diagnostics d;
    parse(text, d);
    INFO("flow=" << flow);
    REQUIRE(d.has_errors());
    CHECK(d.items()[0].message.find("nesting deeper than 64 levels") != std::string::npos);
  }
}

TEST_CASE("syntax errors carry the parser's position") {
  Diagnostics d;
  parse("a: [1, 2\nb: 3\n", d);
  REQUIRE(d.error_count() == 1);
  CHECK(d.items()[0].message.starts_with("invalid YAML: "));
  CHECK(d.items()[0].pos.line >= 1);
}

TEST_CASE("a second document is refused") {
  Diagnostics d;
  parse("a: 1\n---\nb: 2\n", d);
  REQUIRE(d.error_count() == 1);
  CHECK(d.items()[0].pos.line == 2);
}

TEST_CASE("columns count characters, not bytes, and a byte-order mark is not a column") {
  Diagnostics d;
  auto doc = parse("\xEF\xBB\xBF" "a: \xC3\xA9t\xC3\xA9\nb: [\xC3\xA9, x]\n", d);
  REQUIRE_FALSE(d.has_errors());
  const yaml::Node& root = *doc->root();
  CHECK(root.key(0).pos.column == 1);
  CHECK(root.val(0).value == "\xC3\xA9t\xC3\xA9");
  const yaml::Node& list = root.val(1);
  REQUIRE(list.children.size() == 2);
  CHECK(list.children[1]->pos.line == 2);
  CHECK(list.children[1]->pos.column == 8);  // "b: [é, x]": x is the 8th character
}

TEST_CASE("a missing value is an empty plain scalar right after its ':' or '-'") {
  Diagnostics d;
  auto doc = parse("a:   # nothing here\n  # nor here\nb: ~\nc:\n  -\n  - null\nd: &n\n", d);
  REQUIRE_FALSE(d.has_errors());
  const yaml::Node& root = *doc->root();
  const yaml::Node& a = root.val(0);
  CHECK(a.is_scalar());
  CHECK(a.plain);
  CHECK(a.value.empty());
  CHECK(yaml::resolve(a) == ScalarType::null);
  CHECK(a.pos.line == 1);
  CHECK(a.pos.column == 3);
  CHECK(root.val(1).value == "~");
  CHECK(root.val(1).pos.column == 4);
  const yaml::Node& c = root.val(2);
  REQUIRE(c.children.size() == 2);
  CHECK(c.children[0]->pos.line == 5);
  CHECK(c.children[0]->pos.column == 4);
  CHECK(c.children[1]->value == "null");
  CHECK(yaml::resolve(*c.children[1]) == ScalarType::null);
  CHECK(root.val(3).pos.column == 4);  // at its anchor
}

TEST_CASE("quoted and block scalars are strings, tags are kept, an unknown tag is reported") {
  Diagnostics d;
  auto doc = parse("a: 'it''s'\nb: |\n  line\nc: !!int 7\nd: !custom x\n", d);
  const yaml::Node& root = *doc->root();
  CHECK(root.val(0).value == "it's");
  CHECK_FALSE(root.val(0).plain);
  CHECK(root.val(1).value == "line\n");
  CHECK(yaml::resolve(root.val(1)) == ScalarType::string);
  REQUIRE(root.val(2).tag != nullptr);
  CHECK(*root.val(2).tag == "tag:yaml.org,2002:int");
  REQUIRE(d.error_count() == 1);
  CHECK(d.items()[0].message == "unsupported YAML tag '!custom'");
  CHECK(d.items()[0].pos.line == 5);
}

TEST_CASE("what yaml-cpp 0.7 lets through and YAML does not is refused") {
  const ErrorCase cases[] = {
      // A quoted scalar left open at the end of the file (yaml-cpp closes it there).
      {"a: \"open\n", 2, 1, "invalid YAML: found unexpected end of stream while scanning a quoted scalar"},
      {"a: 'it''s\n", 2, 1, "invalid YAML: found unexpected end of stream while scanning a quoted scalar"},
      {"a: \"x\\\"\n", 2, 1, "invalid YAML: found unexpected end of stream while scanning a quoted scalar"},
      // An empty entry in a flow sequence (yaml-cpp reads a null).
      {"a: [x, , y]\n", 1, 8, "invalid YAML: did not find expected node content while parsing a flow node"},
      {"a: [, y]\n", 1, 5, "invalid YAML: did not find expected node content while parsing a flow node"},
  };
  for (const auto& c : cases) expect_one_error(c);
  Diagnostics d;
  parse("a: [x, y, ]\nb: {c: , d}\n", d);  // a trailing comma and empty map values are YAML
  CHECK_FALSE(d.has_errors());
}

TEST_CASE("yaml-cpp's errors come out in the project's wording, at the offending character") {
  const ErrorCase cases[] = {
      {"a: \"a\\qb\"\n", 1, 6, "invalid YAML: found unknown escape character while parsing a quoted scalar"},
      {"a: [1, 2\n", 2, 1, "invalid YAML: did not find expected ',' or ']' while parsing a flow sequence"},
      {"a: [1]]\n", 1, 7, "invalid YAML: found an unmatched ']' or '}'"},
      {"a: *nowhere\n", 1, 4, "alias to an unknown anchor"},
      {"a: &x [*x]\n", 1, 8, "alias to an unknown anchor"},  // an anchor names its node once complete
      {"a: b: c\n", 1, 5, "invalid YAML: mapping values are not allowed in this context"},
  };
  for (const auto& c : cases) expect_one_error(c);
}

TEST_CASE("a long single line costs linear time to locate") {
  // A 500 KB flow list on one line: positions are found from a cursor, not by
  // rescanning the line for every event.
  std::string text = "a: [";
  for (int i = 0; i < 50000; ++i) text += "xxxxxxxx, ";
  text += "y]\n";
  Diagnostics d;
  auto start = std::chrono::steady_clock::now();
  auto doc = parse(text, d);
  auto elapsed = std::chrono::steady_clock::now() - start;
  REQUIRE_FALSE(d.has_errors());
  const auto& items = doc->root()->val(0).children;
  REQUIRE(items.size() == 50001);
  CHECK(items.back()->pos.column == 5 + 50000 * 10);
  CHECK(elapsed < std::chrono::seconds(20));  // quadratic would be hours; this bounds a hang, not speed
}
