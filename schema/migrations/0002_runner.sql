-- The runner's memory, so that a push runs once, also across restarts.

-- The remote a pushed job came from: its mirror holds the commit, whatever the
-- workflows file says by the time the job starts.
ALTER TABLE jobs ADD COLUMN remote TEXT NOT NULL DEFAULT '';

-- Every remote listed at least once: a remote seen for the first time is a
-- baseline (its current heads run on the next push, not at once).
CREATE TABLE remotes (
  url           TEXT    PRIMARY KEY,
  first_seen_at INTEGER NOT NULL
);

-- Every branch head seen, written in the same transaction as the jobs it made.
CREATE TABLE heads (
  remote     TEXT    NOT NULL REFERENCES remotes (url) ON DELETE CASCADE,
  branch     TEXT    NOT NULL,
  sha        TEXT    NOT NULL,
  updated_at INTEGER NOT NULL,
  PRIMARY KEY (remote, branch)
);

-- The last workflows file applied, so a restart runs it even when the config
-- source is unreachable or now invalid.
CREATE TABLE applied_config (
  id         INTEGER PRIMARY KEY CHECK (id = 1),
  source     TEXT    NOT NULL,
  revision   TEXT    NOT NULL,
  content    BLOB    NOT NULL,
  applied_at INTEGER NOT NULL
);
