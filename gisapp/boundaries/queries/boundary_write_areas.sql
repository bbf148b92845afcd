-- Retire the areas the save retires, bring back the ones a revert restores, and rename
-- the children whose names the request changed.
UPDATE area a
SET retired_at = CASE p.action WHEN 'retire' THEN CAST(:t AS timestamptz)
                               WHEN 'resurrect' THEN NULL ELSE a.retired_at END,
    name = p.name
FROM boundary_plan p
WHERE a.id = p.area_id AND (p.action IN ('retire', 'resurrect') OR p.name <> a.name)
