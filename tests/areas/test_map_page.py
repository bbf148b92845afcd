"""The area map at /: an offline folium page, and in Chromium the areas, labels and popups."""
from __future__ import annotations

import re
from html.parser import HTMLParser
from pathlib import Path

import pytest

pytest.register_assert_rewrite("tests.browser")
from ..browser import csp_violations, foreign_requests, wait_for_summary  # noqa: E402
from ..tiny_city import PASSWORD  # noqa: E402

pytest_plugins = ["tests.browser"]

ARTIFACTS = Path(__file__).resolve().parents[2] / "test-artifacts"
SUMMARY = "window.GisappAreasMap && GisappAreasMap.instance && GisappAreasMap.instance.summary()"


class AssetLinks(HTMLParser):
    """Every URL a page loads by itself: script src, link href, img src."""

    def __init__(self):
        super().__init__()
        self.urls: list[str] = []

    def handle_starttag(self, tag, attrs):
        attrs = dict(attrs)
        wanted = {"script": "src", "link": "href", "img": "src", "iframe": "src"}.get(tag)
        if wanted and attrs.get(wanted):
            self.urls.append(attrs[wanted])


def asset_urls(page_html: str) -> list[str]:
    parser = AssetLinks()
    parser.feed(page_html)
    return parser.urls


def test_home_is_a_chinese_map_page(client):
    resp = client.get("/")
    assert resp.status_code == 200 and resp.mimetype == "text/html"
    page = resp.get_data(as_text=True)
    assert "<title>区域地图 · 社区网格化管理平台</title>" in page and 'lang="zh-CN"' in page
    assert "GisappAreasMap.init(map_" in page and "L.map(" in page
    assert 'class="topbar"' in page and "隐患上报" in page      # the shared top bar


def test_home_loads_nothing_from_another_host(client):
    page = client.get("/").get_data(as_text=True)
    urls = asset_urls(page)
    assert any(u.endswith("/leaflet.js") for u in urls)
    external = [u for u in urls if "://" in u or u.startswith("//")]
    assert external == []
    assert "http://" not in page and "https://" not in page


def test_every_asset_of_home_is_served(client):
    for url in asset_urls(client.get("/").get_data(as_text=True)):
        resp = client.get(url)
        assert resp.status_code == 200, url
        if url.endswith(".css"):
            # Stylesheets load fonts and images of their own: those must be ours too.
            css = resp.get_data(as_text=True)
            assert not re.search(r"""url\(\s*['"]?(https?:)?//|@import""", css), url
        resp.close()


def test_home_carries_no_area_data(client):
    # Data comes from /api/areas as the map moves; the page must stay small at city scale.
    page = client.get("/").get_data(as_text=True)
    assert "210204" not in page and "FeatureCollection" not in page


def test_home_is_cached_per_configuration(client):
    # folium names the map afresh on every build: the same name means the same cached build.
    map_ids = {re.search(r'id="(map_[0-9a-f]+)"', client.get("/").get_data(as_text=True)).group(1)
               for _ in range(3)}
    assert len(map_ids) == 1


def _wait_idle(page, condition=lambda s: True):
    """The map's summary once nothing is loading and `condition` holds."""
    return wait_for_summary(page, SUMMARY, lambda s: s["pending"] == 0 and condition(s))


def _zoom_to_first_microgrid(page):
    """Into the north-west corner of the tiny city, where micro-grid ...001001001001 lies."""
    page.evaluate("GisappAreasMap.instance.map.setView([38.9875, 121.5125], 15, {animate: false})")
    return _wait_idle(page, lambda s: s["zoom"] == 15 and s["counts"]["microgrid"] > 0)


def _click_map_centre(page) -> str:
    """Click the middle of the map; the text of the popup once its details have loaded."""
    box = page.locator(".folium-map").bounding_box()
    page.mouse.click(box["x"] + box["width"] / 2, box["y"] + box["height"] / 2)
    page.wait_for_selector(".area-detail", timeout=10_000)
    return page.inner_text(".leaflet-popup-content")


