-- Privacy of small numbers (issue 14 point 4). A count of a sensitive class (a household
-- colour, a special group) is shown as '<N' when it is under the threshold N, to anyone
-- without a duty toward those households; and they get no colour breakdown below the
-- community (level 3). Values are jsonb so a shown count stays a number and a hidden one
-- is the string '<N'; ST_AsMVT expands a jsonb column into typed tile properties.

CREATE OR REPLACE FUNCTION shown_count(n integer, exact boolean, threshold integer)
RETURNS jsonb LANGUAGE sql IMMUTABLE PARALLEL SAFE AS $$
    SELECT CASE WHEN n IS NULL THEN NULL
                WHEN exact OR n >= threshold THEN to_jsonb(n)
                ELSE to_jsonb('<' || threshold) END
$$;

-- The five colour counts of an area as {"red": .., "orange": .., ...}, or '{}' where
-- no breakdown may be shown (below the community, without a duty).
CREATE OR REPLACE FUNCTION shown_colours(counts integer[], level smallint, exact boolean,
                                         threshold integer)
RETURNS jsonb LANGUAGE sql IMMUTABLE PARALLEL SAFE AS $$
    SELECT CASE WHEN NOT exact AND level > 3 THEN '{}'::jsonb
                ELSE jsonb_build_object(
                    'red', shown_count(counts[1], exact, threshold),
                    'orange', shown_count(counts[2], exact, threshold),
                    'yellow', shown_count(counts[3], exact, threshold),
                    'blue', shown_count(counts[4], exact, threshold),
                    'green', shown_count(counts[5], exact, threshold)) END
$$;
