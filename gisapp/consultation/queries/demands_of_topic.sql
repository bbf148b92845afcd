-- Demands that ended as this topic (demand.topic_id) and are not yet listed as opinions.
SELECT d.id AS demand_id, 'demand' AS source, d.body, d.created_at,
       d.reporter_name AS author_name, d.reporter_contact AS author_contact
FROM demand d
WHERE d.topic_id = :topic_id
  AND NOT EXISTS (SELECT 1 FROM topic_opinion o WHERE o.demand_id = d.id)
ORDER BY d.id
