#!/usr/bin/python3
"""The web UI in a real browser: Selenium drives Debian's headless Chromium
against a running runner, as a person would: sign in, Run a workflow and watch
its log stream in, cancel a job, promote a build, filter the list, see new jobs
appear. Screenshots of each page go to ARTIFACTS.

usage: web_ui_selenium.py BASE_URL API_TOKEN ARTIFACTS_DIR
Prints one line per check; exits 1 if any failed."""
import json, os, sys, time, urllib.request

from selenium import webdriver
from selenium.common.exceptions import TimeoutException
from selenium.webdriver.chrome.service import Service
from selenium.webdriver.common.by import By
from selenium.webdriver.support.ui import Select, WebDriverWait

base, token, artifacts = sys.argv[1], sys.argv[2], sys.argv[3]
os.makedirs(artifacts, exist_ok=True)
failed = passed = 0


def check(name, ok):
    global failed, passed
    if ok:
        passed += 1
    else:
        failed += 1
        print(f"FAIL: {name}")
        shot(f"failed-{passed + failed}")


def shot(name):
    driver.save_screenshot(os.path.join(artifacts, f"{name}.png"))


def wait(name, condition, seconds=20):
    try:
        WebDriverWait(driver, seconds, poll_frequency=0.1).until(lambda d: condition())
        check(name, True)
        return True
    except TimeoutException:
        check(name + f" (not within {seconds} s)", False)
        return False


def js(script, *args):
    return driver.execute_script(script, *args)


def api(method, path, body=None):
    req = urllib.request.Request(base + path, method=method, data=json.dumps(body).encode() if body else None,
                                 headers={"Authorization": "Bearer " + token, "Content-Type": "application/json"})
    with urllib.request.urlopen(req, timeout=10) as r:
        return json.load(r)


def text(css):
    # Read in one step: the live parts are swapped in under the test's feet.
    return js("var e = document.querySelector(arguments[0]); return e ? e.innerText : ''", css)


def run(workflow, branch="main"):
    """Fills in WORKFLOW's Run form on the workflows page and presses Run."""
    driver.get(base + "/workflows")
    form = driver.find_element(By.CSS_SELECTOR, f'form[action="/workflows/{workflow}/run"]')
    form.find_element(By.NAME, "branch").clear()
    form.find_element(By.NAME, "branch").send_keys(branch)
    form.find_element(By.CSS_SELECTOR, "button").click()


def console_errors():
    # A page the CSP blocked (an inline style or script) logs it here.
    return [e["message"] for e in driver.get_log("browser") if e["level"] == "SEVERE"]


opts = webdriver.ChromeOptions()
opts.binary_location = "/usr/bin/chromium"
for a in ("--headless=new", "--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage", "--no-first-run",
          "--disable-background-networking", "--window-size=1280,900"):
    opts.add_argument(a)
