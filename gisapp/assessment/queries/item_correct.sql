-- An upheld appeal's corrected value; the computed one is kept once.
UPDATE assessment_item SET original_value = coalesce(original_value, value),
       value = :v
WHERE run_id = :r AND subject = :s AND indicator = :i
