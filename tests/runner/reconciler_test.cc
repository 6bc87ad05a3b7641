// The reconciler: a valid revision applies, an invalid one keeps the last good config and says why.

#include <catch2/catch.hpp>

#include "runner/reconciler.hh"

using cwf::runner::Reconciler;

namespace {

std::string workflows(const std::string& names_and_branches) {
  std::string out = "version: 1\nworkflows:\n";
  std::size_t start = 0;
  while (start < names_and_branches.size()) {
    std::size_t end = names_and_branches.find(',', start);
    if (end == std::string::npos) end = names_and_branches.size();
    std::string item = names_and_branches.substr(start, end - start);
    std::size_t colon = item.find(':');
    out += "  - name: " + item.substr(0, colon) +
           "\n    trigger: {integration: git, repository: \"file:///r.git\", branch: " + item.substr(colon + 1) +
           "}\n    tasks: [{type: script, command: \"true\"}]\n";
    start = end + 1;
  }
  return out;
}

}  // namespace

TEST_CASE("a valid revision is applied with what changed") {
  Reconciler r("file wf.yml");
  CHECK_FALSE(r.status().ready);
  auto first = r.offer("rev1", "wf.yml", workflows("a:main,b:main"));
  CHECK(first.applied);
  CHECK(first.plan.changes.size() == 2);
  CHECK(r.current()->workflows.size() == 2);

  auto second = r.offer("rev2", "wf.yml", workflows("a:develop,c:main"));
  REQUIRE(second.applied);
  CHECK(cwf::runner::one_line(second.plan) ==
        "+1 ~1 -1: - b; ~ a: trigger.branch: \"main\" -> \"develop\"; + c");
  auto s = r.status();
  CHECK(s.ready);
  CHECK(s.last_applied_revision == "rev2");
  CHECK(s.workflows == 2);
}

TEST_CASE("a commit that leaves the file alone moves the revision quietly") {
  Reconciler r("git x main:wf.yml");
  REQUIRE(r.offer("c1", "wf.yml", workflows("a:main")).applied);
  auto again = r.offer("c2", "wf.yml", workflows("a:main"));
  CHECK_FALSE(again.attempted);
  CHECK(r.status().last_applied_revision == "c2");
  CHECK(r.status().last_attempted_revision == "c2");
}

TEST_CASE("an invalid revision changes nothing and its errors stay visible") {
  Reconciler r("file wf.yml");
  REQUIRE(r.offer("good", "wf.yml", workflows("a:main")).applied);
  auto before = r.current();
  auto bad = r.offer("bad", "wf.yml", "version: 1\nworkflows:\n  - name: a\n    trigger: {}\n    tasks: []\n");
  CHECK(bad.attempted);
  CHECK_FALSE(bad.applied);
  REQUIRE_FALSE(bad.errors.empty());
  CHECK_THAT(bad.errors[0], Catch::StartsWith("wf.yml:4:"));
  CHECK(r.current() == before);
  auto s = r.status();
  CHECK_FALSE(s.ready);
  CHECK(s.last_applied_revision == "good");
  CHECK(s.last_attempted_revision == "bad");
  CHECK(s.errors == bad.errors);

  SECTION("the same revision is not tried twice") { CHECK_FALSE(r.offer("bad", "wf.yml", "").attempted); }
  SECTION("a fixed revision applies and clears the errors") {
    CHECK(r.offer("fixed", "wf.yml", workflows("a:main,b:main")).applied);
    CHECK(r.status().ready);
    CHECK(r.status().errors.empty());
  }
  SECTION("reverting to the last good content applies it again") {
    auto back = r.offer("good2", "wf.yml", workflows("a:main"));
    CHECK(back.applied);
    CHECK(back.plan.empty());
    CHECK(cwf::runner::one_line(back.plan) == "no change");
  }
}

TEST_CASE("a revision that cannot be read is rejected once, keeping the config") {
  Reconciler r("git x main:wf.yml");
  REQUIRE(r.offer("good", "wf.yml", workflows("a:main")).applied);
  CHECK(r.reject("abc", "wf.yml does not exist at abc").attempted);
  CHECK_FALSE(r.reject("abc", "wf.yml does not exist at abc").attempted);
  CHECK_FALSE(r.status().ready);
  CHECK(r.current()->workflows.size() == 1);
}

TEST_CASE("a restored config is trusted until the source says otherwise") {
  Reconciler r("file wf.yml");
  REQUIRE(r.restore("saved", "wf.yml", workflows("a:main"), 42));
  CHECK(r.status().ready);
  CHECK(r.status().last_applied_at == 42);
  CHECK_FALSE(r.offer("saved", "wf.yml", workflows("a:main")).attempted);
  CHECK_FALSE(r.restore("x", "wf.yml", "not: [valid", 43));
}

TEST_CASE("a long plan is cut on its log line") {
  Reconciler r("file wf.yml");
  std::string many;
  for (int i = 0; i < 25; ++i) many += (i ? "," : "") + std::string("w") + std::to_string(i) + ":main";
  auto out = r.offer("rev", "wf.yml", workflows(many));
  REQUIRE(out.applied);
  CHECK_THAT(cwf::runner::one_line(out.plan), Catch::StartsWith("+25 ~0 -0: + w0; ") && Catch::EndsWith("; and 15 more"));
}
