"""In Chromium: the reporter of a closed case scores it through the link on the receipt,
and the community's score on the supervisor's scoreboard changes."""

from __future__ import annotations

import pytest

from ..browser import PHONE, assert_accessible, screenshot
from ..phone_support import login
from .test_satisfaction import close

pytest_plugins = ["tests.browser"]
COMMUNITY = "210204001001"


def score_of(page) -> str:
    row = page.locator(f"#a-table tr[data-subject='{COMMUNITY}']")
    row.wait_for()
    return row.locator("td.score").inner_text()


@pytest.mark.browser
def test_reporter_scores_a_closed_case_and_the_score_changes(
    live_server, open_context, client, as_user
):
    phone = open_context(PHONE)
    phone.goto(f"{live_server}/report")
    phone.wait_for_selector("#report-map .leaflet-interactive")
    phone.select_option("select[name=category]", "rubbish")
    phone.fill("textarea[name=description]", "小区门口垃圾堆放三天无人清理")
    box = phone.locator("#report-map").bounding_box()
    phone.mouse.click(box["x"] + box["width"] / 2, box["y"] + box["height"] / 2)
    phone.evaluate("""() => { const f = document.getElementById('report-form');
                             f.lng.value = '121.512'; f.lat.value = '38.988'; }""")
    phone.tap("#report-form button[type=submit]")
    phone.wait_for_selector("#receipt-link")
    case_id = int(phone.inner_text("#report-result").split("案件编号")[1].split("，")[0])

    # Staff take the case through the loop to closed (tested in the case tests).
    close(client, as_user, case_id)

    desk = open_context()
    login(desk, live_server, "street_sup", "/assessment")
    desk.fill("#a-area", "210204001")
    desk.click("#a-go")
    before = score_of(desk)
    sat = desk.locator(
        f"#a-table tr[data-subject='{COMMUNITY}'] button[data-indicator=satisfaction]"
    )
    assert sat.count() == 0  # no answer yet: no figure

    phone.tap("#receipt-link")
    phone.wait_for_selector("#satisfaction-link")
    assert "已结案" in phone.inner_text("#receipt-status")
    assert_accessible(phone)
    screenshot(phone, "assessment-receipt")
    phone.tap("#satisfaction-link")
    phone.wait_for_selector("#satisfaction-case:has-text('案件编号')")
    phone.check("input[name=score][value='5']")
    phone.fill("textarea[name=comment]", "当天就清理干净了")
    assert_accessible(phone)
    phone.tap("#satisfaction-form button[type=submit]")
    phone.wait_for_selector("#satisfaction-result:has-text('提交成功')")
    screenshot(phone, "assessment-satisfaction")
    phone.go_back()
    phone.reload()
    phone.wait_for_selector("#satisfaction-done:has-text('已评价')")

    desk.click("#a-go")
    desk.wait_for_function(
        f"""(b) => {{
        const c = document.querySelector("#a-table tr[data-subject='{COMMUNITY}'] td.score");
        return c && c.textContent !== b; }}""",
        arg=before,
    )
    after = score_of(desk)
    assert float(after) > float(before)
    assert sat.inner_text() == "100.0%"
    sat.click()
    desk.wait_for_selector("#a-drill-table tbody tr")
    assert "当天就清理干净了" not in desk.inner_text("#a-drill")  # no duty toward the homes
    assert_accessible(desk)
    screenshot(desk, "assessment-scoreboard")
