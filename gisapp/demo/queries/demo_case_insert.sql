-- Demo cases from gisapp/demo_cases.py, one array element per case (NULL where a step
-- is not reached; evaluation 0 and escalation_level '' mean none).
INSERT INTO case_file (kind, category, description, reporter_kind, geom, reported_at, area_id,
                       area_code, department, state, dispatched_at, deadline_at, handled_at,
                       closed_at, rework_count, cancel_reason, evaluation, escalation_level)
SELECT k.kind, t.category, '示范案件（系统生成）', t.reporter_kind,
       ST_SetSRID(ST_MakePoint(t.lng, t.lat), 4326), t.reported_at, t.area_id, t.area_code,
       k.department, t.state, t.dispatched_at, t.deadline_at, t.handled_at, t.closed_at,
       t.rework_count, CASE WHEN t.state = 'cancelled' THEN '无效举报' END,
       NULLIF(t.evaluation, 0), NULLIF(t.escalation_level, '')
FROM unnest(CAST(:category AS text[]), CAST(:lng AS float8[]), CAST(:lat AS float8[]),
            CAST(:area_id AS bigint[]), CAST(:area_code AS text[]),
            CAST(:reporter_kind AS text[]), CAST(:reported_at AS timestamptz[]),
            CAST(:state AS text[]), CAST(:dispatched_at AS timestamptz[]),
            CAST(:deadline_at AS timestamptz[]), CAST(:handled_at AS timestamptz[]),
            CAST(:closed_at AS timestamptz[]), CAST(:rework_count AS int[]),
            CAST(:evaluation AS int[]), CAST(:escalation_level AS text[]))
     AS t(category, lng, lat, area_id, area_code, reporter_kind, reported_at, state,
          dispatched_at, deadline_at, handled_at, closed_at, rework_count, evaluation,
          escalation_level)
JOIN case_category k ON k.key = t.category
