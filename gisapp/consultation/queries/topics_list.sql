-- Topics, newest first, filtered by area (code prefix), state and level; with the number
-- of opinions and of open follow-up tasks.
SELECT t.id, t.level, t.area_code, a.name AS area_name, t.title, t.step, t.state,
       t.public_token, t.created_at, t.reported_at,
       ST_X(t.geom) AS lng, ST_Y(t.geom) AS lat,
       (SELECT count(*) FROM topic_opinion o WHERE o.topic_id = t.id) AS opinions,
       (SELECT count(*) FROM topic_task k WHERE k.topic_id = t.id AND k.done_at IS NULL)
           AS open_tasks
FROM topic t
JOIN area a ON a.id = t.area_id
WHERE t.area_code LIKE :area_prefix
  AND (CAST(:state AS text) IS NULL OR t.state = :state)
  AND (CAST(:level AS text) IS NULL OR t.level = :level)
ORDER BY t.created_at DESC, t.id DESC
LIMIT :limit
