-- The outbox rows of every transaction after :after that has ended, in a commit-safe
-- order (see sql/250_event_outbox.sql), and the horizon they were read up to.
-- One row per changed case per transaction (a report that also assigns writes two
-- case_event rows: one event); one row per visit. A transaction with more rows than
-- :per_transaction (a bulk load) comes back as its first row only, with its count in n.
-- With no rows, one row of NULLs carries the horizon and the boundaries generation.
WITH h AS MATERIALIZED (
    SELECT pg_snapshot_xmin(pg_current_snapshot()) AS horizon
), o AS (
    SELECT e.xid, 'case' AS kind, e.case_id AS ref, min(e.id) AS first, NULL::jsonb AS detail
    FROM case_event e, h
    WHERE e.xid > CAST(CAST(:after AS text) AS xid8) AND e.xid < h.horizon
    GROUP BY e.xid, e.case_id
    UNION ALL
    SELECT v.xid, 'visit', v.id, v.id,
           jsonb_build_object('id', v.id, 'household_id', v.household_id,
                              'area_code', v.area_code, 'outcome', v.outcome,
                              'colour', v.colour, 'visited_at', v.visited_at)
    FROM visit v, h
    WHERE v.xid > CAST(CAST(:after AS text) AS xid8) AND v.xid < h.horizon
), r AS (
    SELECT xid, kind, ref, detail,
           row_number() OVER (PARTITION BY xid ORDER BY kind, first) AS rank,
           count(*) OVER (PARTITION BY xid) AS n
    FROM o
)
SELECT CAST(CAST(h.horizon AS text) AS bigint) AS horizon,
       (SELECT generation FROM cache_generation WHERE name = 'boundaries') AS boundaries,
       CAST(CAST(r.xid AS text) AS bigint) AS xid, r.kind, r.ref, r.detail, r.rank, r.n
FROM h LEFT JOIN r ON r.rank = 1 OR r.n <= :per_transaction
ORDER BY r.xid, r.rank
LIMIT :limit
