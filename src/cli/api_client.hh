#pragma once

// The CLI's side of the HTTP API (`--server URL`): explicit timeouts, the
// token from --token-file or CONVOX_WORKFLOWS_API_TOKEN, errors as one line.

#include <functional>
#include <memory>
#include <string>

#include "store/job_store.hh"
#include "util/result.hh"

namespace cwf::cli {

struct ApiReply {
  int status = 0;
  std::string body;
};

class ApiClient {
 public:
  // SERVER: http://host:port. TOKEN_FILE: empty for CONVOX_WORKFLOWS_API_TOKEN.
  static Result<std::unique_ptr<ApiClient>> connect(const std::string& server, const std::string& token_file);
  ~ApiClient();

  Result<ApiReply> get(const std::string& path);
  Result<ApiReply> post(const std::string& path, const std::string& json_body);
  // Streams the body of GET PATH into SINK when the status is 200; else the
  // reply carries the status and the (error) body.
  Result<ApiReply> stream(const std::string& path, const std::function<bool(const char*, std::size_t)>& sink);

 private:
  struct Impl;
  explicit ApiClient(std::unique_ptr<Impl> impl);
  std::unique_ptr<Impl> impl_;
};

// A job from the API's JSON (the shape of docs/http-api.md).
store::JobRecord job_from_json(const std::string& json_text);
// The API's {"error": ...}, or the body itself.
std::string error_of(const ApiReply& reply);

}  // namespace cwf::cli
