"""A grid worker logs a visit on a phone and the grid leader reads it, as a whole task in
Chromium. The form names no outcome until the worker picks one (a visit sent in a hurry
is not recorded as 需要帮助 by default), and the leader's list of recent visits shows the
outcome, the note and the photo the worker took; a worker of another grid cannot fetch it."""
from __future__ import annotations

import pytest
from sqlalchemy import text

from ..browser import PHONE, assert_accessible, screenshot, wait_for_summary
from ..phone_support import allow_tile_cancels, login, photo_file, settle_base_map

pytest_plugins = ["tests.browser"]
HERE = (121.511, 38.989)                     # WGS 84, in micro-grid 210204001001001001
AT_HERE = {**PHONE, "geolocation": {"longitude": HERE[0], "latitude": HERE[1], "accuracy": 15},
           "permissions": ["geolocation"]}
OUTBOX = "() => window.fieldStore.all('outbox').then((a) => a.length)"


@pytest.fixture(scope="module")
def home(engine):
    """A yellow household next to the worker: due a visit every half month."""
    with engine.begin() as conn:
        return conn.execute(text("""
            INSERT INTO household (unit, room, head_name, phone, colour, tags, geom, area_id)
            VALUES (2, '402', '李桂兰', '13822223333', 3, ARRAY['独居老人'],
                    ST_SetSRID(ST_MakePoint(121.5112, 38.9891), 4326),
                    locate_leaf(ST_SetSRID(ST_MakePoint(121.5112, 38.9891), 4326)))
            RETURNING id""")).scalar()


def outcomes_of(engine, household_id):
    with engine.connect() as conn:
        return conn.execute(text("SELECT outcome FROM visit WHERE household_id = :h"),
                            {"h": household_id}).scalars().all()


@pytest.mark.browser
def test_a_visit_needs_an_outcome_picked_and_the_leader_reads_it(live_server, open_context,
                                                                 engine, home, client, as_user):
    phone = open_context(AT_HERE)
    allow_tile_cancels(phone)
    login(phone, live_server, "grid_worker", "/field")
    item = phone.locator(f"#due-list li[data-household-id='{home}']")
    item.wait_for()
    settle_base_map(phone)
    assert phone.inner_text("#due-status").startswith("共 1 户")
    item.locator("button.primary").tap()
    assert phone.input_value("#visit-form select[name=outcome]") == ""     # nothing chosen
    phone.fill("#visit-form textarea[name=note]", "老人精神不错，冰箱里有菜")
    phone.set_input_files("#visit-form input[name=photo]", photo_file(320, 240, seed=11))
    phone.tap("#visit-submit")
    assert phone.inner_text("#visit-result") == "请选择走访结果"
    assert phone.evaluate(OUTBOX) == 0 and outcomes_of(engine, home) == []
    assert phone.is_visible("#visit-box")                               # still being filled in
    screenshot(phone, "phone-visit-no-outcome")
    assert_accessible(phone, "#visit-box")

    phone.select_option("#visit-form select[name=outcome]", label="见到本人，情况良好")
    phone.tap("#visit-submit")
    wait_for_summary(phone, "() => document.getElementById('net-status').textContent",
                     lambda t: "走访已记录" in t)
    assert outcomes_of(engine, home) == ["well"]
    # The list and its summary agree: nobody is left to visit today.
    wait_for_summary(phone, "() => document.getElementById('due-count').textContent",
                     lambda t: t == "0")
    assert phone.inner_text("#due-status") == "今日走访已全部完成"

    leader = open_context()
    allow_tile_cancels(leader)
    login(leader, live_server, "grid_leader", "/visits/supervision")
    row = leader.locator("#recent-visits tbody tr").first
    row.wait_for()
    cells = row.locator("td").all_inner_texts()
    assert cells[4] == "见到本人，情况良好" and cells[6] == "老人精神不错，冰箱里有菜", cells
    # The photo the worker took, shrunk on the phone to a JPEG, opens from the row.
    link = row.locator("a.visit-photo")
    assert link.inner_text() == "查看照片"
    with leader.expect_response(lambda r: "/photo" in r.url) as shown:
        link.click()
    assert shown.value.status == 200 and shown.value.headers["content-type"] == "image/jpeg"
    leader.wait_for_selector("#photo-view img")
    assert leader.evaluate("document.querySelector('#photo-view img').naturalWidth") == 320
    screenshot(leader, "leader-reads-visit")
    assert_accessible(leader)

    # Only those with a duty toward the household see it: not a worker of another grid.
    url = link.get_attribute("href")
    assert client.get(url, headers=as_user("grid_leader")).status_code == 200
    assert client.get(url, headers=as_user("other_worker")).status_code == 404
    assert client.get(url, headers=as_user("wall")).status_code == 403
