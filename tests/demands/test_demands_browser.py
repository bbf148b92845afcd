"""Demands as whole tasks in Chromium: a member of the public raises one on a phone and
follows it with the receipt code; a grid worker records one on a visit on /field and a
community supervisor finds it in the list and answers it."""
from __future__ import annotations

import itertools

import pytest
from sqlalchemy import text

from ..browser import DESKTOP, PHONE, assert_accessible, screenshot, wait_for_summary
from ..phone_support import allow_tile_cancels, login, settle_base_map

pytest_plugins = ["tests.browser"]
_rooms = itertools.count(301)
HERE = (121.511, 38.989)                     # WGS 84, in micro-grid 210204001001001001
AT_HERE = {**PHONE, "geolocation": {"longitude": HERE[0], "latitude": HERE[1], "accuracy": 15},
           "permissions": ["geolocation"]}


def _yellow_household(engine, room: str, lng: float, lat: float) -> int:
    """A yellow household in grid_worker's grid: theirs to visit (once per half month)."""
    with engine.begin() as conn:
        return conn.execute(text("""
            INSERT INTO household (unit, room, head_name, phone, colour, tags, geom, area_id)
            VALUES (1, :room, '王秀英', '13811112222', 3, ARRAY['独居老人'],
                    ST_SetSRID(ST_MakePoint(:x, :y), 4326),
                    locate_leaf(ST_SetSRID(ST_MakePoint(:x, :y), 4326)))
            RETURNING id"""), {"room": room, "x": lng, "y": lat}).scalar()


@pytest.fixture()
def household(engine):
    """A household of its own for each test: a visited one is no longer due."""
    return _yellow_household(engine, f"{next(_rooms)}", 121.5115, 38.9893)


def visit_form(open_context, base, household):
    """The grid worker's phone with the visit form of `household` open on /field."""
    phone = open_context(AT_HERE)
    allow_tile_cancels(phone)
    login(phone, base, "grid_worker", "/field")
    phone.wait_for_selector(f"#due-list li[data-household-id='{household}'] button.primary")
    phone.tap(f"#due-list li[data-household-id='{household}'] button.primary")
    return phone


@pytest.mark.browser
def test_public_raises_a_demand_and_follows_it_by_receipt(live_server, open_context, client,
                                                           as_user, engine):
    page = open_context(AT_HERE)
    allow_tile_cancels(page)
    page.goto(f"{live_server}/report")
    page.tap("text=反映诉求")
    page.wait_for_url(f"{live_server}/report/demand")
    page.select_option("select[name=category]", "elderly_care")
    page.fill("textarea[name=body]", "3号楼楼道没有扶手，老人上下楼不方便，希望加装扶手")
    page.fill("input[name=reporter_name]", "赵大爷")
    page.fill("input[name=reporter_contact]", "13912345678")
    page.tap("#use-location")
    wait_for_summary(page, "() => document.getElementById('location-text').textContent",
                     lambda t: "经度 121.511" in t)
    page.tap("button[type=submit]")
    page.wait_for_selector("#receipt-code")
    receipt = page.inner_text("#receipt-code").strip()
    assert len(receipt) == 10 and "测试社区" in page.inner_text("#demand-result")
    settle_base_map(page)
    screenshot(page, "demand-public-receipt")
    assert_accessible(page)

    page.tap("#status-link")
    page.wait_for_selector(".demand-status dl")
    shown = page.inner_text("#status-result")
    assert receipt in shown and "办理中" in shown and "养老助老" in shown
    with engine.connect() as conn:
        did, name = conn.execute(text("SELECT id, reporter_name FROM demand WHERE receipt = :r"),
                                 {"r": receipt}).one()
    assert name == "赵大爷"

    # The community answers; the resident looks again with the code and sees the answer.
    r = client.post(f"/api/demands/{did}/actions/answer", headers=as_user("community_sup"),
                    json={"answer": "已安排物业下周加装扶手"})
    assert r.status_code == 200
    page.reload()
    page.wait_for_selector(".demand-status dl")
    shown = page.inner_text("body")
    assert "已答复" in shown and "已安排物业下周加装扶手" in shown
    assert "赵大爷" not in page.content() and "13912345678" not in page.content()
    screenshot(page, "demand-public-status")
    assert_accessible(page)

    # A code that does not exist is told so, in Chinese.
    page.expect_problem(r"404")
    page.fill("input[name=receipt]", "ZZZZZZZZZZ")
    page.tap("button[type=submit]")
    wait_for_summary(page, "() => document.getElementById('status-result').textContent",
                     lambda t: "没有找到" in t)


