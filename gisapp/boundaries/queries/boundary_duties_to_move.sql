-- Whether any duty still served sits on an area this save retires. The duty update runs
-- only then: its statement trigger bumps the 'staff' cache generation even when it moves
-- nothing, and that makes every worker reload all staff for its locate index.
SELECT EXISTS (
    SELECT 1 FROM boundary_plan p JOIN duty d ON d.area_id = p.area_id
    WHERE p.action = 'retire' AND (d.ends_on IS NULL OR d.ends_on >= current_date))
