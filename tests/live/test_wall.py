"""The map wall (/wall) in headless Chromium, and the JSON behind its panel."""
from __future__ import annotations

import re
from pathlib import Path
from urllib.parse import quote

import pytest
from sqlalchemy import text

from ..browser import csp_violations, foreign_requests, wait_for_summary
from ..tiny_city import PASSWORD
from ..wall_support import close_app, make_app, wait_until

pytest_plugins = ["tests.browser"]
ARTIFACTS = Path(__file__).resolve().parents[2] / "test-artifacts"


@pytest.fixture(scope="module")
def app(db_url):
    app = make_app(db_url)
    yield app
    close_app(app)


def login(page, base, username, target="/wall"):
    page.goto(f"{base}/login?next={quote(target)}")
    page.fill("input[name=username]", username)
    page.fill("input[name=password]", PASSWORD)
    page.click("button[type=submit]")
    page.wait_for_url(f"{base}{target}")


def report(client, headers, lng, lat, kind="hazard", category="fire_exit"):
    resp = client.post("/api/cases", headers=headers, json={
        "kind": kind, "category": category, "description": "楼道堆放杂物堵塞消防通道",
        "location": {"lng": lng, "lat": lat}})
    assert resp.status_code == 201, resp.get_json()
    return resp.get_json()["case"]["id"]


def test_only_the_command_centre_and_supervisors_see_the_wall(client, as_user):
    assert client.get("/wall").status_code == 303                    # the public: log in first
    for who in ("grid_worker", "info_officer", "volunteer", "other_worker"):
        resp = client.get("/wall", headers=as_user(who))
        assert resp.status_code == 403 and "无权访问" in resp.get_data(as_text=True)
    for who in ("wall", "admin", "district_sup", "street_sup", "community_sup"):
        assert client.get("/wall", headers=as_user(who)).status_code == 200
    assert client.get("/api/wall/summary", headers=as_user("grid_worker")).status_code == 403
    assert client.get("/api/wall/summary").status_code == 401


def test_summary_and_choropleth(client, as_user):
    report(client, as_user("grid_worker"), 121.511, 38.989)
    summary = client.get("/api/wall/summary", headers=as_user("wall")).get_json()
    assert summary["active"] >= 1 and summary["active_by_state"]["reported"] >= 1
    # A wall screen has no duty toward the households: small counts read "<5" (the admin's exact).
    assert summary["red_visits"]["due"] == 16 and summary["red_visits"]["done"] == "<5"
    exact = client.get("/api/wall/summary", headers=as_user("admin")).get_json()
    assert exact["red_visits"] == {"due": 16, "done": 0}
    choro = client.get("/api/wall/choropleth?level=community", headers=as_user("wall")).get_json()
    nw = next(a for a in choro["areas"] if a["code"] == "210204001001")
    assert nw["cases"] >= 1 and nw["per_1000"] == pytest.approx(1000 * nw["cases"] / 4)
    assert len(choro["areas"]) == 4
    # A community supervisor's choropleth is their community only.
    mine = client.get("/api/wall/choropleth?level=community",
                      headers=as_user("community_sup")).get_json()
    assert [a["code"] for a in mine["areas"]] == ["210204001001"]
    bad = client.get("/api/wall/choropleth?level=planet", headers=as_user("wall"))
    assert bad.status_code == 400


def test_choropleth_counts_overdue_visits(client, as_user, engine):
    """A red household last visited three days ago is overdue; one visited today is not."""
    with engine.begin() as conn:
        conn.execute(text("""UPDATE household SET last_visit_at = now() - interval '3 days'
            WHERE area_id = (SELECT id FROM area WHERE code = '210204001001001001')"""))
        conn.execute(text("""UPDATE household SET last_visit_at = now()
            WHERE area_id <> (SELECT id FROM area WHERE code = '210204001001001001')"""))
    choro = client.get("/api/wall/choropleth?level=grid", headers=as_user("admin")).get_json()
    late = {a["code"]: a["overdue_visits"] for a in choro["areas"]}
    assert late["210204001001001"] == 1 and sum(late.values()) == 1
    screen = client.get("/api/wall/choropleth?level=grid", headers=as_user("wall")).get_json()
    assert {a["overdue_visits"] for a in screen["areas"]} == {"<5"}     # small counts hidden
    nw = next(a for a in choro["areas"] if a["code"] == "210204001001001")
    assert nw["overdue_visits_per_1000"] == pytest.approx(1000 / nw["households"])


