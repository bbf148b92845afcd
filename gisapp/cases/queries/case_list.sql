-- A page of cases for the list (gisapp/case_query.py list_cases).
-- The filters run first, on their own (MATERIALIZED): otherwise the planner, seeing the
-- LIMIT, walks the whole table backwards by time looking for one community's cases
-- (95 ms at city scale, against 4 ms through the area-code index).
-- Visibility: :vis_all (citywide), else the jurisdiction's code patterns or one's own
-- reports; the public passes false, no patterns and no user, and sees nothing.
-- Search (:q): a number is an id (:q_id); other text (:q_like) matches the description, the category's name, the area's name
-- or the address of a building within 30 m of the case (its "address").
WITH c AS MATERIALIZED (
    SELECT c.* FROM case_file c
    WHERE (:vis_all OR c.area_code LIKE ANY(CAST(:vis_patterns AS text[]))
           OR c.reporter_user_id = CAST(:vis_user AS bigint))
      AND (CAST(:area AS text) IS NULL OR c.area_code LIKE :area || '%')
      AND (CAST(:states AS text[]) IS NULL OR c.state = ANY(CAST(:states AS text[])))
      AND (CAST(:kind AS text) IS NULL OR c.kind = :kind)
      AND (CAST(:category AS text) IS NULL OR c.category = :category)
      AND (CAST(:since AS timestamptz) IS NULL OR c.reported_at >= CAST(:since AS timestamptz))
      AND (CAST(:until AS timestamptz) IS NULL OR c.reported_at < CAST(:until AS timestamptz))
      AND (CAST(:minx AS float8) IS NULL OR c.geom && ST_MakeEnvelope(:minx, :miny, :maxx, :maxy, 4326))
      AND (NOT :mine OR c.reporter_user_id = :me OR c.assignee_person_id = :my_person)
      AND (NOT :unassigned OR c.area_id IS NULL)
      AND (CAST(:q AS text) IS NULL
           OR c.id = CAST(:q_id AS bigint)
           OR CAST(:q_like AS text) IS NOT NULL AND c.description ILIKE :q_like
           OR EXISTS (SELECT 1 FROM case_category k WHERE k.key = c.category
                      AND (k.name_zh ILIKE :q_like OR k.key = :q))
           OR EXISTS (SELECT 1 FROM area a WHERE a.id = c.area_id AND a.name ILIKE :q_like)
           -- Uncorrelated, so run once: the few buildings whose address matches, then
           -- the cases near them through the GiST index (not a building search per case).
           OR c.id IN (SELECT n.id FROM building b JOIN case_file n
                         ON n.geom && ST_Expand(b.geom, 0.0005)
                        AND ST_DWithin(b.geom::geography, n.geom::geography, 30)
                       WHERE b.address ILIKE :q_like))
)
-- The page is chosen first (the count over all of them too), and only its rows get their
-- area path, assignee and nearest address: joined before the LIMIT, those ran for every
-- case of the community (36 ms a page at city scale).
, page AS (
    SELECT c.*, count(*) OVER () AS total FROM c
    ORDER BY CASE WHEN :sort = 'deadline' THEN c.deadline_at END ASC NULLS LAST,
             c.reported_at DESC, c.id DESC
    LIMIT :limit OFFSET :offset
)
SELECT c.id, c.kind, c.category, cc.name_zh AS category_zh, c.description, c.contact,
       c.reporter_user_id, c.state, c.reported_at, c.area_code, a.name AS area_name,
       area_path(c.area_id) AS area_path, addr.address,
       p.name AS assignee, c.assignee_person_id, c.department, c.deadline_at,
       c.suspended_at, c.ambiguous, c.duplicate_of, c.rework_count, c.version,
       cc.limit_hours, ST_X(c.geom) AS lng, ST_Y(c.geom) AS lat, c.total
FROM page c JOIN case_category cc ON cc.key = c.category
LEFT JOIN area a ON a.id = c.area_id LEFT JOIN person p ON p.id = c.assignee_person_id
LEFT JOIN LATERAL (
    SELECT b.address FROM building b
    WHERE b.address IS NOT NULL AND b.geom && ST_Expand(c.geom, 0.0005)
      AND ST_DWithin(b.geom::geography, c.geom::geography, 30)
    ORDER BY b.geom <-> c.geom LIMIT 1) addr ON true
ORDER BY CASE WHEN :sort = 'deadline' THEN c.deadline_at END ASC NULLS LAST,
         c.reported_at DESC, c.id DESC
