#pragma once

// What the connection layer reads of a request before a worker thread takes
// it: where its head ends, its request line and the headers that decide how
// (and whether) it is served. Pure functions, so hostile heads are unit-tested.

#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <string_view>

namespace cwf::server {

struct HeadLimits {
  std::size_t max_request_line = 8192;  // beyond: 414
  std::size_t max_head = 32768;         // request line and headers; beyond: 431
  std::size_t max_headers = 100;        // beyond: 431
};

struct RequestHead {
  std::string method, target, path, query;  // path still percent-encoded
  bool http10 = false;
  bool keep_alive = true;  // HTTP/1.1 unless "Connection: close"; 1.0 only with "keep-alive"
  std::optional<std::uint64_t> content_length;
  bool chunked = false;
  std::string host;
  std::size_t size = 0;  // bytes of the head, its blank line included
};

struct HeadVerdict {
  enum class State { incomplete, complete, refused } state = State::incomplete;
  RequestHead head;
  int status = 0;  // when refused: 400, 411, 414, 431 or 501
  std::string error;
};

// Looks at the bytes read so far from a connection.
HeadVerdict parse_head(std::string_view bytes, const HeadLimits& limits = {});

// A query string's pairs, percent-decoded, with '+' as a space. Unlike
// cpp-httplib's parser, a value keeps every '=' after the first.
std::multimap<std::string, std::string> parse_query(std::string_view query);

// Whether PATH is the API's or a webhook's: its errors are JSON.
bool under_api(std::string_view path);

// %XX and '+' decoded; an invalid escape is kept as it is.
std::string url_decode(std::string_view text, bool plus_is_space);

}  // namespace cwf::server
