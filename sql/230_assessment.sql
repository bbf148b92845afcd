-- The assessment (考核, gisapp/assessment/, docs/assessment.md): the scheme per level, the
-- runs published for a period with their items and results, appeals, and residents'
-- satisfaction (single-use links after a case is closed, and answers given on a visit).
-- Re-runnable.

-- The indicators the code knows how to compute (gisapp/assessment/indicators.py). Each is
-- a numerator over a denominator for one subject (a community, a grid or a worker) and
-- a period; `higher_is_better` false: points are 100 * (1 - value) (the rework rate).
CREATE TABLE IF NOT EXISTS assessment_indicator (
    key              text PRIMARY KEY CHECK (key ~ '^[a-z_]{2,40}$'),
    name_zh          text NOT NULL,
    higher_is_better boolean NOT NULL DEFAULT true,
    sort             smallint NOT NULL
);
INSERT INTO assessment_indicator (key, name_zh, higher_is_better, sort) VALUES
    ('case_closure',      '案件结案率',     true,  1),
    ('case_on_time',      '按时办结率',     true,  2),
    ('case_rework',       '返工率',         false, 3),
    ('visit_completion',  '走访完成率',     true,  4),
    ('demand_on_time',    '诉求按时办结率', true,  5),
    ('topic_followup',    '协商事项落实率', true,  6),
    ('satisfaction',      '群众满意率',     true,  7)
ON CONFLICT (key) DO NOTHING;

-- The scheme of one level: a weight per indicator (the seeds: "加大服务对象意见的权重",
-- satisfaction weighs most), the grade quotas as shares of the ranking (A and B "too
-- small" in the seeds, so they are a setting), and the appeal window in days.
CREATE TABLE IF NOT EXISTS assessment_scheme (
    level       text PRIMARY KEY CHECK (level IN ('community', 'grid', 'worker')),
    weights     jsonb NOT NULL CHECK (jsonb_typeof(weights) = 'object'),
    quotas      jsonb NOT NULL CHECK (jsonb_typeof(quotas) = 'object'),
    appeal_days smallint NOT NULL DEFAULT 7 CHECK (appeal_days BETWEEN 1 AND 60),
    updated_at  timestamptz NOT NULL DEFAULT now(),
    updated_by  text NOT NULL DEFAULT 'system'
);
INSERT INTO assessment_scheme (level, weights, quotas) VALUES
    ('community', '{"case_closure": 10, "case_on_time": 10, "case_rework": 5,
                    "visit_completion": 15, "demand_on_time": 10, "topic_followup": 10,
                    "satisfaction": 40}', '{"A": 0.2, "B": 0.4, "C": 0.3}'),
    ('grid',      '{"case_closure": 10, "case_on_time": 15, "case_rework": 5,
                    "visit_completion": 20, "demand_on_time": 10, "satisfaction": 40}',
                  '{"A": 0.2, "B": 0.4, "C": 0.3}'),
    ('worker',    '{"case_closure": 15, "case_on_time": 15, "case_rework": 5,
                    "visit_completion": 20, "topic_followup": 5, "satisfaction": 40}',
                  '{"A": 0.2, "B": 0.4, "C": 0.3}')
ON CONFLICT (level) DO NOTHING;

-- A run: the scores of every subject of a level inside `scope` (a code prefix, '' for the
-- city) for the days [period_from, period_to], with the scheme as it stood. Published
-- (公示) runs are open to appeal until appeal_until.
CREATE TABLE IF NOT EXISTS assessment_run (
    id           bigserial PRIMARY KEY,
    level        text NOT NULL CHECK (level IN ('community', 'grid', 'worker')),
    scope        text NOT NULL DEFAULT '' CHECK (scope ~ '^([0-9]{6}([0-9]{3})*)?$'),
    period_from  date NOT NULL,
    period_to    date NOT NULL,
    scheme       jsonb NOT NULL,
    state        text NOT NULL DEFAULT 'draft' CHECK (state IN ('draft', 'published')),
    created_at   timestamptz NOT NULL DEFAULT now(),
    created_by   text NOT NULL,
    published_at timestamptz,
    appeal_until timestamptz,
    CHECK (period_from <= period_to),
    CHECK ((state = 'published') = (published_at IS NOT NULL AND appeal_until IS NOT NULL))
);
CREATE INDEX IF NOT EXISTS assessment_run_period_idx ON assessment_run (level, period_from);

-- One subject's figure for one indicator in a run. `original_value` keeps what was
-- computed when an appeal corrects `value`.
CREATE TABLE IF NOT EXISTS assessment_item (
    run_id         bigint NOT NULL REFERENCES assessment_run (id) ON DELETE CASCADE,
    subject        text NOT NULL,
    indicator      text NOT NULL REFERENCES assessment_indicator (key),
    numerator      float8 NOT NULL,
    denominator    float8 NOT NULL,
    value          float8 CHECK (value BETWEEN 0 AND 1),
    original_value float8,
    PRIMARY KEY (run_id, subject, indicator)
);

CREATE TABLE IF NOT EXISTS assessment_result (
    run_id    bigint NOT NULL REFERENCES assessment_run (id) ON DELETE CASCADE,
    subject   text NOT NULL,
    label     text NOT NULL,
    area_code text,
    score     float8,
    rank      integer,
    grade     text CHECK (grade IN ('A', 'B', 'C', 'D')),
    PRIMARY KEY (run_id, subject)
);

