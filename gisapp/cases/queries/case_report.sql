-- The report, its audit row (if asked for and the case is new), the case as stored and,
-- if asked for, the reporter's receipt (area_receipt(), sql/275), in one statement
-- (case_report() is in sql/081_case_report.sql). case_detail_of is
-- VOLATILE: it sees the new row. psycopg2 placeholders: run with exec_driver_sql
-- (cases/report.py), so no percent sign may appear here but in a placeholder.
WITH r AS MATERIALIZED (
    SELECT * FROM case_report(
        %(client_id)s, %(kind)s, %(category)s, %(description)s, %(contact)s, %(reporter)s,
        %(reporter_kind)s, %(actor_name)s, %(lng)s, %(lat)s, %(t)s, %(ambiguous)s,
        %(boundaries)s, %(area_id)s, %(area_code)s, CAST(%(roles)s AS text[]),
        %(dup_metres)s, %(dup_hours)s, %(dlng)s, %(dlat)s)),
logged AS (
    INSERT INTO audit_log (user_id, username, role, action, target, detail, ip, method, path)
    SELECT %(uid)s, %(uname)s, %(role)s, %(action)s, r.case_id::text, CAST(%(detail)s AS jsonb),
           %(ip)s, %(method)s, %(path)s
    FROM r WHERE r.created AND %(audit)s)
SELECT r.created, r.problem, r.category_kind, d.*, rc.area_path AS receipt_area_path,
       rc.office_name AS receipt_office_name, rc.office_phone AS receipt_office_phone
FROM r LEFT JOIN LATERAL case_detail_of(r.case_id) d ON true
LEFT JOIN LATERAL area_receipt(CASE WHEN %(receipt)s THEN d.area_code END) rc ON true
