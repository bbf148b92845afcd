-- Store one demand: locate its leaf area (locate_leaf, the rule case reports follow),
-- join the group of the earliest similar demand (same category, same community, raised
-- within :group_days days, trigram similarity of the texts at least :similarity), write
-- the row and its 'raise' event. A client id stored before inserts nothing (no row back).
WITH pt AS (
    SELECT ST_SetSRID(ST_MakePoint(:lng, :lat), 4326) AS g
), leaf AS (
    SELECT a.id, a.code FROM pt, area a WHERE a.id = locate_leaf(pt.g)
), alike AS (
    SELECT coalesce(d.group_id, d.id) AS group_id
    FROM demand d, leaf
    WHERE length(leaf.code) >= 12
      AND d.category = :category
      AND left(d.area_code, 12) = left(leaf.code, 12)
      AND d.created_at >= now() - make_interval(secs => :group_days * 86400)
      AND similarity(d.body, :body) >= :similarity
    ORDER BY d.created_at, d.id
    LIMIT 1
), new_id AS (
    SELECT nextval(pg_get_serial_sequence('demand', 'id')) AS id
), ins AS (
    INSERT INTO demand (id, receipt, client_id, category, body, geom, area_id, area_code,
                        source, visit_id, raised_by_user_id, reporter_name, reporter_contact,
                        group_id, deadline_at)
    SELECT n.id, :receipt, :client_id, :category, :body, pt.g, leaf.id, leaf.code,
           :source, :visit_id, :user_id, :reporter_name, :reporter_contact,
           coalesce((SELECT group_id FROM alike), n.id),
           now() + make_interval(secs => :deadline_days * 86400)
    FROM new_id n CROSS JOIN pt LEFT JOIN leaf ON true
    ON CONFLICT (client_id) DO NOTHING
    RETURNING id
), ev AS (
    INSERT INTO demand_event (demand_id, actor_user_id, action, from_state, to_state, note)
    SELECT id, :user_id, 'raise', NULL, 'open', :source FROM ins
)
SELECT id FROM ins
