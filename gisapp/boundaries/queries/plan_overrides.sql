-- The overrides of the review inside the jurisdiction (LIKE patterns :p).
SELECT community_code, decision, reason, username, decided_at
FROM plan_override
WHERE community_code LIKE ANY(:p)
