-- The newest visits in an area, within the viewer's jurisdiction.
SELECT v.id FROM visit v
WHERE v.area_code LIKE :prefix || '%' AND v.area_code LIKE ANY(CAST(:patterns AS text[]))
ORDER BY v.recorded_at DESC, v.id DESC LIMIT :limit
