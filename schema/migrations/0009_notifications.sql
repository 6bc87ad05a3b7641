-- Notifications of jobs' events (issue 19), queued in the transaction that
-- records the state causing them, sent by the runner's notifier. The target
-- names the variables holding its secrets, never their values.
CREATE TABLE notifications (
  id           INTEGER PRIMARY KEY AUTOINCREMENT,
  delivery     TEXT    NOT NULL UNIQUE,  -- the id receivers see, the same on every attempt
  job_id       INTEGER NOT NULL,         -- no reference: a pruned job's notifications stay readable
  workflow     TEXT    NOT NULL,
  event        TEXT    NOT NULL,
  target       TEXT    NOT NULL,         -- JSON: {"kind":"slack","url_env":...} or {"kind":"webhook","url":...,"secret_env":...}
  payload      TEXT    NOT NULL,         -- the event's JSON, as the webhook body carries it
  state        TEXT    NOT NULL CHECK (state IN ('pending', 'delivered', 'failed')),
  attempts     INTEGER NOT NULL DEFAULT 0,
  next_at      INTEGER NOT NULL,
  last_status  INTEGER,
  last_error   TEXT    NOT NULL DEFAULT '',
  created_at   INTEGER NOT NULL,
  finished_at  INTEGER                   -- delivered or given up
);
CREATE INDEX notifications_due ON notifications (state, next_at);
CREATE INDEX notifications_by_job ON notifications (job_id, target, id);
