-- Close the current version of every area whose boundary changes or that is retired.
UPDATE area_version v SET valid_to = :t
FROM boundary_plan p
WHERE v.area_id = p.area_id AND v.valid_to IS NULL AND p.action IN ('version', 'retire')
