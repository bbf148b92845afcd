INSERT INTO visit (client_id, household_id, person_id, user_id, visited_at, outcome, note,
                   geom, accuracy_m, photo_sha256, photo_type)
VALUES (:client_id, :household_id, :person_id, :user_id, coalesce(:visited_at, now()),
        :outcome, :note,
        CASE WHEN CAST(:lng AS float8) IS NULL THEN NULL
             ELSE ST_SetSRID(ST_MakePoint(:lng, :lat), 4326) END,
        :accuracy, :photo_sha256, :photo_type)
ON CONFLICT (client_id) DO NOTHING
RETURNING id
