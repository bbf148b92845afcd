-- The photo a visit carries (NULL when none), and the household it belongs to.
SELECT household_id, photo_sha256, photo_type FROM visit WHERE id = :id
