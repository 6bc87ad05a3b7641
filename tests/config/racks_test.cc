#include <catch2/catch.hpp>

#include "config/loader.hh"
#include "config/racks.hh"
#include "test_support.hh"

using namespace cwf;
using namespace cwf::config;

namespace {

std::vector<std::string> errors(const RacksResult& r) {
  std::vector<std::string> out;
  for (const auto& d : r.diags.sorted()) out.push_back(format_diagnostic("racks.yml", d));
  return out;
}

Racks must_load(const std::string& text) {
  auto r = load_racks(source_from_string("racks.yml", text));
  for (const auto& e : errors(r)) INFO(e);
  REQUIRE(r.racks.has_value());
  return *r.racks;
}

const char* kWorkflows = R"(version: 1
defaults: {rack: acme/staging}
workflows:
  - name: deploy
    trigger: {integration: git, repository: "file:///srv/t.git", branch: main}
    tasks:
      - {type: build, app: web}
      - {type: promote, app: web, rack: acme/production, release: RABC}
      - {type: script, command: echo}
)";

}  // namespace

TEST_CASE("a racks file: each rack's RACK_URL, its password from the URL or a file, percent-encoded") {
  test::TempDir tmp;
  test::write_file(tmp.path() / "prod", "p@ss:w/rd\n");
  Racks r = must_load("racks:\n  acme/staging: {url: \"https://convox:s3cret@rack.staging.example\"}\n"
                      "  acme/production: {url: \"https://rack.production.example/\", password_file: " +
                      (tmp.path() / "prod").string() + "}\ndefault: acme/staging\n");
  REQUIRE(r.racks.size() == 2);
  CHECK(r.default_rack == "acme/staging");
  CHECK(r.find("acme/staging")->url == "https://convox:s3cret@rack.staging.example");
  CHECK(r.find("acme/staging")->password == "s3cret");
  CHECK(r.find("acme/production")->url == "https://convox:p%40ss%3Aw%2Frd@rack.production.example/");
  CHECK(r.find("acme/production")->password == "p@ss:w/rd");
  CHECK(r.find("acme/other") == nullptr);
}

TEST_CASE("a racks file's mistakes, with their places, never its passwords") {
  auto r = load_racks(source_from_string(
      "racks.yml", "racks:\n  a/one: {url: \"ftp://convox:hunter22@h\"}\n  a/two: {url: \"https://h.example\"}\n"
                   "  a/three: {url: \"https://convox:x@h\", password_file: /nope}\n  a/four: {urll: x}\n"));
  auto e = errors(r);
  REQUIRE(e.size() == 4);
  for (const auto& line : e) CHECK(line.find("hunter22") == std::string::npos);
  CHECK(e[0] == "racks.yml:2:16: error: racks: a/one: url: expected https://[convox:PASSWORD@]HOST");
  CHECK(e[1] == "racks.yml:3:16: error: racks: a/two: no password: put it in url (https://convox:PASSWORD@host) or "
                "password_file");
  CHECK(e[2].find("racks.yml:4:55: error: racks: a/three: give the password in url or in password_file, not both") == 0);
  CHECK(e[3].find("racks.yml:5:12: error: racks: a/four: unknown key") == 0);
  auto d = load_racks(source_from_string("racks.yml", "racks:\n  a/one: {url: \"https://convox:x@h\"}\ndefault: a/two\n"));
  REQUIRE(errors(d).size() == 1);
  CHECK(errors(d)[0] == "racks.yml:3:10: error: default: 'a/two' is not one of the racks");
}

TEST_CASE("with a racks file, every convox task's rack must be in it") {
  Racks racks = must_load("racks:\n  acme/staging: {url: \"https://convox:a@s\"}\n  acme/production: {url: \"https://convox:b@p\"}\n");
  auto ok = load_string("t.yml", kWorkflows, LoadOptions{&racks, ""});
  REQUIRE(ok.config.has_value());
  CHECK(ok.config->workflows[0].tasks[0].rack == "acme/staging");
  Racks one = must_load("racks:\n  acme/staging: {url: \"https://convox:a@s\"}\n");
  auto bad = load_string("t.yml", kWorkflows, LoadOptions{&one, ""});
  REQUIRE(bad.diags.items().size() == 1);
  CHECK(format_diagnostic("t.yml", bad.diags.items()[0]) ==
        "t.yml:8:41: error: workflow 'deploy': tasks[1] (promote): rack: 'acme/production' is not in the racks file "
        "(it has: acme/staging)");
  // defaults.rack is checked where it is written.
  Racks prod = must_load("racks:\n  acme/production: {url: \"https://convox:b@p\"}\n");
  auto d = load_string("t.yml", kWorkflows, LoadOptions{&prod, ""});
  REQUIRE(!d.diags.items().empty());
  CHECK(format_diagnostic("t.yml", d.diags.sorted()[0]).find("t.yml:2:18: error: workflow 'deploy': tasks[0] (build): rack: ") == 0);
  // No rack at all, and no default: an error, not the CLI's current rack.
  std::string plain = kWorkflows;
  plain.replace(plain.find("defaults: {rack: acme/staging}\n"), 31, "");
  auto none = load_string("t.yml", plain, LoadOptions{&racks, ""});
  REQUIRE(!none.diags.items().empty());
  CHECK(none.diags.sorted()[0].message.find("no rack: set rack (or defaults.rack), or a default in the racks file") !=
        std::string::npos);
  Racks with_default = must_load("racks:\n  acme/staging: {url: \"https://convox:a@s\"}\n  acme/production: {url: "
                                 "\"https://convox:b@p\"}\ndefault: acme/production\n");
  auto def = load_string("t.yml", plain, LoadOptions{&with_default, ""});
  REQUIRE(def.config.has_value());
  CHECK(def.config->workflows[0].tasks[0].rack == "acme/production");
}

TEST_CASE("with a racks file, a copy's from.rack must be in it too, and defaults to the file's default") {
  Racks racks = must_load("racks:\n  acme/staging: {url: \"https://convox:a@s\"}\n  acme/production: {url: "
                          "\"https://convox:b@p\"}\ndefault: acme/staging\n");
  auto head = std::string("version: 1\nworkflows:\n  - name: deploy\n    trigger: {integration: git, repository: "
                          "\"file:///srv/t.git\", branch: main}\n    tasks:\n");
  auto ok = load_string("t.yml", head + "      - {type: copy, build: BABC, from: {app: web}, rack: acme/production}\n",
                        LoadOptions{&racks, ""});
  REQUIRE(ok.config.has_value());
  CHECK(ok.config->workflows[0].tasks[0].from_rack == "acme/staging");
  auto bad = load_string("t.yml", head + "      - {type: copy, build: BABC, from: {app: web, rack: acme/eu}, rack: "
                                         "acme/production}\n",
                         LoadOptions{&racks, ""});
  REQUIRE(bad.diags.items().size() == 1);
  CHECK(format_diagnostic("t.yml", bad.diags.items()[0]) ==
        "t.yml:6:58: error: workflow 'deploy': tasks[0] (copy): from: rack: 'acme/eu' is not in the racks file (it has: "
        "acme/production, acme/staging)");
}
