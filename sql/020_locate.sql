-- The one rule that assigns a point to an area (see README, "Points on a boundary").
-- Candidates are the leaf areas (no live children) whose boundary, edges included,
-- covers the point; the smallest code wins. Ancestors follow by parent links, so the
-- levels above always agree with the leaf. The in-memory index implements the same
-- rule and a test compares the two.
CREATE OR REPLACE FUNCTION locate_leaf(pt geometry, t timestamptz DEFAULT NULL)
RETURNS bigint LANGUAGE sql STABLE AS $$
    SELECT a.id
    FROM area a
    JOIN area_version v ON v.area_id = a.id
    WHERE ST_Covers(v.geom, pt)
      AND CASE WHEN t IS NULL THEN v.valid_to IS NULL
               ELSE v.valid_from <= t AND (v.valid_to IS NULL OR v.valid_to > t) END
      AND NOT EXISTS (
          SELECT 1 FROM area c JOIN area_version cv ON cv.area_id = c.id
          WHERE c.parent_id = a.id
            AND CASE WHEN t IS NULL THEN cv.valid_to IS NULL
                     ELSE cv.valid_from <= t AND (cv.valid_to IS NULL OR cv.valid_to > t) END)
    ORDER BY a.code
    LIMIT 1
$$;
