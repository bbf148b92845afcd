-- A topic's opinions, oldest first: residents', linked demands' and staff entries.
-- Names and contacts are read here and dropped by opinions.py for those without a duty.
SELECT o.id, o.source, o.body, o.created_at, o.author_name, o.author_contact,
       u.display_name AS staff_name, o.demand_id
FROM topic_opinion o
LEFT JOIN app_user u ON u.id = o.author_user_id
WHERE o.topic_id = :topic_id
ORDER BY o.id
