// Notifications (issue 19): events, payloads, messages and signatures
// without I/O; the store's queue; the notifier against a fake receiver.
#include <catch2/catch.hpp>

#include <atomic>
#include <map>
#include <mutex>

#include "config/loader.hh"
#include "notify/event.hh"
#include "notify/hook.hh"
#include "notify/messages.hh"
#include "notify/notifier.hh"
#include "test_support.hh"

using namespace cwf;
using namespace std::chrono_literals;
using config::NotifyEvent;
using store::JobState;
using store::TaskState;

namespace {

config::NotifyTarget target(std::vector<NotifyEvent> on, bool slack = false) {
  config::NotifyTarget t;
  t.on = std::move(on);
  t.slack = slack;
  if (slack) t.url_env = "SLACK_URL";
  else t.url = "http://127.0.0.1:9/hooks/a", t.secret_env = "HOOK_SECRET";
  return t;
}

store::TaskRecord task(int index, std::string name, std::string type, TaskState state, std::string release = "") {
  store::TaskRecord t;
  t.index = index;
  t.name = std::move(name);
  t.type = std::move(type);
  t.state = state;
  t.release_id = std::move(release);
  if (!t.release_id.empty()) t.build_id = "B" + t.release_id;
  return t;
}

std::shared_ptr<const config::Config> load(const std::string& text) {
  auto r = config::load_string("wf.yml", text);
  REQUIRE(r.config);
  return std::make_shared<const config::Config>(*r.config);
}

const char* kFile = R"(version: 1
notifications:
  - on: [started, succeeded, failed, recovered, waiting_promote]
    webhook: {url: "http://127.0.0.1:9/hooks/a", secret_env: HOOK_SECRET}
workflows:
  - name: deploy
    trigger: {integration: git, repository: "file:///srv/app.git", branch: main}
    tasks:
      - {type: script, command: make}
  - name: quiet
    trigger: {integration: git, repository: "file:///srv/app.git", branch: main}
    notify: []
    tasks:
      - {type: script, command: make}
)";

store::NewJob new_job(const std::string& workflow, const std::string& branch = "main") {
  store::NewJob j;
  j.workflow = workflow;
  j.repository = "acme/web";
  j.branch = branch;
  j.commit_sha = std::string(40, 'c');
  j.trigger = "push";
  j.commit_title = "Fix <!channel> & things";
  j.tasks = {{"script", "script"}};
  return j;
}

// Ends JOB with STATE as the executor does.
void end_job(store::JobStore& s, std::int64_t id, JobState state) {
  s.set_job_state(id, JobState::running, "", 1000);
  store::JobEnd end;
  end.id = id;
  end.state = state;
  end.started_at = 1000;
  end.finished_at = 61000;
  end.tasks.push_back(task(0, "script", "script", state == JobState::succeeded ? TaskState::succeeded : TaskState::failed));
  end.tasks[0].reason = state == JobState::failed ? "exit 3" : "";
  REQUIRE(s.finish_job(end));
}

// A receiver that answers from a script of statuses (then 200), and keeps what it got.
struct FakeSender : notify::Sender {
  std::mutex mu;
  std::vector<int> script;
  struct Got {
    std::string url, body;
    notify::Headers headers;
  };
  std::vector<Got> got;
  notify::SendResult post(const std::string& url, const std::string& body, const notify::Headers& headers,
                          std::chrono::milliseconds) override {
    std::lock_guard lock(mu);
    got.push_back({url, body, headers});
    notify::SendResult r;
    r.status = 200;
    if (!script.empty()) {
      r.status = script.front();
      script.erase(script.begin());
    }
    if (!r.ok()) r.error = "HTTP " + std::to_string(r.status);
    return r;
  }
  void abort() override {}
  std::size_t count() {
    std::lock_guard lock(mu);
    return got.size();
  }
  std::string header(std::size_t i, const std::string& name) {
    std::lock_guard lock(mu);
    for (const auto& [k, v] : got.at(i).headers)
      if (k == name) return v;
    return "";
  }
};

