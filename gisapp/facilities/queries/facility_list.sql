-- Facilities matching the filters, with their kind's name and leaf area.
-- :public_only hides facilities not open to the public (for viewers without an account).
SELECT f.id, f.kind, k.name_zh AS kind_name, f.name, f.address, f.phone, f.capacity,
       f.opening_hours, f.is_public, ST_X(f.geom) AS lng, ST_Y(f.geom) AS lat,
       a.code AS area_code, a.name AS area_name,
       -- How a page names the area: its path ('嘉和苑社区 第11网格 第1微网格').
       area_path(a.id) AS area_path
FROM facility f
JOIN facility_kind k ON k.kind = f.kind
LEFT JOIN area a ON a.id = f.area_id
WHERE (CAST(:kind AS text) IS NULL OR f.kind = CAST(:kind AS text))
  AND (CAST(:id AS bigint) IS NULL OR f.id = CAST(:id AS bigint))
  AND (NOT :public_only OR f.is_public)
  AND (CAST(:area AS text) IS NULL OR a.code LIKE CAST(:area AS text) || '%')
  AND (CAST(:minx AS float8) IS NULL
       OR f.geom && ST_MakeEnvelope(:minx, :miny, :maxx, :maxy, 4326))
ORDER BY f.id
LIMIT :limit OFFSET :offset
