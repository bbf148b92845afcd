-- The cases bench's own reports (client ids 'bench-...', scripts/wrk_cases.lua), deleted
-- before and after each run. Left in place, every run reported thousands more cases within
-- the 72 h duplicate window at the same 5,000 points, so each later run's duplicate search
-- found more neighbours and wrote longer duplicate_of arrays: the figure drifted down run
-- after run.
CREATE TEMP TABLE bench_case ON COMMIT DROP AS
    SELECT id FROM case_file WHERE client_id LIKE 'bench-%';
DELETE FROM case_receipt WHERE case_id IN (SELECT id FROM bench_case);
DELETE FROM case_photo WHERE case_id IN (SELECT id FROM bench_case);
DELETE FROM case_event WHERE case_id IN (SELECT id FROM bench_case);
DELETE FROM audit_log WHERE action = 'case.report' AND target IN (SELECT id::text FROM bench_case);
DELETE FROM case_file WHERE id IN (SELECT id FROM bench_case);
