#include <catch2/catch.hpp>
#include <chrono>

#include "config/yaml_tree.hh"

using namespace cwf::config;
using yaml::ScalarType;

namespace {

std::unique_ptr<yaml::Document> parse(const std::string& text, Diagnostics& d) { return yaml::parse(text, d); }

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
