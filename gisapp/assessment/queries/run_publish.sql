-- 公示: publish a run and open its appeal window for :d days.
UPDATE assessment_run
SET state = 'published', published_at = now(), appeal_until = now() + make_interval(days => :d)
WHERE id = :id