std::map<std::string, std::string> g_env = {{"HOOK_SECRET", "s3cret-value"}, {"SLACK_URL", "http://127.0.0.1:9/services/T/B/x"}};
std::mutex g_env_mu;
std::string env(const std::string& name) {
  std::lock_guard lock(g_env_mu);
  auto it = g_env.find(name);
  return it == g_env.end() ? "" : it->second;
}

// A job store in a throwaway directory, its hook queueing kFile's notifications.
struct Queue {
  test::TempDir tmp;
  std::unique_ptr<store::JobStore> store;
  std::shared_ptr<const config::Config> cfg = load(kFile);
  notify::NotifyHook hook{[this] { return cfg; }, "https://ci.acme.example", {}, env};
  Queue() {
    auto opened = store::JobStore::open(tmp.path() / "d");
    REQUIRE(opened.ok());
    store = std::move(*opened);
    store->set_state_hook(&hook);
  }
  ~Queue() { store->set_state_hook(nullptr); }
};

}  // namespace

TEST_CASE("each target hears one event of a job's state: the most specific it asked for", "[notify]") {
  auto all = target({NotifyEvent::succeeded, NotifyEvent::recovered, NotifyEvent::waiting_promote});
  CHECK(notify::event_for(all, JobState::succeeded, true, true) == NotifyEvent::recovered);
  CHECK(notify::event_for(all, JobState::succeeded, false, true) == NotifyEvent::waiting_promote);
  CHECK(notify::event_for(all, JobState::succeeded, false, false) == NotifyEvent::succeeded);
  auto failures = target({NotifyEvent::failed, NotifyEvent::recovered});
  CHECK_FALSE(notify::event_for(failures, JobState::succeeded, false, true));
  CHECK(notify::event_for(failures, JobState::succeeded, true, false) == NotifyEvent::recovered);
  CHECK(notify::event_for(failures, JobState::failed, false, false) == NotifyEvent::failed);
  CHECK_FALSE(notify::event_for(failures, JobState::running, false, false));
  CHECK_FALSE(notify::event_for(failures, JobState::cancelled, false, false));
  CHECK_FALSE(notify::event_for(target({NotifyEvent::started}), JobState::queued, false, false));
  CHECK_FALSE(notify::event_for(target({NotifyEvent::failed}), JobState::skipped, false, false));
  CHECK(notify::event_for(target({NotifyEvent::started}), JobState::running, false, false) == NotifyEvent::started);
  CHECK(notify::event_for(target({NotifyEvent::interrupted}), JobState::interrupted, false, false) ==
        NotifyEvent::interrupted);
}

TEST_CASE("waiting_promote: a built release that neither its task nor a later promote promoted", "[notify]") {
  auto cfg = load(R"(version: 1
workflows:
  - name: pipe
    trigger: {integration: git, repository: "file:///srv/app.git", branch: main}
    tasks:
      - {type: build, app: web-staging, promote: true}
      - {type: build, app: web}
      - {type: build, app: api}
      - {type: promote, app: api}
)");
  store::JobRecord job;
  job.state = JobState::succeeded;
  job.tasks = {task(0, "build web-staging", "build", TaskState::succeeded, "R1"),
               task(1, "build web", "build", TaskState::succeeded, "R2"),
               task(2, "build api", "build", TaskState::succeeded, "R3"),
               task(3, "promote api", "promote", TaskState::succeeded, "R3")};
  auto waiting = notify::waiting_promote(job, cfg->find("pipe"));
  REQUIRE(waiting.size() == 1);
  CHECK(waiting[0].app == "web");
  CHECK(waiting[0].release == "R2");
  job.state = JobState::failed;
  CHECK(notify::waiting_promote(job, cfg->find("pipe")).empty());
  job.state = JobState::succeeded;
  job.promote_task = 1;  // a promote job is the promotion
  CHECK(notify::waiting_promote(job, cfg->find("pipe")).empty());
  job.promote_task.reset();
  // The file changed since: a task that is not the same one is taken as not promoting itself.
  CHECK(notify::waiting_promote(job, nullptr).size() == 2);
}

