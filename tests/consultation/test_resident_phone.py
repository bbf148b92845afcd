"""A resident on a phone gives an opinion on a topic when things go wrong, as a whole task in
Chromium: the network drops as they send it, then the topic closes while their page is
open. Each time they are told why in Chinese and keep what they wrote; the supervisor then
sees exactly the opinion that was sent."""
from __future__ import annotations

import re

import pytest

from ..browser import PHONE, assert_accessible, screenshot, wait_for_summary
from .support import fresh_window, open_topic

pytest_plugins = ["tests.browser"]
pytestmark = pytest.mark.browser
SMALL_PHONE = {**PHONE, "viewport": {"width": 360, "height": 640}}
OFFLINE = r"request failed: POST .*/opinions \(net::ERR_INTERNET_DISCONNECTED\)"


def result(page) -> str:
    return wait_for_summary(page, "() => document.getElementById('opinion-result').textContent",
                            bool)


def no_english(text: str) -> None:
    assert not re.search(r"[A-Za-z]{2,}", text), text


def test_an_opinion_sent_offline_or_to_a_closed_topic_is_explained_in_chinese(
        live_server, open_context, client, as_user, engine):
    topic = open_topic(client, as_user("community_sup"), title="小区停车位规划").get_json()
    fresh_window(engine)
    url = f"{live_server}/t/{topic['public_token']}"
    phone = open_context(SMALL_PHONE)
    phone.goto(url)
    phone.fill("textarea[name=body]", "建议把东侧空地改成停车位")

    # The lift is between floors: no network as they tap 提交意见.
    phone.context.set_offline(True)
    phone.expect_problem(OFFLINE)
    phone.tap("#opinion-form button[type=submit]")
    said = result(phone)
    assert "网络" in said, said
    no_english(said)
    assert phone.input_value("textarea[name=body]") == "建议把东侧空地改成停车位"   # kept
    assert phone.is_enabled("#opinion-form button[type=submit]")
    screenshot(phone, "resident-opinion-offline")
    assert_accessible(phone)

    # Back on the network, the same tap sends it.
    phone.context.set_offline(False)
    phone.tap("#opinion-form button[type=submit]")
    phone.get_by_text("感谢您的意见").wait_for()

    # A neighbour opened the page from the QR code; meanwhile the community ends the topic.
    neighbour = open_context(SMALL_PHONE)
    neighbour.goto(url)
    r = client.post(f"/api/topics/{topic['id']}/drop", headers=as_user("community_sup"),
                    json={"reason": "已并入全小区停车议题"})
    assert r.status_code == 200, r.get_json()
    neighbour.fill("textarea[name=body]", "我也同意改成停车位")
    neighbour.expect_problem(r"HTTP 409: POST .*/opinions")
    neighbour.tap("#opinion-form button[type=submit]")
    said = result(neighbour)
    assert said == "提交失败：该议题已不再征集意见", said
    assert neighbour.input_value("textarea[name=body]") == "我也同意改成停车位"
    screenshot(neighbour, "resident-opinion-closed")
    assert_accessible(neighbour)

    # The supervisor sees the one opinion that reached the server, and no other.
    staff = client.get(f"/api/topics/{topic['id']}", headers=as_user("community_sup")).get_json()
    bodies = [o["body"] for o in staff["opinions"]]
    assert bodies == ["建议把东侧空地改成停车位"], bodies
