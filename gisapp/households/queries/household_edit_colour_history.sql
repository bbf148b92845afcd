SELECT from_colour, to_colour, changed_at, changed_by, reason, suggested
FROM household_colour_change WHERE household_id = :id ORDER BY changed_at, id
