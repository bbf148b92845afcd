INSERT INTO topic_opinion (topic_id, source, body, author_name, author_contact, author_user_id,
                           demand_id, created_at)
VALUES (:topic_id, :source, :body, :name, :contact, :user_id, :demand_id, now())
RETURNING id