def _log_in(page, base_url: str, username: str):
    page.goto(base_url + "/login?next=/")
    page.fill("input[name=username]", username)
    page.fill("input[name=password]", PASSWORD)
    page.click("button[type=submit]")
    page.wait_for_url(base_url + "/")


@pytest.mark.browser
def test_map_draws_areas_offline(live_server, browser_page):
    page = browser_page
    page.goto(live_server + "/")
    overview = _wait_idle(page, lambda s: s["counts"]["district"] > 0)
    assert overview["counts"]["district"] == 1
    assert page.locator("path.area-district").count() > 0
    assert page.locator("path.leaflet-interactive").count() >= 1 + 2   # district + streets
    assert "已加载" in page.inner_text(".gisapp-status")
    assert page.locator(".leaflet-control-layers").inner_text().split() == [
        "区", "街道", "社区", "网格", "微网格"]
    ARTIFACTS.mkdir(exist_ok=True)
    page.screenshot(path=str(ARTIFACTS / "map-overview.png"))

    zoomed = _zoom_to_first_microgrid(page)
    assert zoomed["labels"] >= 1
    labels = page.locator(".area-label-microgrid").all_inner_texts()
    assert any("210204001001001001" in text and "测试微网格" in text for text in labels)
    # A small pan inside what was fetched (the view padded by half) asks for nothing new.
    asked = len([u for u in page.requests_seen if "/api/areas?" in u])
    page.evaluate("GisappAreasMap.instance.map.panBy([60, 40], {animate: false})")
    _wait_idle(page)
    assert len([u for u in page.requests_seen if "/api/areas?" in u]) == asked
    page.evaluate("GisappAreasMap.instance.map.panBy([-60, -40], {animate: false})")
    popup = _click_map_centre(page)
    assert "210204001001001001" in popup and "户数" in popup and "五色户" in popup
    # The public sees the office phone, not the names of the people on duty.
    assert "办公电话" in popup and "登录后可查看责任人" in popup and "员工" not in popup

    assert page.errors_seen == []
    assert csp_violations(page) == []
    assert foreign_requests(page, live_server) == []
    assert any("/api/areas?level=microgrid" in u for u in page.requests_seen)


@pytest.mark.browser
def test_logged_in_popup_names_who_is_responsible(live_server, browser_page):
    page = browser_page
    _log_in(page, live_server, "grid_worker")
    _wait_idle(page, lambda s: s["counts"]["district"] > 0)
    _zoom_to_first_microgrid(page)
    popup = _click_map_centre(page)
    assert "户数" in popup and "责任人" in popup and "员工001001" in popup
    assert "grid_worker" in page.inner_text(".topbar")
    ARTIFACTS.mkdir(exist_ok=True)
    page.wait_for_timeout(400)     # let the popup finish fading in
    page.screenshot(path=str(ARTIFACTS / "map.png"))
    assert page.errors_seen == []
    assert csp_violations(page) == []
    assert foreign_requests(page, live_server) == []


@pytest.mark.browser
def test_names_are_shown_as_text_not_html(live_server, browser_page, engine):
    """Markup in a name must reach the screen as text, in labels and popups alike."""
    from sqlalchemy import text
    with engine.begin() as conn:
        conn.execute(text("UPDATE area SET name = '<b>粗</b>区' WHERE code = '210204'"))
    try:
        page = browser_page
        page.goto(live_server + "/")
        _wait_idle(page, lambda s: s["counts"]["district"] > 0)
        page.evaluate("GisappAreasMap.instance.map.setView([38.95, 121.55], 11, {animate: false})")
        _wait_idle(page, lambda s: s["zoom"] == 11 and s["labels"] > 0)
        # Replaced labels fade out for a moment, so more than one may be in the page.
        assert any("<b>粗</b>区" in t
                   for t in page.locator(".area-label-district").all_inner_texts())
        assert "<b>粗</b>区" in _click_map_centre(page)
        assert page.locator(".leaflet-tooltip b, .leaflet-popup b").count() == 0
        assert page.errors_seen == []
    finally:
        with engine.begin() as conn:
            conn.execute(text("UPDATE area SET name = '沙河口区' WHERE code = '210204'"))
