-- The live feed reads its events from an outbox: the rows a write already makes
-- (case_event for every case change, visit for every field visit), each stamped with the
-- id of the transaction that wrote it. No write transaction NOTIFYs any more: a
-- transaction that NOTIFYs holds the cluster-wide notify-queue lock from its pre-commit
-- until its commit record is flushed (and, with a synchronous standby, acknowledged), so
-- every concurrent report queued behind the one before it.
--
-- Commit order. Transaction ids are handed out at first write, not at commit, so a lower
-- xid may commit after a higher one. The reader (gisapp/live/outbox.py) therefore only takes rows
-- whose xid is below pg_snapshot_xmin(pg_current_snapshot()), the oldest transaction
-- still running: every transaction below it has ended, so nothing can appear there later,
-- and a cursor on (xid, rank) is exact. An event's id is xid * 65536 + its rank in its
-- transaction, the same on every app node, which is what lets a client resume on any
-- node, or after a failover, with Last-Event-ID.
--
-- Rows written before this file have no xid (NULL) and are history, never delivered.
-- ADD COLUMN without a default, then SET DEFAULT: no rewrite of a large visit table.

ALTER TABLE case_event ADD COLUMN IF NOT EXISTS xid xid8;
ALTER TABLE case_event ALTER COLUMN xid SET DEFAULT pg_current_xact_id();
CREATE INDEX IF NOT EXISTS case_event_xid_idx ON case_event (xid) WHERE xid IS NOT NULL;

ALTER TABLE visit ADD COLUMN IF NOT EXISTS xid xid8;
ALTER TABLE visit ALTER COLUMN xid SET DEFAULT pg_current_xact_id();
CREATE INDEX IF NOT EXISTS visit_xid_idx ON visit (xid) WHERE xid IS NOT NULL;

-- Boundary changes: the counter stays (the in-memory indexes poll it); the live hub polls
-- it too, so the NOTIFY goes.
CREATE OR REPLACE FUNCTION bump_generation() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    UPDATE cache_generation SET generation = generation + 1 WHERE name = TG_ARGV[0];
    RETURN NULL;
END $$;

-- Cases: the case_event row written with every change is the event.
DROP TRIGGER IF EXISTS case_file_notify_trg ON case_file;
DROP FUNCTION IF EXISTS case_file_notify();

-- Tile invalidation: the regions are read by id after the last one seen (gisapp/tile_cache),
-- on the hub's poll; the same bodies as sql/090 without the NOTIFY.
CREATE OR REPLACE FUNCTION tile_dirty_record(grp text, geoms geometry[]) RETURNS void
LANGUAGE sql AS $$
    INSERT INTO tile_dirty (grp, minx, miny, maxx, maxy)
    SELECT DISTINCT grp, ST_XMin(g), ST_YMin(g), ST_XMax(g), ST_YMax(g)
    FROM unnest(geoms) AS g WHERE g IS NOT NULL;
$$;

CREATE OR REPLACE FUNCTION tile_dirty_extent(grp text, e box2d) RETURNS void
LANGUAGE sql AS $$
    INSERT INTO tile_dirty (grp, minx, miny, maxx, maxy)
    SELECT grp, ST_XMin(e), ST_YMin(e), ST_XMax(e), ST_YMax(e) WHERE e IS NOT NULL;
$$;
