#include <catch2/catch.hpp>

#include "util/masker.hh"

using cwf::Masker;

TEST_CASE("short values are not treated as secrets") {
  CHECK(Masker({"ab", "", "1"}).empty());
  CHECK(Masker({"abc"}).mask("xabcx") == "x***x");
  CHECK(Masker({"abc", "abcdef"}).mask("abcdef abc") == "*** ***");
  CHECK(Masker({" spaced value "}).mask("a spaced value b") == "a***b");  // one line: as written, spaces too
}

TEST_CASE("a multi-line secret is masked as its lines, trimmed, short ones excepted") {
  Masker m({"-----BEGIN KEY-----\r\n  line-one-AAAA\n\nZg==\n}\n-----END KEY-----\n"});
  CHECK(m.pieces() == std::vector<std::string>{"-----BEGIN KEY-----", "-----END KEY-----", "line-one-AAAA", "Zg=="});
  CHECK(m.mask("x line-one-AAAA y") == "x *** y");
  CHECK(m.mask("}") == "}");
}

TEST_CASE("JSON credentials: their lines, and the pieces of an escaped private key") {
  std::string json =
      "{\n"
      "  \"type\": \"service_account\",\n"
      "  \"private_key\": \"-----BEGIN PRIVATE KEY-----\\nMIIEvQIBADANBgkqhkiG9w0BAQEFAASC\\nBKcwggSjAgEAAoIBAQC7\\n"
      "-----END PRIVATE KEY-----\\n\",\n"
      "  \"client_email\": \"ci@example.iam.gserviceaccount.com\"\n"
      "}\n";
  Masker m({json});
  // As cat prints the file.
  CHECK(m.mask("  \"client_email\": \"ci@example.iam.gserviceaccount.com\"") == "  ***");
  // As jq -r .private_key prints the key: its own lines.
  CHECK(m.mask("MIIEvQIBADANBgkqhkiG9w0BAQEFAASC") == "***");
  CHECK(m.mask("BKcwggSjAgEAAoIBAQC7") == "***");
  CHECK_FALSE(m.contains_secret("{"));
}

TEST_CASE("secrets come from listed names and secret-looking names") {
  auto s = cwf::secrets_from_env({"GITHUB_TOKEN=t1", "A_SECRET=s1", "DB_PASSWORD=p1", "SSH_KEY=k1",
                                  "CONVOX_PASSWORD=c1", "PATH=/bin", "MINE=m1", "KEYS=not"},
                                 {"MINE"});
  CHECK(s == std::vector<std::string>{"t1", "s1", "p1", "k1", "c1", "m1"});
}

TEST_CASE("a rack URL is a secret, and so is the password in it") {
  auto s = cwf::secrets_from_env({"RACK_URL=https://convox:pa55word@rack.example.com", "HOME=/root"}, {});
  CHECK(s == std::vector<std::string>{"pa55word", "https://convox:pa55word@rack.example.com"});
  CHECK(Masker(s).mask("password pa55word") == "password ***");
}
