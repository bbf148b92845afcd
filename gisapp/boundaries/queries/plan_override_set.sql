-- A supervisor's decision for one community, replacing any earlier one (plan_override).
INSERT INTO plan_override (community_code, decision, reason, user_id, username)
VALUES (:c, :d, :r, :u, :n)
ON CONFLICT (community_code) DO UPDATE SET decision = :d, reason = :r, user_id = :u,
    username = :n, decided_at = now()
RETURNING community_code, decision, reason, username, decided_at