@pytest.mark.browser
def test_a_reported_case_appears_on_the_wall_live(live_server, browser_page, client, as_user):
    page = browser_page
    page.set_viewport_size({"width": 1920, "height": 1080})
    login(page, live_server, "wall")
    wait_for_summary(page, "() => document.getElementById('wall').dataset.ready",
                     lambda v: v == "1")
    wait_for_summary(page, "() => document.getElementById('wall').dataset.live", lambda v: v == "1")
    wait_for_summary(page, "() => document.getElementById('c-active').textContent",
                     lambda v: v != "—")
    assert page.locator("#wall-legend li").count() >= 8

    case_id = report(client, as_user("grid_worker"), 121.5122, 38.9877)
    page.wait_for_selector(f"[data-case-id='{case_id}']", timeout=2000)
    assert page.get_attribute(f"[data-case-id='{case_id}']", "data-state") == "reported"
    assert "消防通道堵塞" in page.inner_text("#ticker-list")
    # The affected vector tiles are reloaded at the generation the event carried.
    # (MapLibre fetches tiles in its worker: the context sees those requests, the page's
    # performance timeline does not.)
    wait_until(page, lambda: any(re.search(r"/tiles/case_areas/.*[?]g=[1-9]", u)
                                 for u in page.requests_seen))
    # A change of state recolours it, without a reload.
    client.post(f"/api/cases/{case_id}/actions/register", headers=as_user("community_sup"),
                json={"note": "立案"})
    wait_for_summary(page,
                     f"() => document.querySelector(\"[data-case-id='{case_id}']\").dataset.state",
                     lambda v: v == "registered", timeout=2)

    page.click(f"[data-case-id='{case_id}']")
    page.wait_for_selector(f"#detail-title:has-text('案件 {case_id}')")
    page.wait_for_timeout(800)                             # let the tiles settle for the picture
    ARTIFACTS.mkdir(exist_ok=True)
    page.screenshot(path=str(ARTIFACTS / "wall.png"))
    assert foreign_requests(page, live_server) == []
    assert csp_violations(page) == []
    assert page.errors_seen == []


@pytest.mark.browser
def test_two_roles_see_two_different_walls(live_server, chromium):
    """The command centre sees every community; a community supervisor only their own."""
    seen = {}
    for who in ("wall", "community_sup"):
        context = chromium.new_context(viewport={"width": 1600, "height": 900}, locale="zh-CN")
        page = context.new_page()
        login(page, live_server, who)
        wait_for_summary(page, "() => document.getElementById('wall').dataset.choroplethAreas",
                         lambda v: v is not None)
        seen[who] = page.evaluate("() => document.getElementById('wall').dataset.choroplethAreas")
        ARTIFACTS.mkdir(exist_ok=True)
        page.screenshot(path=str(ARTIFACTS / f"wall-{who}.png"))
        context.close()
    assert seen == {"wall": "4", "community_sup": "1"}


@pytest.mark.browser
def test_kiosk_mode_cycles_through_districts(live_server, browser_page):
    page = browser_page
    login(page, live_server, "wall", "/wall?kiosk=1&interval=5")
    wait_for_summary(page, "() => document.getElementById('wall').dataset.kioskIndex",
                     lambda v: v == "0")
    assert "轮播" in page.inner_text("#wall-focus")
    assert foreign_requests(page, live_server) == [] and csp_violations(page) == []