TEST_CASE("the event's JSON, masked; Slack's message escaped and short; the signature", "[notify]") {
  store::JobRecord job;
  job.id = 42;
  job.workflow = "deploy";
  job.state = JobState::failed;
  job.reason = "task 'test' failed";
  job.repository = "acme/web";
  job.branch = "main";
  job.commit_sha = std::string(40, 'a');
  job.commit_title = "Leak s3cret-value <!channel> & <https://evil.example|click>";
  job.commit_author = "Ada";
  job.started_at = 1700000000000;
  job.finished_at = 1700000083500;
  job.tasks = {task(0, "test", "script", TaskState::failed)};
  job.tasks[0].reason = "exit 3";
  auto p = notify::payload(NotifyEvent::failed, job, false, {}, "https://ci.acme.example");
  CHECK(p["job"]["url"] == "https://ci.acme.example/jobs/42");
  CHECK(p["started_at"] == "2023-11-14T22:13:20.000Z");
  CHECK(p["job"]["duration_ms"] == 83500);
  CHECK(p["pull_request"].is_null());
  CHECK(p["tasks"][0]["build"].is_null());
  notify::mask_strings(p, {"s3cret-value"});
  CHECK(p["commit"]["message"] == "Leak *** <!channel> & <https://evil.example|click>");

  std::string slack = notify::slack_message(p);
  auto m = nlohmann::json::parse(slack);
  std::string body = m["blocks"][0]["text"]["text"];
  CHECK(body.find("<!channel>") == std::string::npos);
  CHECK(body.find("&lt;!channel&gt; &amp; &lt;https://evil.example|click&gt;") != std::string::npos);
  CHECK(body.find("<https://ci.acme.example/jobs/42|deploy #42>") != std::string::npos);
  CHECK(body.find("Task *test* failed: exit 3") != std::string::npos);
  CHECK(body.find("Duration: 1m 23s") != std::string::npos);
  CHECK(std::string(m["text"]).find(":x: deploy #42 failed on main") == 0);

  job.commit_title = std::string(10000, 'x');
  job.reason = std::string(10000, 'y');
  auto big = nlohmann::json::parse(notify::slack_message(notify::payload(NotifyEvent::failed, job, false, {}, "")));
  CHECK(std::string(big["blocks"][0]["text"]["text"]).size() <= 3000);
  CHECK(std::string(big["blocks"][0]["text"]["text"]).find("deploy #42*") != std::string::npos);  // no link without a URL

  CHECK(notify::signature("whsec", 1700000000, R"({"event":"failed"})") ==
        "t=1700000000,v1=0a57d626ca975db988e0e67d0e38dbc48793ee84d77436ae11b7e93a59e3dcfc");
}

TEST_CASE("targets as queued name their variables, and are shown without secrets", "[notify]") {
  auto slack = target({NotifyEvent::failed}, true);
  auto t = notify::parse_target(notify::to_json(slack));
  REQUIRE(t);
  CHECK(notify::describe(*t) == "slack ($SLACK_URL)");
  auto hook = target({NotifyEvent::failed});
  hook.url = "https://hooks.acme.example/deploys?token=abc";
  t = notify::parse_target(notify::to_json(hook));
  REQUIRE(t);
  CHECK(t->secret_env == "HOOK_SECRET");
  CHECK(notify::describe(*t) == "webhook https://hooks.acme.example/…");
  CHECK_FALSE(notify::parse_target("{}"));
  CHECK_FALSE(notify::parse_target("not json"));
}

