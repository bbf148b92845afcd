-- Recompute the cached household counts of every live area, bottom-up, set-based.
-- Leaves count the households assigned to them; every other area sums its children.
CREATE OR REPLACE FUNCTION refresh_area_counts() RETURNS void LANGUAGE plpgsql AS $$
DECLARE
    lvl smallint;
BEGIN
    UPDATE area SET households = 0, colour_counts = '{0,0,0,0,0}' WHERE retired_at IS NULL;
    UPDATE area a SET households = c.n, colour_counts = c.cc
    FROM (
        SELECT h.area_id, count(*)::int AS n,
               ARRAY[count(*) FILTER (WHERE colour = 1), count(*) FILTER (WHERE colour = 2),
                     count(*) FILTER (WHERE colour = 3), count(*) FILTER (WHERE colour = 4),
                     count(*) FILTER (WHERE colour = 5)]::int[] AS cc
        FROM household h GROUP BY h.area_id
    ) c
    WHERE a.id = c.area_id;
    FOR lvl IN SELECT level FROM area_level WHERE level < 5 ORDER BY level DESC LOOP
        UPDATE area p SET households = s.n, colour_counts = s.cc
        FROM (
            SELECT k.parent_id, sum(k.households)::int AS n,
                   ARRAY[sum(k.colour_counts[1]), sum(k.colour_counts[2]), sum(k.colour_counts[3]),
                         sum(k.colour_counts[4]), sum(k.colour_counts[5])]::int[] AS cc
            FROM area k WHERE k.retired_at IS NULL AND k.level = lvl + 1
            GROUP BY k.parent_id
        ) s
        WHERE p.id = s.parent_id;
    END LOOP;
END $$;
