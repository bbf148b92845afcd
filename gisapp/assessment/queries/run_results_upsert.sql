-- A run's results (scores, ranks and grades), written whole after a change.
INSERT INTO assessment_result (run_id, subject, label, area_code, score, rank, grade)
SELECT :run, s, l, a, sc, r, g
FROM unnest(CAST(:subjects AS text[]), CAST(:labels AS text[]), CAST(:areas AS text[]),
            CAST(:scores AS float8[]), CAST(:ranks AS int[]), CAST(:grades AS text[]))
     AS t (s, l, a, sc, r, g)
ON CONFLICT (run_id, subject) DO UPDATE
SET score = excluded.score, rank = excluded.rank, grade = excluded.grade
