INSERT INTO demand_event (demand_id, actor_user_id, action, from_state, to_state, note)
VALUES (:id, :user, :action, :from, :to, :note)