TEST_CASE("retries back off exponentially, honour Retry-After, and only for what may pass", "[notify]") {
  CHECK(notify::retry_delay(1, 10s, 1h, 0s, 0.5) == 10s);
  CHECK(notify::retry_delay(2, 10s, 1h, 0s, 0.5) == 20s);
  CHECK(notify::retry_delay(4, 10s, 1h, 0s, 0.5) == 80s);
  CHECK(notify::retry_delay(40, 10s, 1h, 0s, 0.5) == 1h);
  CHECK(notify::retry_delay(1, 10s, 1h, 120s, 0.5) == 120s);
  CHECK(notify::retry_delay(1, 10s, 1h, 0s, 0.0) == 9s);
  CHECK(notify::retry_delay(1, 10s, 1h, 0s, 0.999) < 11s);
  using O = store::NotificationAttempt::Outcome;
  auto with = [](int status) {
    notify::SendResult r;
    r.status = status;
    return notify::classify(r);
  };
  CHECK(with(200) == O::delivered);
  CHECK(with(204) == O::delivered);
  CHECK(with(0) == O::retry);  // refused, timed out
  CHECK(with(500) == O::retry);
  CHECK(with(503) == O::retry);
  CHECK(with(429) == O::retry);
  CHECK(with(400) == O::failed);
  CHECK(with(404) == O::failed);
  CHECK(with(410) == O::failed);
  CHECK(with(301) == O::failed);  // never followed
}

TEST_CASE("a job's notifications land with its state, the recovery is told once, the queue is ordered", "[notify]") {
  Queue q;
  store::JobStore& s = *q.store;
  std::atomic<int> woken{0};
  q.hook.on_queued([&] { ++woken; });

  auto a = s.create_job(new_job("deploy"), 1);
  CHECK(s.notification_counts()["pending"] == 0);  // queued: no event
  end_job(s, a, JobState::failed);
  auto b = s.create_job(new_job("deploy"), 2);
  end_job(s, b, JobState::succeeded);
  auto c = s.create_job(new_job("deploy"), 3);
  end_job(s, c, JobState::succeeded);
  auto d = s.create_job(new_job("deploy", "other"), 4);  // another branch: its own history
  end_job(s, d, JobState::succeeded);
  auto quiet = s.create_job(new_job("quiet"), 5);
  end_job(s, quiet, JobState::failed);

  auto all = s.list_notifications({"", 100, std::nullopt});
  std::vector<std::string> events;
  for (auto it = all.rbegin(); it != all.rend(); ++it) events.push_back(std::to_string(it->job_id) + " " + it->event);
  CHECK(events == std::vector<std::string>{"1 started", "1 failed", "2 started", "2 recovered", "3 started",
                                           "3 succeeded", "4 started", "4 succeeded"});
  CHECK(woken == 8);
  CHECK(all[0].payload.find("\"commit\":{\"sha\":\"cccc") != std::string::npos);
  CHECK(all[0].target.find("s3cret") == std::string::npos);  // the variable's name, never its value

  // Only the first of a job's events to a target is due while it is pending.
  auto due = s.due_notifications(store::now_ms(), {}, 100);
  REQUIRE(due.size() == 4);
  for (const auto& n : due) CHECK(n.event == "started");
  CHECK(s.due_notifications(store::now_ms(), {due[0].id}, 100).size() == 3);
  // One in backoff, the rest being sent: the next one due is the backoff's end,
  // not a blocked one's past time (the workers would spin until then).
  std::int64_t later = store::now_ms() + 3600'000;
  s.record_notification_attempt(due[0].id, {store::NotificationAttempt::Outcome::retry, 503, "HTTP 503", 1, later});
  CHECK(s.next_notification_at({due[1].id, due[2].id, due[3].id}) == later);
  CHECK(s.due_notifications(store::now_ms(), {due[1].id, due[2].id, due[3].id}, 100).empty());

  // A state change rolled back queues nothing.
  auto e = s.create_job(new_job("deploy"), 6);
  {
    store::JobStore::Transaction tx(s);
    s.set_job_state(e, JobState::running, "", 7);
  }
  CHECK(s.notification_counts()["pending"] == 8);
  // An interrupted job is told at the next start.
  s.set_job_state(e, JobState::running, "", 7);
  CHECK(s.interrupt_unfinished(8) == std::vector<std::int64_t>{e});
  CHECK(s.list_notifications({"", 1, std::nullopt})[0].event == "started");  // not asked for: interrupted isn't listed
}

