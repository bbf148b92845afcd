-- Demo demands from arrays (gisapp/demands/demo.py), with their events. A demand drawn to
-- end as a case takes the first case of its community and matching category raised while
-- it was open; if there is none it ends answered instead.
WITH src AS (
    SELECT * FROM unnest(
        CAST(:id AS bigint[]), CAST(:receipt AS text[]), CAST(:category AS text[]),
        CAST(:body AS text[]), CAST(:lng AS float8[]), CAST(:lat AS float8[]),
        CAST(:area_id AS bigint[]), CAST(:area_code AS text[]), CAST(:source AS text[]),
        CAST(:group_id AS bigint[]), CAST(:state AS text[]), CAST(:answer AS text[]),
        CAST(:reason AS text[]), CAST(:created_at AS timestamptz[]),
        CAST(:closed_at AS timestamptz[]))
    AS s(id, receipt, category, body, lng, lat, area_id, area_code, source, group_id, state,
         answer, reason, created_at, closed_at)
), linked AS (
    SELECT s.*, CASE WHEN s.state = 'case' THEN (
        SELECT c.id FROM case_file c JOIN demand_category k ON k.key = s.category
        WHERE c.category = k.case_category AND c.area_code LIKE left(s.area_code, 12) || '%'
          AND c.reported_at BETWEEN s.created_at AND s.closed_at
        ORDER BY c.reported_at LIMIT 1) END AS case_id
    FROM src s
), ins AS (
    INSERT INTO demand (id, receipt, category, body, geom, area_id, area_code, source, group_id,
                        state, case_id, answer, decline_reason, created_at, deadline_at, closed_at)
    SELECT id, receipt, category, body, ST_SetSRID(ST_MakePoint(lng, lat), 4326), area_id,
           area_code, source, group_id,
           CASE WHEN state = 'case' AND case_id IS NULL THEN 'answered' ELSE state END, case_id,
           CASE WHEN state = 'case' AND case_id IS NULL THEN :fallback
                WHEN state = 'answered' THEN answer END,
           reason, created_at, created_at + make_interval(days => :days), closed_at
    FROM linked
    ORDER BY id
    RETURNING id, state, created_at, closed_at, answer, decline_reason
)
INSERT INTO demand_event (demand_id, at, action, from_state, to_state, note)
SELECT id, created_at, 'raise', NULL, 'open', 'demo' FROM ins
UNION ALL
SELECT id, closed_at, CASE state WHEN 'case' THEN 'to_case' WHEN 'answered' THEN 'answer'
                                 ELSE 'decline' END,
       'open', state, coalesce(answer, decline_reason, '')
FROM ins WHERE state <> 'open'
