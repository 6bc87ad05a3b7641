#pragma once

// What goes over the wire: a Slack incoming-webhook message made from an
// event's JSON, and the signature of a webhook's body.

#include <cstdint>
#include <string>

#include <nlohmann/json.hpp>

namespace cwf::notify {

// Slack's message for PAYLOAD (notify::payload): `text` for notifications
// and clients without blocks, and blocks. Everything from the job is escaped,
// so a commit message can neither mention (<!channel>) nor link.
std::string slack_message(const nlohmann::ordered_json& payload);

// X-Convox-Workflows-Signature: "t=<T>,v1=<hex HMAC-SHA256 of '<T>.<BODY>'>".
std::string signature(const std::string& secret, std::int64_t t, const std::string& body);

// Slack's mrkdwn escaping: &, < and >.
std::string slack_escape(const std::string& text);

}  // namespace cwf::notify
