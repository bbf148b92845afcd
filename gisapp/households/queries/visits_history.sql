SELECT id FROM visit WHERE household_id = :h ORDER BY visited_at DESC, id DESC LIMIT :n
