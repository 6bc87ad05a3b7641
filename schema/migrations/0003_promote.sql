-- A job made by "promote" on a build task of an earlier job (its parent): the
-- index of that task. Its one task promotes the release the build made.
ALTER TABLE jobs ADD COLUMN promote_task INTEGER;
