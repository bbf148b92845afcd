SELECT t.id FROM topic t WHERE t.public_token = :token
