"""Live updates over Server-Sent Events: one listener per process, rights per client,
replay after Last-Event-ID, heartbeats."""
from __future__ import annotations

import time

import pytest
from sqlalchemy import text

from ..wall_support import EventStream, case_event, close_app, make_app

pytest_plugins = ["tests.browser"]


@pytest.fixture(scope="module")
def app(db_url):
    app = make_app(db_url, SSE_HEARTBEAT_SECONDS=0.4, SSE_RETRY_MS=1500)
    yield app
    close_app(app)


def report(client, headers, lng, lat, **extra):
    resp = client.post("/api/cases", headers=headers, json={
        "kind": "incident", "category": "noise", "description": "夜间施工噪声扰民",
        "location": {"lng": lng, "lat": lat}, **extra})
    assert resp.status_code == 201, resp.get_json()
    return resp.get_json()["case"]["id"]


def opened(live_server, headers, last_id=None) -> EventStream:
    stream = EventStream(live_server, headers, last_id)
    assert stream.resp.status == 200
    assert stream.resp.getheader("Content-Type").startswith("text/event-stream")
    first = stream.next()
    assert first["retry"] == "1500"          # the reconnection hint comes first
    return stream


def test_a_new_case_reaches_the_wall_within_a_second(live_server, client, as_user):
    stream = opened(live_server, as_user("wall"))
    try:
        start = time.monotonic()
        case_id = report(client, as_user("grid_worker"), 121.511, 38.991, contact="13900001111")
        msg = stream.until(case_event(case_id), timeout=1.0)
        assert time.monotonic() - start < 1.0
        case = msg["data"]["case"]
        assert case["state"] == "reported" and case["area_code"] == "210204001001001001"
        assert "contact" not in case and "reporter" not in case    # ids and facts, no people
        assert int(msg["id"]) > 0 and msg["data"]["tiles"] > 0
        # A change of state is an event too.
        client.post(f"/api/cases/{case_id}/actions/register", headers=as_user("community_sup"),
                    json={"note": "立案"})
        changed = stream.until(case_event(case_id), timeout=1.0)
        assert changed["data"]["case"]["state"] == "registered"
        assert int(changed["id"]) > int(msg["id"])
    finally:
        stream.close()


def test_streams_carry_only_what_each_viewer_may_see(live_server, client, as_user):
    mine = opened(live_server, as_user("grid_worker"))
    theirs = opened(live_server, as_user("other_worker"))
    try:
        in_my_grid = report(client, as_user("grid_worker"), 121.512, 38.992)
        mine.until(case_event(in_my_grid))
        in_their_grid = report(client, as_user("other_worker"), 121.59, 38.91)
        # The other worker's first case event is their own case: the first was never sent.
        first = theirs.until(lambda m: m.get("event") == "case")
        assert first["data"]["case"]["id"] == in_their_grid
    finally:
        mine.close()
        theirs.close()


def test_one_listening_connection_per_process(live_server, as_user, engine):
    streams = [opened(live_server, as_user(u)) for u in ("wall", "admin", "grid_worker")]
    try:
        with engine.connect() as conn:
            n = conn.execute(text("SELECT count(*) FROM pg_stat_activity WHERE datname = "
                                  "current_database() "
                                  "AND application_name = 'gisapp-listen'")).scalar()
        assert n == 1
    finally:
        for s in streams:
            s.close()


def test_reconnecting_with_last_event_id_replays_what_was_missed(live_server, client, as_user):
    stream = opened(live_server, as_user("admin"))
    try:
        first = report(client, as_user("grid_worker"), 121.513, 38.993)
        seen = stream.until(case_event(first))
    finally:
        stream.close()
    missed = report(client, as_user("grid_worker"), 121.514, 38.994)   # while disconnected
    time.sleep(0.3)
    again = opened(live_server, as_user("admin"), last_id=seen["id"])
    try:
        replayed = again.until(lambda m: m.get("event") == "case")
        assert replayed["data"]["case"]["id"] == missed
        assert int(replayed["id"]) > int(seen["id"])
    finally:
        again.close()
    # An id this process never gave (another worker's, or too old): told to resync.
    stale = opened(live_server, as_user("admin"), last_id="5")
    try:
        assert stale.next()["event"] == "resync"
    finally:
        stale.close()


def test_heartbeats_keep_the_stream_alive(live_server, as_user):
    stream = opened(live_server, as_user("wall"))
    try:
        beat = stream.until(lambda m: "heartbeat" in m.get("comments", []), timeout=2.0)
        assert "event" not in beat
    finally:
        stream.close()


def test_the_public_gets_no_stream(client):
    resp = client.get("/api/events")
    assert resp.status_code == 401
