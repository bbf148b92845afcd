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

-- Households per building, kept by statement-level triggers (one aggregated update per
-- statement, so a bulk COPY of households costs one pass): the review weighs each
-- building by it without scanning every household (2.68 M in the city).
ALTER TABLE building ADD COLUMN IF NOT EXISTS households integer NOT NULL DEFAULT 0;

CREATE OR REPLACE FUNCTION building_households_added() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
    UPDATE building b SET households = b.households + d.n
    FROM (SELECT building_id, count(*)::int AS n FROM added WHERE building_id IS NOT NULL
          GROUP BY building_id) d
    WHERE b.id = d.building_id;
    RETURN NULL;
END $$;

CREATE OR REPLACE FUNCTION building_households_removed() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
    UPDATE building b SET households = b.households - d.n
    FROM (SELECT building_id, count(*)::int AS n FROM removed WHERE building_id IS NOT NULL
          GROUP BY building_id) d
    WHERE b.id = d.building_id;
    RETURN NULL;
END $$;

CREATE OR REPLACE FUNCTION building_households_moved() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
    UPDATE building b SET households = b.households + d.n
    FROM (SELECT building_id, sum(n)::int AS n FROM (
              SELECT o.building_id, -1 AS n FROM removed o JOIN added a USING (id)
              WHERE o.building_id IS DISTINCT FROM a.building_id
              UNION ALL
              SELECT a.building_id, 1 FROM removed o JOIN added a USING (id)
              WHERE o.building_id IS DISTINCT FROM a.building_id) s
          WHERE building_id IS NOT NULL GROUP BY building_id) d
    WHERE b.id = d.building_id AND d.n <> 0;
    RETURN NULL;
END $$;

DROP TRIGGER IF EXISTS household_building_added ON household;
CREATE TRIGGER household_building_added AFTER INSERT ON household
    REFERENCING NEW TABLE AS added FOR EACH STATEMENT EXECUTE FUNCTION building_households_added();
DROP TRIGGER IF EXISTS household_building_removed ON household;
CREATE TRIGGER household_building_removed AFTER DELETE ON household
    REFERENCING OLD TABLE AS removed FOR EACH STATEMENT EXECUTE FUNCTION building_households_removed();
DROP TRIGGER IF EXISTS household_building_moved ON household;
CREATE TRIGGER household_building_moved AFTER UPDATE ON household
    REFERENCING OLD TABLE AS removed NEW TABLE AS added
    FOR EACH STATEMENT EXECUTE FUNCTION building_households_moved();

-- The count as it stands (once, when this file is applied).
UPDATE building b SET households = coalesce(c.n, 0)
FROM building b2 LEFT JOIN (SELECT building_id, count(*)::int AS n FROM household
                            WHERE building_id IS NOT NULL GROUP BY building_id) c ON c.building_id = b2.id
WHERE b.id = b2.id AND b.households IS DISTINCT FROM coalesce(c.n, 0);

-- Households without a building are weighed one by one; this finds them at once.
CREATE INDEX IF NOT EXISTS household_unbuilt_idx ON household (area_id) WHERE building_id IS NULL;
