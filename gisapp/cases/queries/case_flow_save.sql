INSERT INTO case_event (case_id, actor_user_id, actor_name, action,
                                                 from_state, to_state, note, detail)
                         VALUES (:id, :uid, :name, :action, :from, :to, :note, CAST(:detail AS jsonb))
                         RETURNING id
