-- Where one photo of a case is stored (by content hash) and its type.
SELECT sha256, content_type FROM case_photo
WHERE id = :p AND case_id = :c
