-- Cutline schema, version 1. See DESIGN.md "Data".

CREATE TABLE media (
    id               bigserial PRIMARY KEY,
    fingerprint      text        NOT NULL UNIQUE,
    path             text        NOT NULL,
    duration_seconds double precision,
    width            integer,
    height           integer,
    frame_rate       text,            -- a fraction such as '30000/1001'
    video_codec      text,
    audio_codec      text,
    sample_rate      integer,
    bitrate          bigint,
    rotation         integer     NOT NULL DEFAULT 0,
    info             jsonb       NOT NULL DEFAULT '{}'::jsonb,  -- the whole probe result
    probed_at        timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX media_path_idx ON media (path);

CREATE TABLE projects (
    id             bigserial PRIMARY KEY,
    name           text        NOT NULL CHECK (length(name) BETWEEN 1 AND 500),
    description    text        NOT NULL DEFAULT '',
    timeline_state jsonb       NOT NULL,
    schema_version integer     NOT NULL,
    revision       bigint      NOT NULL DEFAULT 1 CHECK (revision >= 1),
    summary        jsonb       NOT NULL DEFAULT '{}'::jsonb,  -- duration, clip count, poster media: for lists
    undo_state     jsonb       NOT NULL DEFAULT '{}'::jsonb,  -- undo/redo stacks as revisions of edit_history
    created_at     timestamptz NOT NULL DEFAULT now(),
    updated_at     timestamptz NOT NULL DEFAULT now()
);
-- The project list is newest first with keyset pagination on (updated_at, id).
CREATE INDEX projects_updated_idx ON projects (updated_at DESC, id DESC);

CREATE FUNCTION cutline_touch_updated_at() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    NEW.updated_at := clock_timestamp();
    RETURN NEW;
END $$;

CREATE TRIGGER projects_touch_updated_at BEFORE UPDATE ON projects
    FOR EACH ROW EXECUTE FUNCTION cutline_touch_updated_at();

CREATE TABLE edit_history (
    id         bigserial PRIMARY KEY,
    project_id bigint      NOT NULL REFERENCES projects (id) ON DELETE CASCADE,
    revision   bigint      NOT NULL,
    edit_type  text        NOT NULL,
    params     jsonb       NOT NULL DEFAULT '{}'::jsonb,
    merge_key  text,                  -- edits of one drag share it and undo as one step
    state      jsonb,                 -- the timeline after this edit (undo after a crash loads it)
    created_at timestamptz NOT NULL DEFAULT now(),
    UNIQUE (project_id, revision)
);

CREATE TABLE jobs (
    id            uuid        PRIMARY KEY,
    kind          text        NOT NULL CHECK (kind IN ('export', 'thumbnails', 'waveform', 'proxy', 'probe')),
    params        jsonb       NOT NULL DEFAULT '{}'::jsonb,
    status        text        NOT NULL CHECK (status IN ('pending', 'running', 'complete', 'error', 'cancelled')),
    project_id    bigint      REFERENCES projects (id) ON DELETE SET NULL,
    owner         text,                 -- instance id of the window or process running it
    output_path   text,
    error_message text,
    created_at    timestamptz NOT NULL DEFAULT now(),
    started_at    timestamptz,
    finished_at   timestamptz
);
CREATE INDEX jobs_status_idx ON jobs (status);
CREATE INDEX jobs_created_idx ON jobs (created_at DESC);

CREATE TABLE sessions (
    id         uuid        PRIMARY KEY,
    data       jsonb       NOT NULL DEFAULT '{}'::jsonb,
    expires_at timestamptz NOT NULL,
    updated_at timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX sessions_expires_idx ON sessions (expires_at);
