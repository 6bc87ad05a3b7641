-- What a jobs list shows of a job's commit: its message's first line and its
-- author (the pusher's text, kept short and clean; see git::commit_summary).
ALTER TABLE jobs ADD COLUMN commit_title TEXT NOT NULL DEFAULT '';
ALTER TABLE jobs ADD COLUMN commit_author TEXT NOT NULL DEFAULT '';
-- The jobs list filters by branch (a PR's job: its source branch).
CREATE INDEX jobs_by_branch ON jobs (branch, id);