-- An appeal (申诉) against one item of a published run, by the assessed, decided by a
-- supervisor above them. Every step is also written to audit_log (assessment.*).
CREATE TABLE IF NOT EXISTS assessment_appeal (
    id              bigserial PRIMARY KEY,
    run_id          bigint NOT NULL REFERENCES assessment_run (id) ON DELETE CASCADE,
    subject         text NOT NULL,
    indicator       text NOT NULL REFERENCES assessment_indicator (key),
    reason          text NOT NULL CHECK (length(btrim(reason)) BETWEEN 1 AND 1000),
    state           text NOT NULL DEFAULT 'open' CHECK (state IN ('open', 'upheld', 'rejected')),
    filed_by        text NOT NULL,
    filed_at        timestamptz NOT NULL DEFAULT now(),
    decided_by      text,
    decided_at      timestamptz,
    decision_note   text CHECK (decision_note IS NULL OR length(decision_note) <= 1000),
    corrected_value float8 CHECK (corrected_value BETWEEN 0 AND 1),
    score_before    float8,
    score_after     float8,
    FOREIGN KEY (run_id, subject, indicator)
        REFERENCES assessment_item (run_id, subject, indicator) ON DELETE CASCADE,
    CHECK ((state = 'open') = (decided_at IS NULL)),
    CHECK (state <> 'upheld' OR corrected_value IS NOT NULL)
);
-- One open appeal per item at a time.
CREATE UNIQUE INDEX IF NOT EXISTS assessment_appeal_open_idx
    ON assessment_appeal (run_id, subject, indicator) WHERE state = 'open';

-- Residents' satisfaction: a score 1..5 (4 and 5 count as satisfied) and a comment,
-- either through a case's single-use link or recorded on a visit. The area and the
-- worker are copied when the answer is given, so the figures read one narrow table.
CREATE TABLE IF NOT EXISTS satisfaction (
    id         bigserial PRIMARY KEY,
    source     text NOT NULL CHECK (source IN ('case', 'visit')),
    case_id    bigint UNIQUE REFERENCES case_file (id),
    visit_id   bigint UNIQUE REFERENCES visit (id) ON DELETE CASCADE,
    area_code  text,
    person_id  bigint REFERENCES person (id),
    score      smallint NOT NULL CHECK (score BETWEEN 1 AND 5),
    comment    text NOT NULL DEFAULT '' CHECK (length(comment) <= 500),
    at         timestamptz NOT NULL DEFAULT now(),
    CHECK ((source = 'case') = (case_id IS NOT NULL)),
    CHECK ((source = 'visit') = (visit_id IS NOT NULL))
);
CREATE INDEX IF NOT EXISTS satisfaction_at_idx ON satisfaction (at);
CREATE INDEX IF NOT EXISTS satisfaction_area_idx ON satisfaction (area_code text_pattern_ops, at);

-- The public reporter's receipt code for a case (查询码): the key to the receipt page,
-- which tells the state and, once closed, offers the satisfaction link. Issued for every
-- case reported by the public, in the reporting statement (trigger below).
CREATE TABLE IF NOT EXISTS case_receipt (
    case_id bigint PRIMARY KEY REFERENCES case_file (id),
    code    text NOT NULL UNIQUE CHECK (code ~ '^[A-Za-z0-9]{12,40}$')
);

-- "Was it fixed?" (as FixMyStreet): when a publicly reported case is closed, its reporter
-- gets a link with this token. It works once (used_at) and expires. The token is stored
-- as is: it is worth one answer about one case, and the receipt page must show it again.
CREATE TABLE IF NOT EXISTS satisfaction_invite (
    token      text PRIMARY KEY CHECK (token ~ '^[A-Za-z0-9]{20,64}$'),
    case_id    bigint NOT NULL UNIQUE REFERENCES case_file (id),
    created_at timestamptz NOT NULL DEFAULT now(),
    expires_at timestamptz NOT NULL,
    used_at    timestamptz,
    CHECK (expires_at > created_at)
);

CREATE OR REPLACE FUNCTION random_code(n integer) RETURNS text LANGUAGE sql VOLATILE AS $$
    SELECT left(replace(replace(replace(
        encode(decode(md5(gen_random_uuid()::text) || md5(gen_random_uuid()::text), 'hex'),
               'base64'), '+', ''), '/', ''), '=', ''), n)
$$;

CREATE OR REPLACE FUNCTION case_receipt_issue() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    INSERT INTO case_receipt (case_id, code) VALUES (NEW.id, random_code(16));
    RETURN NULL;
END $$;
DROP TRIGGER IF EXISTS case_receipt_issue_trg ON case_file;
CREATE TRIGGER case_receipt_issue_trg AFTER INSERT ON case_file
    FOR EACH ROW WHEN (NEW.reporter_kind = 'public') EXECUTE FUNCTION case_receipt_issue();

-- The link is valid for 30 days after the closing (docs/assessment.md).
CREATE OR REPLACE FUNCTION satisfaction_invite_issue() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    INSERT INTO satisfaction_invite (token, case_id, created_at, expires_at)
    VALUES (random_code(24), NEW.id, now(), now() + interval '30 days')
    ON CONFLICT (case_id) DO NOTHING;
    RETURN NULL;
END $$;
DROP TRIGGER IF EXISTS satisfaction_invite_issue_trg ON case_file;
CREATE TRIGGER satisfaction_invite_issue_trg AFTER UPDATE OF state ON case_file
    FOR EACH ROW WHEN (NEW.state = 'closed' AND OLD.state <> 'closed'
                       AND NEW.reporter_kind = 'public')
    EXECUTE FUNCTION satisfaction_invite_issue();