TEST_CASE("the notifier delivers each once, retries 5xx, gives up on 4xx, and waits for a missing secret", "[notify]") {
  Queue q;
  store::JobStore& s = *q.store;
  FakeSender receiver;
  receiver.script = {500, 503, 200, 404};
  notify::NotifierOptions o;
  o.first_retry = 20ms;
  o.max_retry = 50ms;
  o.workers = 3;
  notify::Notifier notifier(s, receiver, o, env);
  q.hook.on_queued([&] { notifier.wake(); });
  notifier.start();

  auto a = s.create_job(new_job("deploy"), 1);
  end_job(s, a, JobState::failed);
  REQUIRE(test::eventually([&] { return s.notification_counts()["pending"] == 0; }));
  auto list = s.list_notifications({"", 10, std::nullopt});
  REQUIRE(list.size() == 2);
  CHECK(list[1].event == "started");
  CHECK(list[1].state == "delivered");
  CHECK(list[1].attempts == 3);
  CHECK(list[0].event == "failed");  // after started, whose retries it waited for
  CHECK(list[0].state == "failed");
  CHECK(list[0].attempts == 1);
  CHECK(list[0].last_status == 404);
  CHECK(list[0].last_error == "HTTP 404");
  REQUIRE(receiver.count() == 4);
  CHECK(receiver.header(0, "X-Convox-Workflows-Delivery") == list[1].delivery);
  CHECK(receiver.header(2, "X-Convox-Workflows-Delivery") == list[1].delivery);
  CHECK(receiver.header(3, "X-Convox-Workflows-Event") == "failed");
  std::string sig = receiver.header(3, "X-Convox-Workflows-Signature");
  std::string t = sig.substr(2, sig.find(',') - 2);
  CHECK(sig == notify::signature("s3cret-value", std::stoll(t), receiver.got[3].body));
  CHECK(nlohmann::json::parse(receiver.got[3].body)["delivery"] == list[0].delivery);
  CHECK(notifier.counts()["webhook"].delivered == 1);
  CHECK(notifier.counts()["webhook"].retried == 2);
  CHECK(notifier.counts()["webhook"].failed == 1);

  // No signing secret in the environment: not sent, kept, sent once it is there.
  {
    std::lock_guard lock(g_env_mu);
    g_env.erase("HOOK_SECRET");
  }
  auto b = s.create_job(new_job("deploy"), 2);
  s.set_job_state(b, JobState::running, "", 3);
  REQUIRE(test::eventually([&] {
    auto n = s.list_notifications({"", 1, std::nullopt});
    return n[0].attempts >= 2;
  }));
  auto waiting = s.list_notifications({"", 1, std::nullopt})[0];
  CHECK(waiting.state == "pending");
  CHECK(waiting.last_error == "not sent: $HOOK_SECRET (the signing secret) is not set in the runner's environment");
  CHECK(receiver.count() == 4);
  {
    std::lock_guard lock(g_env_mu);
    g_env["HOOK_SECRET"] = "s3cret-value";
  }
  REQUIRE(test::eventually([&] { return s.notification_counts()["pending"] == 0; }));
  CHECK(receiver.count() == 5);
  notifier.stop(0ms);
}

TEST_CASE("a delivered notification's job pruned takes it along; a pending one stays", "[notify]") {
  Queue q;
  store::JobStore& s = *q.store;
  auto a = s.create_job(new_job("deploy"), 1);
  end_job(s, a, JobState::failed);
  auto first = s.list_notifications({"", 10, std::nullopt});
  REQUIRE(first.size() == 2);
  s.record_notification_attempt(first[1].id, {store::NotificationAttempt::Outcome::delivered, 200, "", 5, 0});
  store::Retention keep_none;
  keep_none.max_age_ms = 1;
  CHECK(s.prune(keep_none, store::now_ms() + 10).size() == 1);
  auto left = s.list_notifications({"", 10, std::nullopt});
  REQUIRE(left.size() == 1);
  CHECK(left[0].state == "pending");
}
