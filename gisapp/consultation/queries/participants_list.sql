SELECT kind, name FROM topic_participant WHERE topic_id = :topic_id ORDER BY kind, id
