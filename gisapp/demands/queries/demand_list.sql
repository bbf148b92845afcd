-- A page of demands (gisapp/demands/lists.py), filters first as for case_list.sql.
-- Visibility: :vis_all (citywide), else the jurisdiction's code patterns or one's own.
-- Period: raised in [:since, :until). :overdue keeps open demands past their deadline.
WITH d AS MATERIALIZED (
    SELECT d.* FROM demand d
    WHERE (:vis_all OR d.area_code LIKE ANY(CAST(:vis_patterns AS text[]))
           OR d.raised_by_user_id = CAST(:vis_user AS bigint))
      AND (CAST(:area AS text) IS NULL OR d.area_code LIKE :area || '%')
      AND (CAST(:states AS text[]) IS NULL OR d.state = ANY(CAST(:states AS text[])))
      AND (CAST(:category AS text) IS NULL OR d.category = :category)
      AND (CAST(:since AS timestamptz) IS NULL OR d.created_at >= CAST(:since AS timestamptz))
      AND (CAST(:until AS timestamptz) IS NULL OR d.created_at < CAST(:until AS timestamptz))
      AND (CAST(:grp AS bigint) IS NULL OR d.group_id = :grp)
      AND (NOT :overdue OR (d.state = 'open' AND d.deadline_at < now()))
)
SELECT d.id, d.receipt, d.category, c.name_zh AS category_zh, d.body, d.source,
       d.area_code, area_path(d.area_id) AS area_path, d.group_id,
       d.reporter_name, d.reporter_contact, d.raised_by_user_id, d.state, d.case_id,
       d.topic_id, d.created_at, d.deadline_at, d.closed_at,
       coalesce(d.closed_at, now()) > d.deadline_at AS overdue,
       ST_X(d.geom) AS lng, ST_Y(d.geom) AS lat, count(*) OVER () AS total
FROM d JOIN demand_category c ON c.key = d.category
ORDER BY CASE WHEN :sort = 'deadline' THEN d.deadline_at END ASC NULLS LAST,
         d.created_at DESC, d.id DESC
LIMIT :limit OFFSET :offset
