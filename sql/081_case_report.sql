-- One case as the API shows it (gisapp/cases.py load_case).
CREATE OR REPLACE VIEW case_detail AS
SELECT c.id, c.client_id, c.kind, c.category, cc.name_zh AS category_zh, c.description,
       c.contact, c.reporter_user_id, u.username AS reporter, c.reporter_kind,
       ST_X(c.geom) AS lng, ST_Y(c.geom) AS lat, c.reported_at, c.area_code,
       a.name AS area_name, c.ambiguous, c.assignee_person_id, p.name AS assignee,
       c.department, c.state, c.escalation_level, c.dispatched_at, c.deadline_at,
       c.handled_at, c.closed_at, c.suspended_at, c.rework_count, c.cancel_reason,
       c.merged_into, c.duplicate_of, c.evaluation, c.version, cc.limit_hours
FROM case_file c JOIN case_category cc ON cc.key = c.category
LEFT JOIN area a ON a.id = c.area_id LEFT JOIN person p ON p.id = c.assignee_person_id
LEFT JOIN app_user u ON u.id = c.reporter_user_id;

-- The same for one id, through PL/pgSQL so that each connection plans the five-table
-- join once (planning it cost more than running it: ~0.3 ms against 0.07 ms).
-- VOLATILE, so it sees rows written earlier in the statement that calls it (a report).
CREATE OR REPLACE FUNCTION case_detail_of(p_id bigint) RETURNS SETOF case_detail
LANGUAGE plpgsql VOLATILE AS $$
BEGIN
    RETURN QUERY SELECT * FROM case_detail d WHERE d.id = p_id;
END $$;

-- Reporting a case in one round trip (gisapp/cases.py report_case).
--
-- A report used to be eight statements from Python (client id, category, locate,
-- handler, insert, duplicates, an UPDATE for the duplicates, the event); on a busy
-- server the round trips and the second version of every new row cost more than the
-- work. This function does the same steps in the same order, in the caller's
-- transaction (one request is one transaction):
--   1. a client id seen before returns that case (a phone that retries);
--   2. the category must exist and be of the report's kind (else `problem` says why);
--   3. the areas: the caller may pass the leaf it found in its in-memory index,
--      together with the 'boundaries' generation that index was read at. Only if that
--      is still the database's generation is the leaf taken; otherwise (or with no
--      leaf passed) locate_leaf decides, as boundaries stood at the report's moment;
--   4. the handler on duty for grid-routed categories, nearest area first;
--   5. possible duplicates (same category within the metres and hours given), looked
--      for before the insert so the row is written once, with them;
--   6. the insert (a concurrent retry with the same client id returns the winner's
--      case), and its 'report' event. The row trigger NOTIFYs listeners.
CREATE OR REPLACE FUNCTION case_report(
    p_client_id text, p_kind text, p_category text, p_description text, p_contact text,
    p_reporter bigint, p_reporter_kind text, p_actor_name text,
    p_lng float8, p_lat float8, p_t timestamptz, p_ambiguous boolean,
    p_boundaries bigint, p_area_id bigint, p_area_code text,
    p_handler_roles text[], p_dup_metres float8, p_dup_hours float8,
    p_dup_dlng float8, p_dup_dlat float8,
    OUT case_id bigint, OUT created boolean, OUT problem text, OUT category_kind text)
-- Plan each statement once per connection: left to choose, PL/pgSQL re-planned the
-- duplicate search for every report (0.1 ms, half its cost) for the same GiST plan.
LANGUAGE plpgsql SET plan_cache_mode = force_generic_plan AS $$
DECLARE
    pt       geometry := ST_SetSRID(ST_MakePoint(p_lng, p_lat), 4326);
    cat      case_category%ROWTYPE;
    v_area   bigint;
    v_code   text;
    v_person bigint;
    v_dups   bigint[];
BEGIN
    created := false;
    IF p_client_id IS NOT NULL THEN
        SELECT c.id INTO case_id FROM case_file c WHERE c.client_id = p_client_id;
        IF FOUND THEN
            RETURN;
        END IF;
    END IF;

    SELECT * INTO cat FROM case_category WHERE key = p_category;
    IF NOT FOUND THEN
        problem := 'unknown_category';
        RETURN;
    END IF;
    category_kind := cat.kind;
    IF cat.kind <> p_kind THEN
        problem := 'wrong_kind';
        RETURN;
    END IF;

    IF p_boundaries IS NOT NULL AND p_boundaries = (
            SELECT generation FROM cache_generation WHERE name = 'boundaries') THEN
        v_area := p_area_id;
        v_code := p_area_code;
    ELSE
        SELECT a.id, a.code INTO v_area, v_code FROM area a WHERE a.id = locate_leaf(pt, p_t);
    END IF;

    IF v_area IS NOT NULL AND cat.routing = 'grid' THEN
        SELECT d.person_id INTO v_person
        FROM duty d JOIN area a ON a.id = d.area_id JOIN person p ON p.id = d.person_id
        WHERE a.code = ANY(ARRAY(SELECT left(v_code, n) FROM generate_series(6, length(v_code), 3) n))
          AND d.role = ANY(p_handler_roles) AND p.active
          AND d.starts_on <= current_date AND (d.ends_on IS NULL OR d.ends_on >= current_date)
        ORDER BY array_position(p_handler_roles, d.role), length(a.code) DESC, d.id
        LIMIT 1;
    END IF;

    -- The box around the point is what selects: the GiST index answers it with a few
    -- rows. A busy category has thousands of rows in 72 h, and a plan that also scans
    -- the (category, reported_at) index to AND the two costs milliseconds; the CTE keeps
    -- the box first. The geography test then measures metres.
    WITH near AS MATERIALIZED (
        SELECT c.id, c.category, c.state, c.reported_at, c.geom FROM case_file c
        WHERE c.geom && ST_Expand(pt, p_dup_dlng, p_dup_dlat))
    SELECT coalesce(array_agg(n.id ORDER BY n.id), '{}') INTO v_dups
    FROM near n
    WHERE n.category = p_category AND n.state <> 'cancelled'
      AND n.reported_at > p_t - make_interval(secs => p_dup_hours * 3600)
      AND ST_DWithin(n.geom::geography, pt::geography, p_dup_metres);

    INSERT INTO case_file (client_id, kind, category, description, contact, reporter_user_id,
                           reporter_kind, geom, reported_at, area_id, area_code, ambiguous,
                           assignee_person_id, department, duplicate_of)
    VALUES (p_client_id, p_kind, p_category, p_description, p_contact, p_reporter,
            p_reporter_kind, pt, p_t, v_area, v_code, p_ambiguous, v_person, cat.department,
            v_dups)
    ON CONFLICT (client_id) DO NOTHING
    RETURNING id INTO case_id;
    IF case_id IS NULL THEN           -- a concurrent retry won the race on client_id
        SELECT c.id INTO case_id FROM case_file c WHERE c.client_id = p_client_id;
        RETURN;
    END IF;

    INSERT INTO case_event (case_id, actor_user_id, actor_name, action, from_state, to_state,
                            note, detail)
    VALUES (case_id, p_reporter, p_actor_name, 'report', NULL, 'reported', '',
            jsonb_build_object('duplicates', to_jsonb(v_dups)));
    created := true;
END $$;
