// A job's page, live: its log's new lines and its head (state, tasks,
// buttons) as server-sent events, rendered here as on the page, so the page's
// script only inserts them. One stream per viewer, in the edge's follow lane
// (its caps per runner and per client, and its time limit; EventSource then
// reconnects by itself and resumes at the last event's id).
#include <fstream>
#include <thread>

#include "server/http_internal.hh"
#include "server/log_html.hh"
#include "server/web_ui.hh"

namespace cwf::server {
namespace {

// One event: each line of DATA a "data:" line (the browser joins them with '\n').
std::string event(const char* name, const std::string& data, const std::string& id = "") {
  std::string out = std::string("event: ") + name + "\n";
  if (!id.empty()) out += "id: " + id + "\n";
  std::size_t from = 0;
  for (;;) {
    std::size_t nl = data.find('\n', from);
    out += "data: " + data.substr(from, nl == std::string::npos ? std::string::npos : nl - from) + "\n";
    if (nl == std::string::npos) break;
    from = nl + 1;
  }
  return out + "\n";
}

constexpr std::size_t kMaxPending = 64u << 10;  // a line longer than this is shown in pieces

}  // namespace

void HttpServer::event_routes() {
  http_->route("GET", R"(/jobs/(\d+)/events)", [this](const httplib::Request& req, httplib::Response& res) {
    std::int64_t id = 0;
    auto job = parse_int(req.matches[1], id) ? store_.get_job(id) : std::nullopt;
    if (!job) return error_reply(res, 404, "no such job");
    // A reconnecting EventSource names the last event it got; a first one, the page's ?from=.
    std::string from = req.get_header_value("Last-Event-ID");
    if (from.empty()) from = req.get_param_value("from");
    auto start = from.empty() ? std::optional(LogPosition{}) : LogPosition::parse(from);
    if (!start) return error_reply(res, 400, "from: a position as the job's page gives it");
    res.set_header("Cache-Control", "no-store");
    auto until = std::chrono::steady_clock::now() + edge_->options().follow_max;
    auto html = std::make_shared<LogHtml>(true, *start);
    auto pending = std::make_shared<std::string>();
    auto head = std::make_shared<std::string>();
    auto first = std::make_shared<bool>(true);
    // The head is rendered at one clock reading for the whole stream, so it is
    // sent again only when the job changes, not as its times tick (the page's
    // script ticks them).
    Viewer who = viewer(req);
    who.now_ms = store::now_ms();
    res.set_chunked_content_provider("text/event-stream", [this, id, until, html, pending, head, first, who](
                                                              std::size_t, httplib::DataSink& sink) {
      auto send = [&](const std::string& text) { return sink.write(text.data(), text.size()); };
      if (*first && !send("retry: 2000\n\n")) return false;
      *first = false;
      for (;;) {
        auto job = store_.get_job(id);
        if (!job) break;
        bool final = store::is_final(job->state);  // read before the log: what it wrote by then is all there is
        std::filesystem::path file = store::log_file(*job, store_.data_dir());
        bool eof = true;
        if (!file.empty() && pending->size() < kMaxPending) {
          std::ifstream in(file, std::ios::binary);
          in.seekg(static_cast<std::streamoff>(html->position().offset + pending->size()));
          char buf[65536];
          in.read(buf, sizeof buf);
          pending->append(buf, static_cast<std::size_t>(std::max<std::streamsize>(0, in.gcount())));
          eof = in.gcount() < static_cast<std::streamsize>(sizeof buf);
        }
        std::uint64_t before = html->position().offset;
        bool last = final && eof;
        std::string lines = html->feed(*pending, last || pending->size() >= kMaxPending);
        pending->erase(0, html->position().offset - before);
        if (last && !file.empty()) lines += html->feed(store::log_cut_note(*job, html->position().offset), true);
        if (!lines.empty() && !send(event("log", lines, html->position().to_string()))) return false;
        std::string now = render_job_head(*job, job->pull_request ? store_.review_app(job->remote, job->workflow,
                                                                                      *job->pull_request)
                                                                  : std::nullopt,
                                          who);
        if (now != *head) {
          if (!send(event("head", now))) return false;
          *head = std::move(now);
        }
        if (last) {
          if (!send(event("end", store::to_string(job->state)))) return false;
          break;
        }
        if (edge_->stopping() || std::chrono::steady_clock::now() >= until) break;
        if (eof) std::this_thread::sleep_for(std::chrono::milliseconds(200));
        if (!sink.is_writable()) return false;
      }
      sink.done();
      return true;
    });
  });
}

}  // namespace cwf::server
