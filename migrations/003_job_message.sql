-- Cutline schema, version 3: a finished job keeps what its user must be told. An export by stream copy widens
-- its segments to keyframes, a smart cut may re-encode a seam; the job's last message says so ("segment 1:
-- keyframe cut, copied 0.000-4.000 s (asked 0.500-4.000 s)"), and a panel that reads the job from PostgreSQL
-- (Redis restarted, another machine) shows it too. ``error_message`` stays what a failed job said.

ALTER TABLE jobs ADD COLUMN message text;
