-- Cutline schema, version 2: every edit carries the id its writer gave it, so a save retried after its reply
-- was lost is recognised (the id is already there) and never applied twice. Rows of older Cutlines have none.

ALTER TABLE edit_history ADD COLUMN edit_id uuid;
CREATE UNIQUE INDEX edit_history_edit_id_idx ON edit_history (edit_id);

-- The revision whose state ``timeline_state`` holds. A writer saving a burst of edits commits each edit's row
-- at once and the whole state a little later (within two seconds); a reader of a project whose state is behind
-- its revision replays the rows in between (never undo/redo: those are saved with their state).
ALTER TABLE projects ADD COLUMN state_revision bigint NOT NULL DEFAULT 1;
UPDATE projects SET state_revision = revision;
