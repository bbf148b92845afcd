"""A resident follows their demand by its receipt code on a small phone, as a whole task in
Chromium: progress shown, then the network drops as they look again. They are told in
Chinese (no uncaught error, no stale answer left as if it were fresh), and the next look
online shows the community's answer."""
from __future__ import annotations

import pytest

from ..browser import PHONE, assert_accessible, screenshot, wait_for_summary
from .support import demand_id, raise_one

pytest_plugins = ["tests.browser"]
SMALL_PHONE = {**PHONE, "viewport": {"width": 360, "height": 640}}
OFFLINE = r"request failed: GET .*/api/demands/receipt/\w+ \(net::ERR_INTERNET_DISCONNECTED\)"
STATUS = "() => document.getElementById('status-result').textContent"


@pytest.mark.browser
def test_looking_up_a_receipt_offline_says_so_and_online_shows_the_answer(
        live_server, open_context, client, as_user, engine):
    receipt = raise_one(client, body="小区东门没有路灯，晚上回家很黑",
                        category="facilities")["receipt"]["receipt"]
    phone = open_context(SMALL_PHONE)
    phone.goto(f"{live_server}/demands/status?receipt={receipt}")
    wait_for_summary(phone, STATUS, lambda t: "办理中" in t)

    phone.context.set_offline(True)
    phone.expect_problem(OFFLINE)
    phone.tap("#status-form button[type=submit]")
    said = wait_for_summary(phone, STATUS, lambda t: "办理中" not in t)
    assert "网络" in said, said
    screenshot(phone, "resident-status-offline")
    assert_accessible(phone)

    did = demand_id(engine, receipt)
    r = client.post(f"/api/demands/{did}/actions/answer", headers=as_user("community_sup"),
                    json={"answer": "已安排路灯所下周安装"})
    assert r.status_code == 200, r.get_json()
    phone.context.set_offline(False)
    phone.tap("#status-form button[type=submit]")
    shown = wait_for_summary(phone, STATUS, lambda t: "已答复" in t)
    assert "已安排路灯所下周安装" in shown
