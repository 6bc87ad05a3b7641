// The plan comment on a config pull request: the plan, or the errors, fenced
// so that the pull request's text can't escape into Markdown.

#include <catch2/catch.hpp>

#include "runner/plan_comment.hh"

using namespace cwf;

namespace {

const std::string kBase = R"(version: 1
workflows:
  - name: deploy
    trigger: {integration: github, repository: acme/web, branch: main}
    tasks: [{type: script, command: "make deploy"}]
)";

runner::PlanSides sides(const config::LoadResult* head, const config::LoadResult* base) {
  return {".convox-workflows.yml", std::string(40, 'a'), "main", std::string(40, 'b'), head, base};
}

}  // namespace

TEST_CASE("plan comment: what changes, against the base branch's file") {
  auto base = config::load_string(".convox-workflows.yml", kBase);
  std::string changed = kBase;
  changed.replace(changed.find("make deploy"), 11, "make ```deploy```");
  auto head = config::load_string(".convox-workflows.yml",
                                  changed + "  - name: review\n    trigger: {integration: github, repository: acme/web, "
                                            "pull_request: {}}\n    tasks: [{type: script, command: \"make test\"}]\n");
  std::string c = runner::plan_comment(sides(&head, &base));
  INFO(c);
  CHECK(c.find("<!-- convox-workflows: plan -->\n") == 0);
  CHECK(c.find("### convox-workflows: plan of `.convox-workflows.yml` at `aaaaaaaaaaaa`") != std::string::npos);
  CHECK(c.find("Against `main` (`bbbbbbbbbbbb`): 1 added, 1 changed, 0 removed.") != std::string::npos);
  CHECK(c.find("+ review") != std::string::npos);
  // Three backticks in the file: the fence is four.
  CHECK(c.find("\n````text\n") != std::string::npos);
  CHECK(c.rfind("````\n") == c.size() - 5);

  CHECK(runner::plan_comment(sides(&base, &base)).find("Merged, it changes no workflow.") != std::string::npos);
  CHECK(runner::plan_comment(sides(&head, nullptr)).find(", which has no valid workflows file: 2 added") !=
        std::string::npos);
}

TEST_CASE("plan comment: the head's errors with their positions; a deleted file") {
  auto base = config::load_string(".convox-workflows.yml", kBase);
  auto bad = config::load_string(".convox-workflows.yml", kBase + "  - name: Bad\n    tasks: []\n");
  std::string c = runner::plan_comment(sides(&bad, &base));
  INFO(c);
  CHECK(c.find("### convox-workflows: `.convox-workflows.yml` is invalid at `aaaaaaaaaaaa`") != std::string::npos);
  CHECK(c.find("errors; merged, it changes nothing (the runner keeps its last good file):") != std::string::npos);
  CHECK(c.find("\n```text\n.convox-workflows.yml:6:11: error: ") != std::string::npos);
  CHECK(runner::plan_comment(sides(nullptr, &base)).find("this pull request deletes `.convox-workflows.yml`") !=
        std::string::npos);
  CHECK(runner::unchanged_comment(".convox-workflows.yml", std::string(40, 'c')).find("no longer changes") !=
        std::string::npos);

  std::string huge = kBase;
  for (int i = 0; i < 3000; ++i)
    huge += "  - name: w" + std::to_string(i) + "\n    trigger: {integration: github, repository: acme/web, branch: "
            "main}\n    tasks: [{type: script, command: \"echo " + std::string(40, 'x') + "\"}]\n";
  auto big = config::load_string(".convox-workflows.yml", huge);
  REQUIRE(big.config);
  std::string cut = runner::plan_comment(sides(&big, &base));
  CHECK(cut.size() < 61000);
  CHECK(cut.find("(cut: run convox-workflows plan for the rest)") != std::string::npos);
}
