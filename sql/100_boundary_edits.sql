-- Boundary edits: the geometric helpers a save uses (gisapp/boundaries.py), and a count
-- refresh limited to the areas a save touched. Re-runnable.
--
-- Geometry stays in EPSG:4326 throughout, so edges shared with untouched areas keep their
-- exact coordinates; metres are measured in a local UTM projection, never in degrees.

-- The WGS 84 / UTM zone holding a geometry's centre: a metric frame for measuring widths.
CREATE OR REPLACE FUNCTION boundary_metric_srid(g geometry) RETURNS integer
LANGUAGE sql IMMUTABLE STRICT AS $$
    SELECT CASE WHEN ST_Y(c) >= 0 THEN 32600 ELSE 32700 END
           + least(60, greatest(1, floor((ST_X(c) + 180) / 6)::int + 1))
    FROM (SELECT ST_Centroid(ST_Envelope(g)) AS c) s
$$;

-- The polygonal part of a geometry as a valid MultiPolygon, or NULL when nothing is left.
CREATE OR REPLACE FUNCTION boundary_polygonal(g geometry) RETURNS geometry
LANGUAGE sql IMMUTABLE STRICT AS $$
    SELECT CASE WHEN ST_IsEmpty(p) OR ST_Area(p) = 0 THEN NULL ELSE ST_Multi(p) END
    FROM (SELECT ST_CollectionExtract(ST_MakeValid(g), 3) AS p) s
$$;

-- The polygons of `g` wider than `tol_m` metres (a disc of that diameter fits inside),
-- as one MultiPolygon, or NULL. Narrower slivers are what snapping may absorb.
CREATE OR REPLACE FUNCTION boundary_wide_parts(g geometry, tol_m float8) RETURNS geometry
LANGUAGE sql IMMUTABLE STRICT AS $$
    SELECT ST_Multi(ST_Collect(d.geom ORDER BY d.path))
    FROM ST_Dump(boundary_polygonal(g)) d
    WHERE NOT ST_IsEmpty(ST_Buffer(ST_Transform(d.geom, boundary_metric_srid(d.geom)),
                                   -tol_m / 2, 'quad_segs=2'))
$$;

-- Snap edited pieces onto the vertices of the whole's boundary and of their neighbours.
-- Fixed pieces (unchanged areas) are the first reference; each edited piece then snaps
-- to everything settled before it, one at a time, so two pieces never swap vertices.
CREATE OR REPLACE FUNCTION boundary_snap(pieces geometry[], fixed boolean[], whole geometry,
                                         tol_deg float8) RETURNS geometry[]
LANGUAGE plpgsql IMMUTABLE AS $$
DECLARE
    n   integer := coalesce(array_length(pieces, 1), 0);
    ref geometry := ST_Boundary(whole);
    out geometry[] := pieces;
    g   geometry;
BEGIN
    FOR i IN 1..n LOOP
        IF fixed[i] THEN ref := ST_Collect(ref, ST_Boundary(pieces[i])); END IF;
    END LOOP;
    FOR i IN 1..n LOOP
        CONTINUE WHEN fixed[i];
        g := ST_Snap(pieces[i], ref, tol_deg);
        -- Snapping can fold a ring onto itself; repair it, or keep the piece as it came.
        g := coalesce(boundary_polygonal(g), pieces[i]);
        out[i] := g;
        ref := ST_Collect(ref, ST_Boundary(g));
    END LOOP;
    RETURN out;
END $$;

-- Make pieces tessellate `whole` exactly: clip each to the whole, let earlier pieces keep
-- what two pieces both claim, then hand every uncovered part to the adjacent piece with
-- the longest shared edge (pieces marked `prefer` first). NULL where a piece vanished.
CREATE OR REPLACE FUNCTION boundary_fill(pieces geometry[], prefer boolean[], whole geometry)
RETURNS geometry[]
LANGUAGE plpgsql IMMUTABLE AS $$
DECLARE
    n     integer := coalesce(array_length(pieces, 1), 0);
    out   geometry[] := array_fill(NULL::geometry, ARRAY[greatest(n, 1)]);
    taken geometry;
    g     geometry;
    best  integer;
    hole  record;
BEGIN
    FOR i IN 1..n LOOP
        g := boundary_polygonal(ST_Intersection(pieces[i], whole));
        IF g IS NOT NULL AND taken IS NOT NULL THEN
            g := boundary_polygonal(ST_Difference(g, taken));
        END IF;
        out[i] := g;
        IF g IS NOT NULL THEN taken := coalesce(ST_Union(taken, g), g); END IF;
    END LOOP;
    IF taken IS NULL THEN RETURN out[1:n]; END IF;
    FOR hole IN SELECT d.geom FROM ST_Dump(boundary_polygonal(ST_Difference(whole, taken))) d LOOP
        SELECT k INTO best FROM generate_subscripts(out, 1) k
        WHERE out[k] IS NOT NULL AND ST_Intersects(out[k], hole.geom)
        ORDER BY coalesce(prefer[k], false) DESC,
                 ST_Length(ST_Intersection(ST_Boundary(out[k]), ST_Boundary(hole.geom))) DESC,
                 ST_Distance(out[k], hole.geom), k
        LIMIT 1;
        IF best IS NOT NULL THEN
            out[best] := boundary_polygonal(ST_Union(out[best], hole.geom));
        END IF;
    END LOOP;
    RETURN out[1:n];
END $$;

-- Recompute cached household counts for some areas and all their ancestors, bottom-up:
-- refresh_area_counts() for the part of the tree one boundary save can have changed.
CREATE OR REPLACE FUNCTION refresh_area_counts_for(ids bigint[]) RETURNS void
LANGUAGE plpgsql AS $$
DECLARE
    touched bigint[];
    lvl smallint;
BEGIN
    touched := ARRAY(
        WITH RECURSIVE up AS (
            SELECT a.id, a.parent_id FROM area a WHERE a.id = ANY(ids)
            UNION
            SELECT p.id, p.parent_id FROM area p JOIN up ON p.id = up.parent_id)
        SELECT id FROM up);
    FOR lvl IN SELECT level FROM area_level ORDER BY level DESC LOOP
        -- As refresh_area_counts(): a leaf counts its households, others sum live children.
        UPDATE area a
        SET households = CASE WHEN k.kids > 0 THEN k.n ELSE h.n END,
            colour_counts = CASE WHEN k.kids > 0 THEN k.cc ELSE h.cc END
        FROM unnest(touched) t(id)
        CROSS JOIN LATERAL (
            SELECT count(*) AS kids, coalesce(sum(c.households), 0)::int AS n,
                   ARRAY[coalesce(sum(c.colour_counts[1]), 0), coalesce(sum(c.colour_counts[2]), 0),
                         coalesce(sum(c.colour_counts[3]), 0), coalesce(sum(c.colour_counts[4]), 0),
                         coalesce(sum(c.colour_counts[5]), 0)]::int[] AS cc
            FROM area c WHERE c.parent_id = t.id AND c.retired_at IS NULL) k
        CROSS JOIN LATERAL (
            SELECT count(*)::int AS n,
                   ARRAY[count(*) FILTER (WHERE colour = 1), count(*) FILTER (WHERE colour = 2),
                         count(*) FILTER (WHERE colour = 3), count(*) FILTER (WHERE colour = 4),
                         count(*) FILTER (WHERE colour = 5)]::int[] AS cc
            FROM household WHERE area_id = t.id) h
        WHERE a.id = t.id AND a.level = lvl AND a.retired_at IS NULL;
    END LOOP;
END $$;
