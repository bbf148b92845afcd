INSERT INTO household_colour_change (household_id, from_colour, to_colour, changed_by,
                                     user_id, reason, suggested)
VALUES (:id, NULL, :colour, :by, :uid, :reason, :suggested)
