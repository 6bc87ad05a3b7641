-- Jobs and their tasks. Times are milliseconds since the Unix epoch (UTC).
CREATE TABLE jobs (
  id            INTEGER PRIMARY KEY AUTOINCREMENT,
  workflow      TEXT    NOT NULL,
  repository    TEXT    NOT NULL,
  branch        TEXT    NOT NULL,
  commit_sha    TEXT    NOT NULL,
  trigger       TEXT    NOT NULL CHECK (trigger IN ('push', 'manual', 'rerun', 'exec')),
  state         TEXT    NOT NULL CHECK (state IN ('queued', 'waiting', 'running', 'succeeded', 'failed',
                                                  'cancelled', 'skipped', 'interrupted')),
  reason        TEXT    NOT NULL DEFAULT '',
  parent_job_id INTEGER REFERENCES jobs (id),
  created_at    INTEGER NOT NULL,
  started_at    INTEGER,
  finished_at   INTEGER
);
CREATE INDEX jobs_by_workflow ON jobs (workflow, id);
CREATE INDEX jobs_by_state ON jobs (state, id);

CREATE TABLE tasks (
  job_id      INTEGER NOT NULL REFERENCES jobs (id) ON DELETE CASCADE,
  idx         INTEGER NOT NULL,
  name        TEXT    NOT NULL,
  type        TEXT    NOT NULL,
  state       TEXT    NOT NULL CHECK (state IN ('pending', 'running', 'succeeded', 'failed', 'allowed_failure',
                                                'skipped', 'cancelled', 'timed_out')),
  reason      TEXT    NOT NULL DEFAULT '',
  exit_code   INTEGER,
  signal      INTEGER,
  started_at  INTEGER,
  finished_at INTEGER,
  build_id    TEXT,
  release_id  TEXT,
  -- The task's log: its byte range in the job's log file under the data dir.
  log_path    TEXT,
  log_offset  INTEGER NOT NULL DEFAULT 0,
  log_bytes   INTEGER NOT NULL DEFAULT 0,
  PRIMARY KEY (job_id, idx)
);
