-- Cutline schema, version 2: every edit carries the id its writer gave it, so a save retried after its reply
-- was lost is recognised (the id is already there) and never applied twice. Rows of older Cutlines have none.

ALTER TABLE edit_history ADD COLUMN edit_id uuid;
CREATE UNIQUE INDEX edit_history_edit_id_idx ON edit_history (edit_id);