@pytest.mark.browser
def test_worker_records_a_demand_on_a_visit_and_supervisor_answers(live_server, open_context,
                                                                    engine, household):
    phone = visit_form(open_context, live_server, household)
    phone.select_option("#visit-form select[name=outcome]", "needs_help")
    assert "居民需要帮助" in phone.inner_text("#demand-offer")
    phone.fill("#visit-form textarea[name=note]", "老人独居，腿脚不便")
    phone.tap("#visit-form input[name=record_demand]")
    phone.select_option("#visit-form select[name=demand_category]", "elderly_care")
    phone.fill("#visit-form textarea[name=demand_body]", "希望社区安排助餐送餐服务")
    screenshot(phone, "demand-field-visit-form")
    assert_accessible(phone)
    phone.tap("#visit-submit")
    wait_for_summary(phone, "() => document.getElementById('net-status').textContent",
                     lambda t: "已记录民意诉求" in t)
    with engine.connect() as conn:
        did, source, body = conn.execute(text(
            "SELECT d.id, d.source, d.body FROM demand d JOIN visit v ON v.id = d.visit_id "
            "WHERE v.household_id = :h"), {"h": household}).one()
    assert (source, body) == ("visit", "希望社区安排助餐送餐服务")
    settle_base_map(phone)
    screenshot(phone, "demand-field-sent")

    desk = open_context(DESKTOP)
    login(desk, live_server, "community_sup", "/demands")
    desk.wait_for_selector(f"#demand-table tr[data-demand-id='{did}']")
    assert "希望社区安排助餐送餐服务" in desk.inner_text("#demand-table")
    assert "测试" in desk.inner_text("#count-table")
    screenshot(desk, "demand-list")
    assert_accessible(desk)
    # One group of similar demands, as a demand's page links to it.
    desk.goto(f"{live_server}/demands?group={did}")
    desk.wait_for_selector(f"#demand-table tr[data-demand-id='{did}']")
    assert desk.eval_on_selector_all("#demand-table tbody tr", "rows => rows.length") == 1
    assert not desk.is_hidden("#group-note")
    desk.click(f"#demand-table tr[data-demand-id='{did}'] a")
    desk.wait_for_selector("form[data-action=answer]:not([hidden])")
    assert "走访" in desk.inner_text("#demand-facts")
    assert desk.is_hidden("#group-box")                   # a group of one: nothing to add
    desk.fill("form[data-action=answer] textarea", "已对接社区老年食堂，每日送餐")
    desk.click("form[data-action=answer] button")
    wait_for_summary(desk, "() => document.getElementById('action-result').textContent",
                     lambda t: "已办理" in t)
    assert "已答复" in desk.inner_text("#demand-facts")
    screenshot(desk, "demand-detail-answered")
    assert_accessible(desk)
    with engine.connect() as conn:
        state = conn.execute(text("SELECT state, answer FROM demand WHERE id = :id"),
                             {"id": did}).one()
    assert state == ("answered", "已对接社区老年食堂，每日送餐")


@pytest.mark.browser
def test_a_refused_demand_stays_in_the_outbox_with_its_reason(live_server, open_context, engine,
                                                              household):
    phone = visit_form(open_context, live_server, household)
    phone.select_option("#visit-form select[name=outcome]", "well")
    phone.tap("#visit-form input[name=record_demand]")
    # A category list kept from an older visit of the page offers one the server no longer has.
    phone.evaluate("""() => document.querySelector('#visit-form select[name=demand_category]')
        .append(new Option('旧类别', 'retired_kind'))""")
    phone.select_option("#visit-form select[name=demand_category]", "retired_kind")
    phone.fill("#visit-form textarea[name=demand_body]", "希望楼下增设休息座椅")
    phone.expect_problem(r"HTTP 400: POST .*/api/visits")
    phone.tap("#visit-submit")
    phone.wait_for_selector("#outbox li.refused")
    assert "民意诉求的类别或内容无效" in phone.inner_text("#outbox li.refused")
    with engine.connect() as conn:
        assert conn.execute(text("SELECT count(*) FROM visit WHERE household_id = :h"),
                            {"h": household}).scalar() == 0
    screenshot(phone, "demand-field-refused")

    phone.tap("#outbox li.refused button.edit")
    assert phone.input_value("#visit-form textarea[name=demand_body]") == "希望楼下增设休息座椅"
    phone.select_option("#visit-form select[name=demand_category]", "greening")
    phone.tap("#visit-submit")
    wait_for_summary(phone, "() => document.getElementById('net-status').textContent",
                     lambda t: "已记录民意诉求" in t)
    with engine.connect() as conn:
        got = conn.execute(text("SELECT d.category, d.body FROM demand d JOIN visit v "
                                "ON v.id = d.visit_id WHERE v.household_id = :h"),
                           {"h": household}).all()
    assert [tuple(r) for r in got] == [("greening", "希望楼下增设休息座椅")]
