"""In Chromium: a street supervisor publishes a month's run, the community supervisor
appeals an item, the street supervisor upholds it, and the run shows the new score."""

from __future__ import annotations

from datetime import date

import pytest

from ..browser import PHONE, assert_accessible, screenshot
from .support import add_answer, add_case
from .test_assessment_browser import login

pytest_plugins = ["tests.browser"]
COMMUNITY = "210204001001"


@pytest.mark.browser
def test_publish_appeal_and_decide(live_server, open_context, engine):
    today = date.today()
    with engine.begin() as conn:
        case = add_case(conn, COMMUNITY, today.isoformat(), "closed")
        add_answer(conn, case["id"], 1, today.isoformat())
    street = open_context()
    login(street, live_server, "street_sup", "/assessment")
    street.fill("#a-area", "210204001")
    street.click("#a-go")
    street.wait_for_selector(f"#a-table tr[data-subject='{COMMUNITY}']")
    street.click("#a-run-create")
    street.wait_for_selector("#a-run-result:has-text('考核已生成')")
    street.click("#a-runs tbody tr:first-child button.primary")  # 公示
    street.wait_for_selector("#a-runs tbody tr:first-child:has-text('公示中')")

    # 公示: anyone, without an account, sees the published ranking.
    public = open_context(PHONE)
    public.goto(f"{live_server}/assessment/published")
    public.wait_for_selector("#p-table tbody tr:has-text('测试社区01001')")
    assert "申诉截止" in public.inner_text("#p-window")
    assert_accessible(public)
    screenshot(public, "assessment-published")

    sup = open_context()
    login(sup, live_server, "community_sup", "/assessment")
    sup.wait_for_selector("#a-runs tbody tr")
    sup.click("#a-runs tbody tr:first-child button:has-text('查看')")
    sup.wait_for_selector("#appeal-subject")
    sup.select_option("#appeal-subject", COMMUNITY)
    sup.select_option("#appeal-indicator", "satisfaction")
    sup.fill("#appeal-reason", "该差评针对物业公司，不属于社区职责")
    sup.click("#a-run-detail button:has-text('提交申诉')")
    sup.wait_for_selector("#appeal-list li:has-text('待处理')")
    assert_accessible(sup)

    street.click("#a-runs tbody tr:first-child button:has-text('查看')")
    item = street.locator("#appeal-list li:has-text('物业公司')")
    item.wait_for()
    item.locator("input[type=number]").fill("100")
    item.locator("button:has-text('采纳')").click()
    street.wait_for_selector("#appeal-list li:has-text('已采纳')")
    text = street.inner_text("#appeal-list li:has-text('已采纳')")
    before, after = text.split("得分 ")[1].split(" → ")
    assert float(after) > float(before)
    assert_accessible(street)
    screenshot(street, "assessment-appeal")
