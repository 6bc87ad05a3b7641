#include "server/http_head.hh"

#include <algorithm>
#include <cctype>

namespace cwf::server {
namespace {

bool iequals(std::string_view a, std::string_view b) {
  return a.size() == b.size() &&
         std::equal(a.begin(), a.end(), b.begin(), [](char x, char y) { return std::tolower(x) == std::tolower(y); });
}

std::string_view trim(std::string_view s) {
  while (!s.empty() && (s.front() == ' ' || s.front() == '\t')) s.remove_prefix(1);
  while (!s.empty() && (s.back() == ' ' || s.back() == '\t')) s.remove_suffix(1);
  return s;
}

bool is_token(std::string_view s) {  // RFC 9110's tchar
  if (s.empty()) return false;
  return std::all_of(s.begin(), s.end(), [](char c) {
    auto u = static_cast<unsigned char>(c);
    return std::isalnum(u) || std::string_view("!#$%&'*+-.^_`|~").find(c) != std::string_view::npos;
  });
}

// Whether a comma-separated header value lists WORD.
bool lists(std::string_view value, std::string_view word) {
  while (!value.empty()) {
    std::size_t comma = value.find(',');
    if (iequals(trim(value.substr(0, comma)), word)) return true;
    if (comma == std::string_view::npos) break;
    value.remove_prefix(comma + 1);
  }
  return false;
}

HeadVerdict refuse(int status, std::string error) {
  HeadVerdict v;
  v.state = HeadVerdict::State::refused;
  v.status = status;
  v.error = std::move(error);
  return v;
}

}  // namespace

HeadVerdict parse_head(std::string_view bytes, const HeadLimits& limits) {
  // Blank lines before a request line are allowed (RFC 9112 2.2); a client
  // that sends only those is still idle, not mid-request.
  std::size_t start = 0;
  while (start + 1 < bytes.size() && bytes[start] == '\r' && bytes[start + 1] == '\n') start += 2;
  std::size_t line_end = bytes.find("\r\n", start);
  if (line_end == std::string_view::npos) {
    if (bytes.size() - start > limits.max_request_line) return refuse(414, "the request line is too long");
    return {};
  }
  if (line_end - start > limits.max_request_line) return refuse(414, "the request line is too long");
  std::size_t end = bytes.find("\r\n\r\n", line_end);
  if (bytes.substr(line_end, 4) == "\r\n\r\n") end = line_end;  // no headers: "GET / HTTP/1.0\r\n\r\n"
  if (end == std::string_view::npos) {
    if (bytes.size() > limits.max_head) return refuse(431, "the request's headers are too large");
    return {};
  }
  std::size_t head_end = end + 4;
  if (head_end > limits.max_head) return refuse(431, "the request's headers are too large");

  HeadVerdict v;
  RequestHead& h = v.head;
  h.size = head_end;
  std::string_view line = bytes.substr(start, line_end - start);
  std::size_t sp1 = line.find(' '), sp2 = line.rfind(' ');
  if (sp1 == std::string_view::npos || sp2 == sp1) return refuse(400, "a malformed request line");
  h.method = line.substr(0, sp1);
  h.target = line.substr(sp1 + 1, sp2 - sp1 - 1);
  std::string_view version = line.substr(sp2 + 1);
  if (!is_token(h.method)) return refuse(400, "a malformed method");
  if (version == "HTTP/1.0") h.http10 = true;
  else if (version != "HTTP/1.1") return refuse(400, "only HTTP/1.0 and HTTP/1.1 are served");
  if (h.target.empty() || h.target.front() != '/' ||
      std::any_of(h.target.begin(), h.target.end(),
                  [](char c) { return static_cast<unsigned char>(c) <= ' ' || c == 0x7f; }))
    return refuse(400, "a malformed request target (an origin-form path is expected)");
  std::size_t q = h.target.find('?');
  h.path = h.target.substr(0, q);
  if (q != std::string::npos) h.query = h.target.substr(q + 1);
  if (auto hash = h.query.find('#'); hash != std::string::npos) h.query.erase(hash);

  std::string_view rest = bytes.substr(line_end + 2, end + 2 - (line_end + 2));
  std::size_t count = 0;
  bool saw_host = false, saw_length = false, saw_encoding = false, close = false, keep = false;
  while (!rest.empty()) {
    std::size_t eol = rest.find("\r\n");
    std::string_view field = rest.substr(0, eol);
    rest.remove_prefix(eol + 2);
    if (++count > limits.max_headers) return refuse(431, "too many request headers");
    std::size_t colon = field.find(':');
    if (colon == std::string_view::npos || !is_token(field.substr(0, colon)))
      return refuse(400, "a malformed header line");  // also obsolete line folding
    std::string_view name = field.substr(0, colon), value = trim(field.substr(colon + 1));
    if (std::any_of(value.begin(), value.end(), [](char c) { return c == '\0' || c == '\r' || c == '\n'; }))
      return refuse(400, "a control character in a header");
    if (iequals(name, "Host")) {
      if (saw_host) return refuse(400, "more than one Host header");
      saw_host = true;
      h.host = value;
    } else if (iequals(name, "Content-Length")) {
      // Two lengths, or a length and chunking, are how requests are smuggled past proxies.
      if (saw_length) return refuse(400, "more than one Content-Length");
      saw_length = true;
      if (value.empty() || value.size() > 18 || value.find_first_not_of("0123456789") != std::string_view::npos)
        return refuse(400, "a malformed Content-Length");
      h.content_length = std::stoull(std::string(value));
    } else if (iequals(name, "Transfer-Encoding")) {
      if (saw_encoding) return refuse(400, "more than one Transfer-Encoding");
      saw_encoding = true;
      if (!iequals(value, "chunked")) return refuse(501, "only the chunked transfer coding is understood");
      h.chunked = true;
    } else if (iequals(name, "Connection")) {
      close = close || lists(value, "close");
      keep = keep || lists(value, "keep-alive");
    }
  }
  if (saw_length && h.chunked) return refuse(400, "both Content-Length and Transfer-Encoding");
  if (!saw_host && !h.http10) return refuse(400, "HTTP/1.1 requires a Host header");
  if (h.chunked && h.http10) return refuse(400, "chunked bodies need HTTP/1.1");
  bool sends_body = h.method == "POST" || h.method == "PUT" || h.method == "PATCH";
  // Without a length a body would end only when the client closes: unbounded.
  if (sends_body && !saw_length && !h.chunked) return refuse(411, "a Content-Length is required");
  h.keep_alive = !close && (!h.http10 || keep);
  v.state = HeadVerdict::State::complete;
  return v;
}

bool under_api(std::string_view path) {
  return path == "/api" || path.rfind("/api/", 0) == 0 || path.rfind("/hooks/", 0) == 0;
}

std::string url_decode(std::string_view text, bool plus_is_space) {
  auto hex = [](char c) -> int {
    if (c >= '0' && c <= '9') return c - '0';
    if (c >= 'a' && c <= 'f') return c - 'a' + 10;
    if (c >= 'A' && c <= 'F') return c - 'A' + 10;
    return -1;
  };
  std::string out;
  out.reserve(text.size());
  for (std::size_t i = 0; i < text.size(); ++i) {
    char c = text[i];
    if (c == '%' && i + 2 < text.size() && hex(text[i + 1]) >= 0 && hex(text[i + 2]) >= 0) {
      out += static_cast<char>(hex(text[i + 1]) * 16 + hex(text[i + 2]));
      i += 2;
    } else if (c == '+' && plus_is_space) {
      out += ' ';
    } else {
      out += c;
    }
  }
  return out;
}

std::multimap<std::string, std::string> parse_query(std::string_view query) {
  std::multimap<std::string, std::string> out;
  while (!query.empty()) {
    std::size_t amp = query.find('&');
    std::string_view pair = query.substr(0, amp);
    query.remove_prefix(amp == std::string_view::npos ? query.size() : amp + 1);
    if (pair.empty()) continue;
    std::size_t eq = pair.find('=');
    std::string key = url_decode(pair.substr(0, eq), true);
    std::string value = eq == std::string_view::npos ? "" : url_decode(pair.substr(eq + 1), true);
    out.emplace(std::move(key), std::move(value));
  }
  return out;
}

}  // namespace cwf::server
