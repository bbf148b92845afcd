-- A demand to link to a topic: it must lie in the topic's area.
SELECT d.id, d.body, d.area_code, d.topic_id
FROM demand d
WHERE d.id = :demand_id
