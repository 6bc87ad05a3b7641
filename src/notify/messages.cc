#include "notify/messages.hh"

#include "server/webhook.hh"

namespace cwf::notify {
namespace {

using nlohmann::ordered_json;

std::string str(const ordered_json& j, const char* key) {
  return j.contains(key) && j[key].is_string() ? j[key].get<std::string>() : "";
}

// At most MAX characters (UTF-8 kept whole), an ellipsis where cut: Slack
// refuses a section over 3,000.
std::string clip(const std::string& s, std::size_t max) {
  if (s.size() <= max) return s;
  std::size_t end = max;
  while (end > 0 && (static_cast<unsigned char>(s[end]) & 0xC0) == 0x80) --end;
  return s.substr(0, end) + "…";
}

// A link only to an http(s) URL that can't break out of Slack's <url|text>.
std::string link(const std::string& url, const std::string& text) {
  bool web = url.rfind("https://", 0) == 0 || url.rfind("http://", 0) == 0;
  if (!web || url.find_first_of("|<> \n") != std::string::npos) return text;
  return "<" + url + "|" + text + ">";
}

std::string duration(std::int64_t ms) {
  std::int64_t s = ms / 1000;
  if (s < 60) return std::to_string(s) + "s";
  if (s < 3600) return std::to_string(s / 60) + "m " + std::to_string(s % 60) + "s";
  return std::to_string(s / 3600) + "h " + std::to_string(s / 60 % 60) + "m";
}

const char* headline(const std::string& event) {
  if (event == "started") return "started";
  if (event == "succeeded") return "succeeded";
  if (event == "failed") return "failed";
  if (event == "cancelled") return "was cancelled";
  if (event == "interrupted") return "was interrupted";
  if (event == "recovered") return "recovered: it succeeded after a failure";
  if (event == "waiting_promote") return "succeeded; a build waits for a promote";
  return "changed";
}

const char* emoji(const std::string& event) {
  if (event == "failed" || event == "interrupted") return ":x:";
  if (event == "started") return ":arrow_forward:";
  if (event == "cancelled") return ":heavy_minus_sign:";
  if (event == "waiting_promote") return ":raised_hand:";
  return ":white_check_mark:";
}

}  // namespace

std::string slack_escape(const std::string& text) {
  std::string out;
  out.reserve(text.size());
  for (char c : text) {
    if (c == '&') out += "&amp;";
    else if (c == '<') out += "&lt;";
    else if (c == '>') out += "&gt;";
    else out += c;
  }
  return out;
}

std::string slack_message(const ordered_json& p) {
  const ordered_json& job = p["job"];
  const ordered_json& commit = p["commit"];
  std::string event = str(p, "event");
  std::string title = slack_escape(str(p, "workflow")) + " #" + std::to_string(job.value("id", 0));
  std::string where = "`" + slack_escape(clip(str(p, "branch"), 100)) + "`";
  if (p["pull_request"].is_object())
    where = link(str(p["pull_request"], "url"), "PR #" + std::to_string(p["pull_request"].value("number", 0)));
  std::string sha = str(commit, "sha").substr(0, 7);
  std::string message = clip(str(commit, "message"), 150), author = clip(str(commit, "author"), 80);

  std::string text = std::string(emoji(event)) + " " + title + " " + headline(event) + " on " +
                     (p["pull_request"].is_object() ? "PR #" + std::to_string(p["pull_request"].value("number", 0))
                                                    : slack_escape(clip(str(p, "branch"), 100)));
  std::string body = std::string(emoji(event)) + " *" + link(str(job, "url"), title) + "* " + headline(event) + " on " +
                     where + "\n`" + sha + "` " + slack_escape(message) +
                     (author.empty() ? "" : " — " + slack_escape(author));
  if (job.contains("duration_ms") && job["duration_ms"].is_number_integer())
    body += "\nDuration: " + duration(job["duration_ms"].get<std::int64_t>());
  if (event == "failed" || event == "interrupted" || event == "cancelled") {
    for (const auto& t : p["tasks"])
      if (str(t, "state") == "failed" || str(t, "state") == "timed_out" || str(t, "state") == "cancelled") {
        body += "\nTask *" + slack_escape(clip(str(t, "name"), 100)) + "* " + str(t, "state") + ": " +
                slack_escape(clip(str(t, "reason"), 500));
        break;
      }
    if (!str(job, "reason").empty()) body += "\n" + slack_escape(clip(str(job, "reason"), 500));
  }
  for (const auto& w : p["waiting_promote"])
    body += "\nWaiting for a promote: " + slack_escape(w["app"].is_string() ? str(w, "app") : str(w, "task")) +
            " release `" + slack_escape(str(w, "release")) + "`";
  ordered_json blocks = ordered_json::array();
  blocks.push_back({{"type", "section"}, {"text", {{"type", "mrkdwn"}, {"text", clip(body, 2900)}}}});
  ordered_json msg = {{"text", clip(text, 2900)}, {"blocks", blocks}};
  return msg.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace);
}

std::string signature(const std::string& secret, std::int64_t t, const std::string& body) {
  std::string ts = std::to_string(t);
  return "t=" + ts + ",v1=" + server::hmac_sha256_hex(secret, ts + "." + body);
}

}  // namespace cwf::notify
