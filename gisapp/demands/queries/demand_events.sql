-- A demand's history, oldest first, with the actor's account name.
SELECT e.at, e.action, e.from_state, e.to_state, e.note, u.username AS actor
FROM demand_event e LEFT JOIN app_user u ON u.id = e.actor_user_id
WHERE e.demand_id = :id
ORDER BY e.id
