-- The households a person must visit on :day: those of a colour whose owner roles
-- include a role the person holds on :day, in an area that duty covers (the duty's
-- area or any descendant, by code prefix), and whose next visit is due on or before
-- :day. Sorted by straight-line (geodesic) distance from :lng/:lat when given.
-- The code range test (code >= prefix AND code < prefix || '~') uses the code index;
-- a LIKE with a non-constant pattern would not.
WITH mine AS MATERIALIZED (
    -- The person's duties and the colours each duty's role owns.
    SELECT a.code, array_agg(DISTINCT f.colour) AS colours
    FROM duty d
    JOIN area a ON a.id = d.area_id
    JOIN five_colour f ON d.role = ANY(f.owner_roles)
    WHERE d.person_id = :person AND a.retired_at IS NULL
      AND d.starts_on <= CAST(:day AS date) AND (d.ends_on IS NULL OR d.ends_on >= CAST(:day AS date))
    GROUP BY a.code
),
homes AS MATERIALIZED (
    -- Laterals fenced with OFFSET 0, so the plan always walks duty -> areas (code index)
    -- -> households (area and colour index) and never scans every household of a
    -- colour, whatever the statistics say.
    SELECT DISTINCT ON (h.id) h.id, h.colour, h.building_id, h.unit, h.room, h.head_name,
           h.phone, h.tags, h.geom, h.area_id, h.last_visit_at, h.colour_since
    FROM mine m
    CROSS JOIN LATERAL (SELECT la.id FROM area la
                        WHERE la.code ~>=~ m.code AND la.code ~<~ (m.code || '~')
                          AND la.retired_at IS NULL OFFSET 0) la
    CROSS JOIN LATERAL (SELECT * FROM household h
                        WHERE h.area_id = la.id AND h.colour = ANY(m.colours) OFFSET 0) h
    ORDER BY h.id
)
SELECT h.id, h.colour, f.key AS colour_key, f.name_zh AS colour_zh,
       (SELECT b.name FROM building b WHERE b.id = h.building_id) AS building,
       h.unit, h.room, h.head_name, h.phone, h.tags, ST_X(h.geom) AS lng, ST_Y(h.geom) AS lat,
       a.code AS area_code, a.name AS area_name, h.last_visit_at,
       household_due_on(f.cadence, h.last_visit_at, h.colour_since) AS due_on,
       CASE WHEN CAST(:lng AS float8) IS NULL THEN NULL
            ELSE ST_Distance(h.geom::geography,
                             ST_SetSRID(ST_MakePoint(:lng, :lat), 4326)::geography) END AS distance_m
FROM homes h
JOIN five_colour f ON f.colour = h.colour
CROSS JOIN LATERAL (SELECT a.code, a.name FROM area a WHERE a.id = h.area_id OFFSET 0) a
WHERE household_due_on(f.cadence, h.last_visit_at, h.colour_since) <= CAST(:day AS date)
ORDER BY distance_m NULLS LAST, due_on, h.colour, h.id
LIMIT :limit
