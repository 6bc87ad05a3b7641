// The edge's reading of request heads: hostile and malformed ones included.

#include <catch2/catch.hpp>

#include "server/http_head.hh"

using namespace cwf::server;
using State = HeadVerdict::State;

TEST_CASE("a head is complete only at its blank line, and its fields are read") {
  CHECK(parse_head("GET / HTTP/1.1\r\nHost: a").state == State::incomplete);
  CHECK(parse_head("").state == State::incomplete);
  CHECK(parse_head("\r\n\r\n").state == State::incomplete);  // blank lines before a request are allowed
  auto v = parse_head("POST /hooks/github?x=1 HTTP/1.1\r\nHost: ci.example.com\r\nContent-Length: 12\r\n"
                      "Connection: keep-alive, Upgrade\r\n\r\n{\"a\": 1}");
  REQUIRE(v.state == State::complete);
  CHECK(v.head.method == "POST");
  CHECK(v.head.path == "/hooks/github");
  CHECK(v.head.query == "x=1");
  CHECK(v.head.host == "ci.example.com");
  CHECK(v.head.content_length == 12u);
  CHECK(v.head.keep_alive);
  CHECK(std::string("POST /hooks/github?x=1 HTTP/1.1\r\nHost: ci.example.com\r\nContent-Length: 12\r\n"
                    "Connection: keep-alive, Upgrade\r\n\r\n")
            .size() == v.head.size);
  auto old = parse_head("GET /healthz HTTP/1.0\r\n\r\n");
  REQUIRE(old.state == State::complete);
  CHECK_FALSE(old.head.keep_alive);
  CHECK(parse_head("GET / HTTP/1.1\r\nHost: a\r\nConnection: close\r\n\r\n").head.keep_alive == false);
  CHECK(parse_head("GET /#frag HTTP/1.1\r\nHost: a\r\n\r\n").head.path == "/#frag");
}

TEST_CASE("heads past the limits, smuggling shapes and bodies without a length are refused") {
  HeadLimits small;
  small.max_request_line = 64;
  small.max_head = 256;
  small.max_headers = 4;
  auto status = [&](const std::string& text) {
    auto v = parse_head(text, small);
    return v.state == State::refused ? v.status : 0;
  };
  CHECK(status("GET /" + std::string(100, 'a')) == 414);  // known before the line ends
  CHECK(status("GET /" + std::string(100, 'a') + " HTTP/1.1\r\n\r\n") == 414);
  CHECK(status("GET / HTTP/1.1\r\nHost: a\r\nX: " + std::string(300, 'b')) == 431);
  CHECK(status("GET / HTTP/1.1\r\nHost: a\r\nA: 1\r\nB: 1\r\nC: 1\r\nD: 1\r\n\r\n") == 431);
  CHECK(status("GET / HTTP/1.1\r\n\r\n") == 400);  // no Host
  CHECK(status("GET / HTTP/1.1\r\nHost: a\r\nHost: b\r\n\r\n") == 400);
  CHECK(status("GET / HTTP/2.0\r\nHost: a\r\n\r\n") == 400);
  CHECK(status("GET http://a/ HTTP/1.1\r\nHost: a\r\n\r\n") == 400);
  CHECK(status("G(T / HTTP/1.1\r\nHost: a\r\n\r\n") == 400);
  CHECK(status("GET / HTTP/1.1\r\nHost: a\r\n folded\r\n\r\n") == 400);
  CHECK(status("POST / HTTP/1.1\r\nHost: a\r\nContent-Length: 5\r\nContent-Length: 6\r\n\r\n") == 400);
  CHECK(status("POST / HTTP/1.1\r\nHost: a\r\nContent-Length: 5\r\nTransfer-Encoding: chunked\r\n\r\n") == 400);
  CHECK(status("POST / HTTP/1.1\r\nHost: a\r\nContent-Length: -5\r\n\r\n") == 400);
  CHECK(status("POST / HTTP/1.1\r\nHost: a\r\nContent-Length: 99999999999999999999\r\n\r\n") == 400);
  CHECK(status("POST / HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: gzip, chunked\r\n\r\n") == 501);
  CHECK(status("POST / HTTP/1.1\r\nHost: a\r\n\r\n") == 411);
  auto chunked = parse_head("POST / HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: chunked\r\n\r\n");
  REQUIRE(chunked.state == State::complete);
  CHECK(chunked.head.chunked);
}

TEST_CASE("a query keeps '=' inside values and decodes escapes") {
  auto q = parse_query("workflow=x=all&state=&flag&name=a%20b+c&bad=%zz&workflow=second");
  CHECK(q.find("workflow")->second == "x=all");  // the first of two
  CHECK(q.count("workflow") == 2);
  CHECK(q.find("state")->second.empty());
  CHECK(q.count("flag") == 1);
  CHECK(q.find("name")->second == "a b c");
  CHECK(q.find("bad")->second == "%zz");
  CHECK(parse_query("").empty());
  CHECK(url_decode("%41%4", false) == "A%4");
}
