-- Pull requests. A job made for one names it (its number, its page, and
-- whether its head came from another repository: a fork's scripts get no
-- secrets), with the trigger pull_request, which the CHECK of 0001 refuses:
-- the table is made anew (SQLite's documented way to change a constraint;
-- migrate() runs with foreign keys off and checks them before committing).
CREATE TABLE jobs_new (
  id               INTEGER PRIMARY KEY AUTOINCREMENT,
  workflow         TEXT    NOT NULL,
  repository       TEXT    NOT NULL,
  branch           TEXT    NOT NULL,
  commit_sha       TEXT    NOT NULL,
  trigger          TEXT    NOT NULL CHECK (trigger IN ('push', 'manual', 'rerun', 'exec', 'pull_request')),
  state            TEXT    NOT NULL CHECK (state IN ('queued', 'waiting', 'running', 'succeeded', 'failed',
                                                     'cancelled', 'skipped', 'interrupted')),
  reason           TEXT    NOT NULL DEFAULT '',
  parent_job_id    INTEGER REFERENCES jobs (id),
  created_at       INTEGER NOT NULL,
  started_at       INTEGER,
  finished_at      INTEGER,
  remote           TEXT    NOT NULL DEFAULT '',
  promote_task     INTEGER,
  integration      TEXT    NOT NULL DEFAULT '',
  pull_request     INTEGER,
  pull_request_url TEXT    NOT NULL DEFAULT '',
  untrusted        INTEGER NOT NULL DEFAULT 0,
  teardown         INTEGER NOT NULL DEFAULT 0  -- deletes the review app of its (remote, workflow, PR)
);
INSERT INTO jobs_new (id, workflow, repository, branch, commit_sha, trigger, state, reason, parent_job_id,
                      created_at, started_at, finished_at, remote, promote_task, integration)
  SELECT id, workflow, repository, branch, commit_sha, trigger, state, reason, parent_job_id,
         created_at, started_at, finished_at, remote, promote_task, integration FROM jobs;
-- AUTOINCREMENT's promise (an id is never reused, even after pruning) carries over.
DELETE FROM sqlite_sequence WHERE name = 'jobs_new';
INSERT INTO sqlite_sequence (name, seq) SELECT 'jobs_new', seq FROM sqlite_sequence WHERE name = 'jobs';
DROP TABLE jobs;
ALTER TABLE jobs_new RENAME TO jobs;
CREATE INDEX jobs_by_workflow ON jobs (workflow, id);
CREATE INDEX jobs_by_state ON jobs (state, id);
CREATE INDEX jobs_by_pull_request ON jobs (remote, workflow, pull_request) WHERE pull_request IS NOT NULL;

-- Each (remote, workflow, PR, head) that made a job, so a PR's head runs once
-- per workflow across restarts and lost webhooks; a PR no longer open loses
-- its rows (reopened, it runs again).
CREATE TABLE pull_request_heads (
  remote   TEXT    NOT NULL,
  workflow TEXT    NOT NULL,
  number   INTEGER NOT NULL,
  sha      TEXT    NOT NULL,
  seen_at  INTEGER NOT NULL,
  PRIMARY KEY (remote, workflow, number, sha)
) WITHOUT ROWID;

-- The review apps the runner created (review_app tasks), one per (remote,
-- workflow, PR): what a closed or idle PR's teardown deletes, and never
-- anything else. `deleting`: a teardown job was made for it.
CREATE TABLE review_apps (
  remote          TEXT    NOT NULL,
  workflow        TEXT    NOT NULL,
  pull_request    INTEGER NOT NULL,
  repository      TEXT    NOT NULL,
  app             TEXT    NOT NULL,
  rack            TEXT    NOT NULL,
  created_at      INTEGER NOT NULL,
  last_commit     TEXT    NOT NULL DEFAULT '',
  deployed_at     INTEGER,
  url             TEXT    NOT NULL DEFAULT '',
  expire_after_ms INTEGER,
  state           TEXT    NOT NULL DEFAULT 'active' CHECK (state IN ('active', 'deleting', 'deleted')),
  deleted_at      INTEGER,
  deployment_id   TEXT    NOT NULL DEFAULT '',  -- the GitHub deployment / GitLab environment reporting it
  PRIMARY KEY (remote, workflow, pull_request)
);

-- The one comment the runner keeps on a pull request of the config
-- repository that changes the workflows file (its plan), edited in place:
-- the heads it was last written for.
CREATE TABLE pull_request_comments (
  remote       TEXT    NOT NULL,
  pull_request INTEGER NOT NULL,
  comment_id   TEXT    NOT NULL,
  head_sha     TEXT    NOT NULL,
  base_sha     TEXT    NOT NULL,
  updated_at   INTEGER NOT NULL,
  PRIMARY KEY (remote, pull_request)
) WITHOUT ROWID;
