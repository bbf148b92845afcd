"""A grid worker handles a dispatched case on a phone, as a whole task in Chromium: accept it,
write what was done, add a photo, lose the network at the moment of sending. They are
told why in Chinese, keep the note and the photo, and send it again once back online; the
community supervisor then sees the case handled, with the note and the photo."""
from __future__ import annotations

import re

import pytest

from ..browser import PHONE, assert_accessible, screenshot, wait_for_summary
from ..phone_support import allow_tile_cancels, login, photo_file, settle_base_map

pytest_plugins = ["tests.browser"]
OFFLINE = r"request failed: POST .*/actions/handle \(net::ERR_INTERNET_DISCONNECTED\)"


def dispatched_case(client, as_user) -> int:
    r = client.post("/api/cases", headers=as_user("grid_worker"), json={
        "kind": "hazard", "category": "fire_exit", "description": "二单元楼道堆放纸箱",
        "location": {"lng": 121.512, "lat": 38.988, "crs": "wgs84"}})
    assert r.status_code == 201, r.get_json()
    case_id = r.get_json()["case"]["id"]
    for action in ("register", "dispatch"):
        r = client.post(f"/api/cases/{case_id}/actions/{action}",
                        headers=as_user("community_sup"), json={})
        assert r.status_code == 200, r.get_json()
    return case_id


def failure(page) -> str:
    return wait_for_summary(page, "() => document.getElementById('action-result').textContent",
                            lambda t: "失败" in t)


@pytest.mark.browser
def test_a_case_handled_offline_keeps_the_form_and_goes_through_once_online(
        live_server, open_context, client, as_user):
    case_id = dispatched_case(client, as_user)
    phone = open_context(PHONE)
    allow_tile_cancels(phone)
    login(phone, live_server, "grid_worker", f"/cases/{case_id}")
    phone.tap("#case-actions button[data-action=accept]")
    phone.tap("#action-form button[type=submit]")
    wait_for_summary(phone, "() => document.getElementById('case-state').textContent",
                     lambda t: t == "处理中")
    settle_base_map(phone)

    phone.tap("#case-actions button[data-action=handle]")
    phone.fill("#action-form textarea[name=note]", "已清理楼道纸箱，通道畅通")
    phone.set_input_files("#action-form input[name=photos]", photo_file(320, 240, seed=9))
    phone.context.set_offline(True)               # the basement swallows the signal
    phone.expect_problem(OFFLINE)
    phone.tap("#action-form button[type=submit]")
    said = failure(phone)
    assert said.startswith("处理完毕失败：") and "网络" in said, said
    assert not re.search(r"[A-Za-z]{2,}", said), said
    assert phone.input_value("#action-form textarea[name=note]") == "已清理楼道纸箱，通道畅通"
    assert phone.evaluate("document.querySelector('#action-form input[name=photos]')"
                          ".files.length") == 1
    screenshot(phone, "phone-case-handle-offline")
    assert_accessible(phone)

    phone.context.set_offline(False)
    phone.tap("#action-form button[type=submit]")
    wait_for_summary(phone, "() => document.getElementById('case-state').textContent",
                     lambda t: t == "已处理")
    settle_base_map(phone)

    # The community supervisor, at a desk, sees what the worker did.
    desk = open_context()
    allow_tile_cancels(desk)
    login(desk, live_server, "community_sup", f"/cases/{case_id}")
    last = desk.locator("#case-events li").last
    last.wait_for()
    assert "处理完毕" in last.inner_text() and "已清理楼道纸箱" in last.inner_text()
    assert "照片 1 张" in last.inner_text()
    desk.wait_for_selector("#case-photos img.photo")
    settle_base_map(desk)
    screenshot(desk, "desk-case-handled-from-phone")
    case = client.get(f"/api/cases/{case_id}", headers=as_user("community_sup")).get_json()
    assert case["state"] == "handled"
    assert [e["action"] for e in case["events"]].count("handle") == 1
