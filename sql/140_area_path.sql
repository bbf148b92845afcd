-- How a page names an area to a person. "第1微网格" or "第3网格" alone is ambiguous in a
-- city of thousands of grids, so an area is named by its path: the names of its
-- ancestors from `from_level` down to itself, joined by spaces
-- (area_path(id) = '嘉和苑社区 第11网格 第1微网格'). from_level 1 starts at the district.
CREATE OR REPLACE FUNCTION area_path(area_id bigint, from_level smallint DEFAULT 3)
RETURNS text LANGUAGE sql STABLE AS $$
    WITH RECURSIVE up AS (
        SELECT a.id, a.parent_id, a.level, a.name FROM area a WHERE a.id = area_id
        UNION ALL
        SELECT p.id, p.parent_id, p.level, p.name FROM area p JOIN up ON p.id = up.parent_id
        WHERE up.level > from_level
    )
    SELECT string_agg(name, ' ' ORDER BY level) FROM up
$$;

-- The same by code, for callers that hold codes.
CREATE OR REPLACE FUNCTION area_path(area_code text, from_level smallint DEFAULT 3)
RETURNS text LANGUAGE sql STABLE AS $$
    SELECT area_path(a.id, from_level) FROM area a WHERE a.code = area_code
$$;
