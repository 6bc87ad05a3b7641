-- The forge a job's commit lives on (github, gitlab or git), kept so its final
-- commit status is posted even when its workflow left the workflows file.
ALTER TABLE jobs ADD COLUMN integration TEXT NOT NULL DEFAULT '';
