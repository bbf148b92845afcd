-- The 743 -> 841 review (gisapp/plan_review.py, docs/plan.md): what the city's rule needs
-- to know of each building, and the supervisors' overrides of the rule's decisions.
-- Re-runnable.

-- Property management (物业): whether the building is served by a property-management
-- company, and which. A stand-alone building (散楼) belongs to no estate and has no
-- management; the two flags exclude each other. built_year: the year it was completed.
ALTER TABLE building ADD COLUMN IF NOT EXISTS managed boolean NOT NULL DEFAULT false;
ALTER TABLE building ADD COLUMN IF NOT EXISTS management_company text
    CHECK (management_company IS NULL OR length(btrim(management_company)) BETWEEN 1 AND 100);
ALTER TABLE building ADD COLUMN IF NOT EXISTS standalone boolean NOT NULL DEFAULT false;
ALTER TABLE building ADD COLUMN IF NOT EXISTS built_year smallint
    CHECK (built_year BETWEEN 1800 AND 2100);
DO $$ BEGIN
    ALTER TABLE building ADD CONSTRAINT building_managed_not_standalone
        CHECK (NOT (managed AND standalone));
    ALTER TABLE building ADD CONSTRAINT building_company_if_managed
        CHECK (management_company IS NULL OR managed);
EXCEPTION WHEN duplicate_object THEN NULL;
END $$;

-- A supervisor's decision that replaces the rule's for one community (codes are stable
-- identities, so the override follows the community through boundary versions). Each
-- change is also written to audit_log (action plan.override / plan.override.clear).
CREATE TABLE IF NOT EXISTS plan_override (
    community_code text PRIMARY KEY CHECK (community_code ~ '^[0-9]{12}$'),
    decision       text NOT NULL CHECK (decision IN ('split', 'keep')),
    reason         text NOT NULL CHECK (length(btrim(reason)) BETWEEN 1 AND 500),
    user_id        bigint REFERENCES app_user (id) ON DELETE SET NULL,
    username       text NOT NULL,
    decided_at     timestamptz NOT NULL DEFAULT now()
);
