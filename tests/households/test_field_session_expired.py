"""A grid worker's login ends while /field is open on the phone, as a whole task in
Chromium: a report from where they stand and a visit are both refused for it. The page
says the login has ended (not that they lack a right to log visits), offers 重新登录, and
after logging in again the waiting visit is sent by itself and the report goes through."""
from __future__ import annotations

import re

import pytest
from sqlalchemy import text

from ..browser import PHONE, assert_accessible, screenshot, wait_for_summary
from ..phone_support import allow_tile_cancels, login, settle_base_map
from ..tiny_city import PASSWORD

pytest_plugins = ["tests.browser"]
HERE = (121.511, 38.989)                     # WGS 84, in micro-grid 210204001001001001
AT_HERE = {**PHONE, "geolocation": {"longitude": HERE[0], "latitude": HERE[1], "accuracy": 15},
           "permissions": ["geolocation"]}
REFUSED = r"HTTP (401|403): POST .*/api/(visits|cases)"
OUTBOX = "() => window.fieldStore.all('outbox').then((a) => a.length)"


@pytest.fixture(scope="module")
def home(engine):
    with engine.begin() as conn:
        return conn.execute(text("""
            INSERT INTO household (unit, room, head_name, phone, colour, tags, geom, area_id)
            VALUES (4, '602', '吴淑芬', '13844445555', 3, ARRAY['独居老人'],
                    ST_SetSRID(ST_MakePoint(121.5111, 38.9891), 4326),
                    locate_leaf(ST_SetSRID(ST_MakePoint(121.5111, 38.9891), 4326)))
            RETURNING id""")).scalar()


def end_sessions(engine, username):
    with engine.begin() as conn:
        conn.execute(text("DELETE FROM web_session WHERE user_id = "
                          "(SELECT id FROM app_user WHERE username = :u)"), {"u": username})


def count(engine, sql, **params):
    with engine.connect() as conn:
        return conn.execute(text(sql), params).scalar()


@pytest.mark.browser
def test_after_the_login_ends_the_worker_logs_in_again_and_nothing_is_lost(
        live_server, open_context, engine, home):
    phone = open_context(AT_HERE)
    allow_tile_cancels(phone)
    login(phone, live_server, "grid_worker", "/field")
    item = phone.locator(f"#due-list li[data-household-id='{home}']")
    item.wait_for()
    settle_base_map(phone)
    end_sessions(engine, "grid_worker")          # the session ran out, or was ended elsewhere
    phone.expect_problem(REFUSED)

    report = phone.locator("#report-here")
    report.locator("select[name=category]").select_option(label="道路破损（事件）")
    report.locator("textarea[name=description]").fill("三号楼前井盖缺失")
    report.locator("button[type=submit]").tap()
    said = wait_for_summary(phone, "() => document.getElementById('report-result').textContent",
                            lambda t: "失败" in t)
    assert "登录已失效" in said and "走访" not in said, said
    assert phone.get_attribute("#report-result a", "href") == "/login?next=/field"

    item.locator("button.primary").tap()
    phone.select_option("#visit-form select[name=outcome]", label="见到本人，情况良好")
    phone.fill("#visit-form textarea[name=note]", "老人在家，一切正常")
    phone.tap("#visit-submit")
    wait_for_summary(phone, "() => document.getElementById('net-status').textContent",
                     lambda t: "登录已失效" in t)
    assert phone.evaluate(OUTBOX) == 1
    screenshot(phone, "phone-field-login-ended")
    assert_accessible(phone)

    phone.tap("#net-status a")                       # 重新登录
    phone.wait_for_url(re.compile(r".*/login\?next=/field$"))
    phone.fill("input[name=username]", "grid_worker")
    phone.fill("input[name=password]", PASSWORD)
    phone.tap("button[type=submit]")
    phone.wait_for_url(f"{live_server}/field")
    wait_for_summary(phone, OUTBOX + ".then((n) => n === 0 ? 'sent' : '')", lambda s: s == "sent")
    assert count(engine, "SELECT count(*) FROM visit WHERE household_id = :h", h=home) == 1

    settle_base_map(phone)
    report.locator("select[name=category]").select_option(label="道路破损（事件）")
    report.locator("textarea[name=description]").fill("三号楼前井盖缺失")
    report.locator("button[type=submit]").tap()
    wait_for_summary(phone, "() => document.getElementById('report-result').textContent",
                     lambda t: "已上报" in t)
    assert count(engine, "SELECT count(*) FROM case_file WHERE description = '三号楼前井盖缺失'"
                 " AND reporter_user_id = (SELECT id FROM app_user "
                 "WHERE username = 'grid_worker')") == 1
