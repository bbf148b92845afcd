"""The event outbox: ids from the database in commit order, the same on every app node, so
a client resumes on another node with Last-Event-ID and misses nothing, without a resync."""
from __future__ import annotations

import pytest
from sqlalchemy import text

from gisapp.live import outbox

from ..browser import serve
from ..wall_support import EventStream, case_event, close_app, make_app

GRID = (121.511, 38.991)            # in micro-grid 210204001001001001 (the grid worker's)


@pytest.fixture(scope="module")
def nodes(db_url):
    """Two app nodes on one database, each with its own hub, served over HTTP."""
    apps = [make_app(db_url, SSE_HEARTBEAT_SECONDS=0.4, SSE_RETRY_MS=1500) for _ in range(2)]
    with serve(apps[0]) as a, serve(apps[1]) as b:
        yield a, b
    for app in apps:
        close_app(app)


def report(client, as_user) -> int:
    resp = client.post("/api/cases", headers=as_user("grid_worker"), json={
        "kind": "incident", "category": "noise", "description": "楼下商铺夜间噪声",
        "location": {"lng": GRID[0], "lat": GRID[1]}})
    assert resp.status_code == 201, resp.get_json()
    return resp.get_json()["case"]["id"]


def opened(base, headers, last_id=None) -> EventStream:
    stream = EventStream(base, headers, last_id)
    assert stream.resp.status == 200
    assert stream.next()["retry"] == "1500"
    return stream


def test_a_transaction_that_commits_late_is_held_back_then_delivered_in_xid_order(
        engine, client, as_user):
    case_id = report(client, as_user)
    note = text("INSERT INTO case_event (case_id, action, to_state) "
                "VALUES (:c, 'note', 'reported') RETURNING xid::text::bigint")
    with engine.connect() as conn:
        start = outbox.snapshot(conn)[0] - 1
    early, late = engine.connect(), engine.connect()
    try:
        early.begin()
        early_xid = early.execute(note, {"c": case_id}).scalar()
        with late.begin():
            late_xid = late.execute(note, {"c": case_id}).scalar()
        assert early_xid < late_xid
        with engine.connect() as conn:
            held = outbox.read_after(conn, start)
        # The later transaction has committed, but an older one still runs: nothing from
        # it yet, else the older one would arrive after a client had moved past its id.
        assert all(outbox.xid_of(r.id) < early_xid for r in held.rows)
        assert held.done_xid < early_xid
        early.commit()
    finally:
        early.close()
        late.close()
    with engine.connect() as conn:
        rows = outbox.read_after(conn, held.done_xid).rows
    mine = [outbox.xid_of(r.id) for r in rows if r.ref == case_id]
    assert mine == [early_xid, late_xid]


def test_every_node_numbers_an_event_alike(nodes, client, as_user):
    a, b = (opened(base, as_user("wall")) for base in nodes)
    try:
        case_id = report(client, as_user)
        on_a, on_b = (s.until(case_event(case_id), timeout=2.0) for s in (a, b))
        assert on_a["id"] == on_b["id"]
        assert outbox.is_event_id(int(on_a["id"]))
    finally:
        a.close()
        b.close()


def test_a_client_resumes_on_another_node_exactly_once_without_resync(nodes, client, as_user):
    node_a, node_b = nodes
    stream = opened(node_a, as_user("admin"))
    try:
        seen = stream.until(case_event(report(client, as_user)), timeout=2.0)
    finally:
        stream.close()
    missed = [report(client, as_user) for _ in range(3)]          # while disconnected
    again = opened(node_b, as_user("admin"), last_id=seen["id"])
    try:
        got = [again.until(lambda m: m.get("event") in ("case", "resync"), timeout=2.0)
               for _ in missed]
        assert [m["event"] for m in got] == ["case"] * 3
        assert [m["data"]["case"]["id"] for m in got] == missed
        ids = [int(seen["id"])] + [int(m["id"]) for m in got]
        assert ids == sorted(set(ids))                            # increasing, no repeats
        # Nothing after them: each was sent once.
        with pytest.raises(TimeoutError):
            again.until(lambda m: m.get("event") == "case", timeout=0.6)
    finally:
        again.close()


def test_a_visit_is_an_event_for_those_with_a_duty_toward_the_household(
        nodes, client, as_user, engine):
    with engine.begin() as conn:
        household = conn.execute(text("""
            INSERT INTO household (unit, room, head_name, colour, geom, area_id)
            VALUES (1, '101', '测试户', 3, ST_SetSRID(ST_MakePoint(:x, :y), 4326),
                    locate_leaf(ST_SetSRID(ST_MakePoint(:x, :y), 4326))) RETURNING id"""),
            {"x": GRID[0], "y": GRID[1]}).scalar()
    worker = opened(nodes[0], as_user("grid_worker"))
    other = opened(nodes[1], as_user("other_worker"))
    try:
        resp = client.post("/api/visits", headers=as_user("grid_worker"), json={
            "household_id": household, "outcome": "well", "client_id": "outbox-visit-0001",
            "location": {"lng": GRID[0], "lat": GRID[1]}})
        assert resp.status_code == 201, resp.get_json()
        msg = worker.until(lambda m: m.get("event") == "visit", timeout=2.0)
        assert msg["data"]["visit"]["household_id"] == household
        assert outbox.is_event_id(int(msg["id"]))
        case_id = report(client, as_user)     # a later event the other worker may not see
        with pytest.raises(TimeoutError):
            other.until(lambda m: m.get("event") == "visit", timeout=0.6)
        worker.until(case_event(case_id), timeout=2.0)
    finally:
        worker.close()
        other.close()


def test_a_node_started_after_the_events_replays_them_from_the_outbox(db_url, client, as_user):
    first = report(client, as_user)
    missed = [report(client, as_user) for _ in range(2)]
    app = make_app(db_url, SSE_HEARTBEAT_SECONDS=0.4, SSE_RETRY_MS=1500)
    try:
        with app.app_context():
            from gisapp.live.hub import hub
            live = hub(app)
            live.ensure_started()
            everything, complete = live.since(outbox.event_id(3, 1))
            assert complete
            (before,) = [e.id for e in everything if e.type == "case" and e.case["id"] == first]
            replayed, complete = live.since(before)       # older than this node's ring
        assert complete
        assert [e.case["id"] for e in replayed if e.type == "case"] == missed
    finally:
        close_app(app)
