"""Random and malformed input to the demands endpoints (hypothesis): never a 500, always a
JSON error, and a refused request writes nothing (demands, events, cases)."""
from __future__ import annotations

from urllib.parse import quote

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from ..web.test_fuzz import FUZZ as GATE
from ..web.test_fuzz import INJECTION, JSON_VALUES, NUMBERS, SCALE
from .support import demand_id, raise_one, written

# Derandomized in the gate, fresh seeds under scripts/fuzz (the settings of tests/web).
FUZZ = settings(GATE, max_examples=40 * SCALE)
CATEGORY = st.one_of(st.sampled_from(["parking", "other", "elderly_care"]), INJECTION)
BODIES = st.fixed_dictionaries({}, optional={
    "category": CATEGORY, "body": st.one_of(st.text(max_size=30), INJECTION, NUMBERS),
    "lng": NUMBERS, "lat": NUMBERS, "crs": st.one_of(INJECTION, st.just("gcj02")),
    "location": JSON_VALUES, "reporter_name": st.one_of(st.text(max_size=60), NUMBERS),
    "reporter_contact": JSON_VALUES, "client_id": st.one_of(INJECTION, st.text(max_size=70))})


def _check(resp, before, engine):
    assert resp.status_code < 500, resp.get_data(as_text=True)[:300]
    if resp.status_code >= 400:
        assert resp.get_json()["error"]
        assert written(engine) == before


@FUZZ
@given(body=BODIES)
def test_raising_random_demands(client, engine, body):
    before = written(engine)
    _check(client.post("/api/demands", json=body), before, engine)


@pytest.fixture(scope="module")
def open_demand(app, engine):
    with app.test_client() as c:
        return demand_id(engine, raise_one(c)["receipt"]["receipt"])


@FUZZ
@given(action=st.one_of(st.sampled_from(["answer", "decline", "to_topic", "to_case"]), INJECTION),
       body=st.dictionaries(st.sampled_from(["answer", "reason", "topic_id", "case_category",
                                             "version", "whole_group", "note"]),
                            st.one_of(NUMBERS, INJECTION, st.booleans(), st.none()), max_size=4))
def test_random_actions_on_a_demand(client, engine, as_user, open_demand, action, body):
    before = written(engine)
    resp = client.post(f"/api/demands/{open_demand}/actions/{action}",
                       headers=as_user("grid_leader"), json=body)
    if resp.status_code == 200:           # a valid answer or refusal: settle a fresh one next
        return
    _check(resp, before, engine)


@FUZZ
@given(code=st.one_of(INJECTION, st.text(min_size=1, max_size=30)))
def test_random_receipts(client, code):
    resp = client.get("/api/demands/receipt/" + quote(code, safe=""))
    assert resp.status_code in (400, 404) and resp.get_json()["error"]
