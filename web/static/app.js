// The web UI's live parts. Every page works without this file; with it the
// jobs list refreshes itself, times tick, and a job's page follows its log
// and state over one server-sent event stream instead of reloading.
'use strict';
(function () {
  // As the server writes them (web_ui.cc relative_time, cli format_duration_ms).
  function ago(ms) {
    var s = Math.floor(ms / 1000);
    if (s < 5) return 'just now';
    if (s < 60) return s + ' s ago';
    if (s < 3600) return Math.floor(s / 60) + ' min ago';
    if (s < 86400) return Math.floor(s / 3600) + ' h ago';
    return Math.floor(s / 86400) + ' d ago';
  }
  function pad2(n) { return (n < 10 ? '0' : '') + n; }
  function duration(ms) {
    var s = ms / 1000;
    if (s < 60) return s.toFixed(1) + 's';
    if (s < 3600) return Math.floor(s / 60) + 'm' + pad2(Math.floor(s) % 60) + 's';
    return Math.floor(s / 3600) + 'h' + pad2(Math.floor(s % 3600 / 60)) + 'm';
  }
  // The server's clock, not the browser's: the page says what time it was rendered.
  var skew = 0;
  var rendered = document.querySelector('meta[name="cwf-now"]');
  if (rendered) skew = Number(rendered.content) - Date.now();
  function tick() {
    var now = Date.now() + skew;
    document.querySelectorAll('time[data-at]').forEach(function (t) {
      t.textContent = ago(now - Number(t.dataset.at));
    });
    document.querySelectorAll('.duration[data-started]:not([data-finished])').forEach(function (d) {
      d.textContent = duration(Math.max(0, now - Number(d.dataset.started)));
    });
  }
  setInterval(tick, 1000);

  // The jobs list and the workflows: the same page fetched again, its live
  // parts swapped in (never one holding the focus: a half-typed Run form stays).
  if (document.querySelector('[data-live]')) {
    setInterval(function () {
      if (document.hidden) return;
      fetch(location.href, { credentials: 'same-origin', headers: { Accept: 'text/html' } }).then(function (r) {
        return r.ok ? r.text() : null;
      }).then(function (html) {
        if (!html) return;
        var fresh = new DOMParser().parseFromString(html, 'text/html');
        var now = fresh.querySelector('meta[name="cwf-now"]');
        if (now) skew = Number(now.content) - Date.now();
        document.querySelectorAll('[data-live]').forEach(function (el) {
          var next = fresh.getElementById(el.id);
          if (next && !el.contains(document.activeElement)) el.replaceWith(next);
        });
        tick();
      }).catch(function () {});
    }, 3000);
  }

  // A job's page: its log's new lines and its head (state, tasks, buttons) as
  // the server renders them. EventSource reconnects by itself, resuming at
  // the last event's id; "end" says the job is over.
  var log = document.getElementById('log');
  if (log && log.dataset.events && window.EventSource) {
    var target = location.hash.match(/^#L\d+$/) ? location.hash.slice(1) : null;
    var follow = !target;  // a reader sent to a line stays on it
    var bottom = function () {
      return window.innerHeight + window.scrollY >= document.documentElement.scrollHeight - 40;
    };
    // Only the reader turns following off (by scrolling up) or on again (back
    // at the end): lines landing between our own scroll and its event must not.
    var lastY = window.scrollY;
    window.addEventListener('scroll', function () {
      if (window.scrollY < lastY - 2) follow = false;
      else if (bottom()) follow = true;
      lastY = window.scrollY;
    }, { passive: true });
    var events = new EventSource(log.dataset.events);
    events.addEventListener('log', function (e) {
      log.insertAdjacentHTML('beforeend', e.data);
      if (target && document.getElementById(target)) {
        document.getElementById(target).scrollIntoView();
        target = null;
      } else if (follow) {
        window.scrollTo(0, document.documentElement.scrollHeight);
      }
    });
    events.addEventListener('head', function (e) {
      document.getElementById('job-head').innerHTML = e.data;
      tick();
    });
    events.addEventListener('end', function () {
      events.close();
      var note = document.getElementById('follow-note');
      if (note) note.remove();
    });
    if (follow) window.scrollTo(0, document.documentElement.scrollHeight);
  }
})();
