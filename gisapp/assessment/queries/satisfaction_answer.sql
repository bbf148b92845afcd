-- Use a satisfaction link: mark it used (only if unused and unexpired) and store the
-- answer with the case's area and handler, in one statement. No row: nothing changed.
WITH used AS (
    UPDATE satisfaction_invite SET used_at = now()
    WHERE token = :token AND used_at IS NULL AND expires_at > now()
    RETURNING case_id
)
INSERT INTO satisfaction (source, case_id, area_code, person_id, score, comment)
SELECT 'case', c.id, c.area_code, c.assignee_person_id, :score, :comment
FROM used JOIN case_file c ON c.id = used.case_id
RETURNING id, case_id, score, at
