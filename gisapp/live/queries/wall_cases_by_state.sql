-- Active cases the viewer may see, per state, with how many are overdue (deadline passed
-- while the clock runs). {visible} is a fixed fragment from gisapp.cases.visibility_sql.
SELECT c.state, count(*)::int AS cases,
       (count(*) FILTER (WHERE c.state = ANY(CAST(:clock_states AS text[]))
                           AND c.deadline_at IS NOT NULL
                           AND coalesce(c.suspended_at, now()) > c.deadline_at))::int AS overdue
FROM case_file c
WHERE {visible} AND c.state <> ALL(CAST(:final_states AS text[]))
GROUP BY c.state
