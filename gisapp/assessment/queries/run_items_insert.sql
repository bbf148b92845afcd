-- The items of a new run, from parallel arrays (one row per subject and indicator).
INSERT INTO assessment_item (run_id, subject, indicator, numerator, denominator, value)
SELECT :run, s, i, n, d, v
FROM unnest(CAST(:subjects AS text[]), CAST(:indicators AS text[]), CAST(:nums AS float8[]),
            CAST(:dens AS float8[]), CAST(:vals AS float8[])) AS t (s, i, n, d, v)