opts.set_capability("goog:loggingPrefs", {"browser": "ALL"})
driver = webdriver.Chrome(service=Service("/usr/bin/chromedriver"), options=opts)
try:
    # The jobs list, signed out: reading is public, the buttons need a session.
    driver.get(base + "/")
    check("the jobs list renders", driver.find_elements(By.CSS_SELECTOR, "#jobs tr.job"))
    row = driver.find_element(By.CSS_SELECTOR, "#jobs tr.job")
    check("a row: number, state as a word, commit's first line",
          "#1" in row.text and "succeeded" in row.text and "change change.txt" in row.text)
    errors = console_errors()
    check(f"its styles are the runner's own file (no CSP error): {errors}", not errors)
    check("the dot's colour comes from app.css",
          js("return getComputedStyle(document.querySelector('#jobs .dot')).backgroundColor") == "rgb(26, 127, 55)")
    shot("jobs-signed-out")
    driver.find_element(By.LINK_TEXT, "Workflows").click()
    wait("the workflows page lists them with their last job",
         lambda: "browse" in text("#workflows") and "#1" in text("#workflows"))
    check("signed out: no Run forms, a way to sign in", not driver.find_elements(By.CSS_SELECTOR, "form.run")
          and driver.find_elements(By.ID, "sign-in"))

    # Sign in once.
    driver.find_element(By.ID, "sign-in").click()
    wait("the sign-in page", lambda: "/login" in driver.current_url and driver.find_elements(By.ID, "token"))
    shot("login")
    driver.find_element(By.ID, "token").send_keys("wrong")
    driver.find_element(By.CSS_SELECTOR, "#login button").click()
    wait("a wrong token says so", lambda: "wrong API token" in driver.page_source)
    console_errors()  # that page's 401, meant
    driver.find_element(By.ID, "token").send_keys(token)
    driver.find_element(By.CSS_SELECTOR, "#login button").click()
    wait("signed in, back on the page it came from, with Run forms",
         lambda: driver.current_url.endswith("/workflows") and driver.find_elements(By.CSS_SELECTOR, "form.run"))
    shot("workflows")
    cookie = driver.get_cookie("cwf_session")
    check("the session cookie is HttpOnly and SameSite=Strict",
          cookie and cookie.get("httpOnly") and cookie.get("sameSite") == "Strict")
    check("which no script can read", "cwf_session" not in js("return document.cookie"))

    # Run a workflow; watch its log stream in on a page that never reloads.
    run("stream")
    wait("Run leads to the new job's page", lambda: "/jobs/" in driver.current_url and driver.find_elements(By.ID, "log"))
    js("window.cwfMarker = 'same page'")
    wait("its lines arrive while it runs", lambda: driver.find_elements(By.ID, "L20"))
    check("while the job still runs", "running" in text("#job-state"))
    check("and the reader at the end is kept there",
          js("return innerHeight + scrollY >= document.documentElement.scrollHeight - 60"))
    js("window.scrollTo(0, 0)")
    wait("more lines arrive", lambda: driver.find_elements(By.ID, "L45"))
    check("a reader who scrolled up is left where they are", js("return scrollY") < 50)
    wait("the state changes to succeeded without a reload", lambda: "succeeded" in text("#job-state"), 30)
    check("no reload happened", js("return window.cwfMarker") == "same page")
    lines = js("return Array.from(document.querySelectorAll('#log .line'), l => [l.id, l.innerText])")
    check("the lines are numbered 1, 2, 3, ...", [i for i, _ in lines] == [f"L{n}" for n in range(1, len(lines) + 1)])
    printed = [t.split(" ", 1)[1].strip() for _, t in lines if " line " in t]  # after the log's timestamp
    check(f"every line came, once: {printed[:3]}...", printed == [f"line {n} green" for n in range(1, 61)])
    check("colours are spans", driver.find_elements(By.CSS_SELECTOR, "#log .ansi-green"))
    check("a window title sequence is dropped", "title" not in text("#log"))
    check("the task's duration is shown", text("#tasks td.duration").endswith("s"))
    stream_job = driver.current_url.rsplit("/", 1)[1]
    shot("job")

    # A line's anchor, and the raw log.
    driver.get(f"{base}/jobs/{stream_job}#L30")
    check("a line anchor is a link to itself", driver.find_element(By.CSS_SELECTOR, "#L30 a.ln").get_attribute("href")
          .endswith(f"/jobs/{stream_job}#L30"))
    check("the line is marked", js("return getComputedStyle(document.getElementById('L30')).backgroundColor")
          == "rgb(255, 248, 197)")
    check("the raw log link", driver.find_element(By.ID, "raw-log").get_attribute("href").endswith(f"/api/jobs/{stream_job}/log"))

    # Cancel a running job.
    driver.get(base + "/")
    run("long")
    wait("a long job's page, with a Cancel button", lambda: driver.find_elements(By.XPATH, "//button[text()='Cancel']"))
    wait("it runs", lambda: "running" in text("#job-state"))
    driver.find_element(By.XPATH, "//button[text()='Cancel']").click()
    wait("cancelled, it says so", lambda: "cancelled" in text("#job-state"), 30)
    long_job = driver.current_url.rsplit("/", 1)[1]

    # Promote a build: the button appears once the build is done.
    driver.get(base + "/")
    run("release")
    promote = "//button[starts-with(text(), 'Promote R')]"
    wait("when the build is done, a Promote button appears", lambda: driver.find_elements(By.XPATH, promote), 30)
    build_job = driver.current_url.rsplit("/", 1)[1]
    check("the build and release ids are listed", "B" in text("#tasks") and "R" in text("#tasks"))
    shot("job-build")
    driver.find_element(By.XPATH, promote).click()
    wait("Promote leads to a promote job", lambda: driver.current_url.rsplit("/", 1)[1] != build_job)
    wait("which succeeds", lambda: "succeeded" in text("#job-state"), 30)
    check("and says whose release it promoted", f"job {build_job}" in text("#job-meta"))

    # The list: filters kept in the URL; new jobs appear without a reload.
    driver.get(base + "/")
    Select(driver.find_element(By.NAME, "workflow")).select_by_value("long")
    Select(driver.find_element(By.NAME, "state")).select_by_value("cancelled")
    driver.find_element(By.CSS_SELECTOR, "#filters button").click()
    wait("the filters land in the URL", lambda: "workflow=long" in driver.current_url and "state=cancelled" in driver.current_url)
    rows = driver.find_elements(By.CSS_SELECTOR, "#jobs tr.job")
    check("and keep only matching jobs", rows and all(r.get_attribute("data-state") == "cancelled" for r in rows))
    check("the cancelled job is among them", any(f"#{long_job}" in r.text for r in rows))
    shot("jobs-filtered")
    driver.get(base + "/")
    js("window.cwfMarker = 'same list'")
    count = len(driver.find_elements(By.CSS_SELECTOR, "#jobs tr.job"))
    made = api("POST", "/api/workflows/stream/trigger", {"branch": "main"})
    wait("a job made elsewhere appears in the list", lambda: driver.find_elements(By.LINK_TEXT, f"#{made['id']}"), 15)
    check("without a reload", js("return window.cwfMarker") == "same list")
    wait("its duration ticks while it runs", lambda: text(f"#jobs tr.job:first-child td.duration") not in ("", "-"), 15)
    wait("and its state changes in place", lambda: "succeeded" in text("#jobs tr.job:first-child"), 30)
    check("the list grew by one", len(driver.find_elements(By.CSS_SELECTOR, "#jobs tr.job")) == count + 1)
    js("window.scrollTo(0, 0)")
    shot("jobs")
    errors = console_errors()
    check(f"no page logged an error: {errors}", not errors)

    # Sign out: the buttons go.
    driver.find_element(By.XPATH, "//button[text()='Sign out']").click()
    wait("signing out lands on the list, signed out", lambda: driver.find_elements(By.ID, "sign-in"))
    driver.get(base + "/workflows")
    wait("signed out, no Run forms", lambda: not driver.find_elements(By.CSS_SELECTOR, "form.run")
         and driver.find_elements(By.ID, "sign-in"))
finally:
    driver.quit()
print(f"web_ui_selenium: {passed} passed, {failed} failed")
sys.exit(1 if failed else 0)
