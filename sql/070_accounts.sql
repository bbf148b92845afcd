-- Accounts, sessions, API tokens, the audit log and rate-limit counters.

CREATE TABLE IF NOT EXISTS app_role (
    role    text PRIMARY KEY,
    name_zh text NOT NULL,
    rank    smallint NOT NULL,
    -- Whether the role has a duty toward households (and so may see personal data
    -- of households inside its jurisdiction).
    household_duty boolean NOT NULL,
    -- Whether the role may edit boundaries inside its jurisdiction.
    edits_boundaries boolean NOT NULL,
    -- Whether the role sees the whole city (jurisdiction = everything).
    citywide boolean NOT NULL
);
INSERT INTO app_role (role, name_zh, rank, household_duty, edits_boundaries, citywide) VALUES
    ('city_admin',           '市级管理员',   10, false, true,  true),
    ('district_supervisor',  '区级主管',     20, false, true,  false),
    ('street_supervisor',    '街道主管',     30, false, true,  false),
    ('community_supervisor', '社区主管',     40, true,  true,  false),
    ('grid_leader',          '网格长',       50, true,  false, false),
    ('grid_worker',          '网格员',       60, true,  false, false),
    ('info_officer',         '网格信息员',   70, true,  false, false),
    ('volunteer',            '志愿者/楼栋长', 80, true,  false, false),
    ('wall_viewer',          '指挥大屏',     90, false, false, true)
ON CONFLICT (role) DO NOTHING;

CREATE TABLE IF NOT EXISTS app_user (
    id            bigserial PRIMARY KEY,
    username      text NOT NULL UNIQUE CHECK (username ~ '^[a-z0-9_.-]{3,40}$'),
    display_name  text NOT NULL,
    password_hash text NOT NULL,
    role          text NOT NULL REFERENCES app_role (role),
    -- The staff record whose duties define the jurisdiction (not needed for citywide roles).
    person_id     bigint REFERENCES person (id),
    disabled      boolean NOT NULL DEFAULT false,
    failed_logins integer NOT NULL DEFAULT 0,
    locked_until  timestamptz,
    created_at    timestamptz NOT NULL DEFAULT now()
);

CREATE TABLE IF NOT EXISTS web_session (
    id_hash    text PRIMARY KEY,          -- sha256 of the cookie value; the value is never stored
    user_id    bigint NOT NULL REFERENCES app_user (id) ON DELETE CASCADE,
    csrf_token text NOT NULL,
    created_at timestamptz NOT NULL DEFAULT now(),
    expires_at timestamptz NOT NULL,
    ip         text,
    user_agent text
);
CREATE INDEX IF NOT EXISTS web_session_user_idx ON web_session (user_id);

CREATE TABLE IF NOT EXISTS api_token (
    id          bigserial PRIMARY KEY,
    user_id     bigint NOT NULL REFERENCES app_user (id) ON DELETE CASCADE,
    token_hash  text NOT NULL UNIQUE,     -- sha256 of the secret part; shown once, never stored
    prefix      text NOT NULL,            -- first characters, to recognise a token in lists
    label       text NOT NULL DEFAULT '',
    created_at  timestamptz NOT NULL DEFAULT now(),
    expires_at  timestamptz NOT NULL,
    revoked_at  timestamptz,
    last_used_at timestamptz,
    CHECK (expires_at > created_at)
);

CREATE TABLE IF NOT EXISTS audit_log (
    id        bigserial PRIMARY KEY,
    at        timestamptz NOT NULL DEFAULT now(),
    user_id   bigint REFERENCES app_user (id),
    username  text,
    role      text,
    action    text NOT NULL,              -- e.g. read.households, login.failed, user.disable
    target    text,
    detail    jsonb NOT NULL DEFAULT '{}',
    ip        text,
    method    text,
    path      text
);
CREATE INDEX IF NOT EXISTS audit_log_at_idx ON audit_log (at);
CREATE INDEX IF NOT EXISTS audit_log_user_idx ON audit_log (user_id, at);
CREATE INDEX IF NOT EXISTS audit_log_action_idx ON audit_log (action, at);

-- Fixed-window counters shared by every worker process (login and public reports).
CREATE TABLE IF NOT EXISTS rate_limit (
    bucket      text NOT NULL,
    window_start timestamptz NOT NULL,
    hits        integer NOT NULL DEFAULT 0,
    PRIMARY KEY (bucket, window_start)
);
