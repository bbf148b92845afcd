"""The field page on an emulated phone: where am I (from the browser's WGS-84 position),
today's visits, logging a visit that the supervisor then sees, and the offline outbox.

The browser's Geolocation API gives WGS-84 (W3C); an earlier version of this test fed the
page a GCJ-02 position, encoding the page's old mistake of reading positions as GCJ-02."""
from __future__ import annotations

from pathlib import Path

import pytest
from sqlalchemy import text

from ..browser import _local_only, csp_violations, foreign_requests, wait_for_summary
from ..tiny_city import PASSWORD

pytest_plugins = ["tests.browser"]
ARTIFACTS = Path(__file__).resolve().parents[2] / "test-artifacts"
HERE = (121.511, 38.989)                     # WGS 84, in micro-grid 210204001001001001
PHONE = {"width": 390, "height": 844}


@pytest.fixture(scope="module")
def yellow_homes(engine):
    """Two yellow households in grid_worker's grid: theirs to visit, half-monthly."""
    ids = []
    with engine.begin() as conn:
        for room, (x, y) in (("301", (121.5115, 38.9893)), ("502", (121.5135, 38.9880))):
            ids.append(conn.execute(text("""
                INSERT INTO household (unit, room, head_name, colour, tags, geom, area_id)
                VALUES (1, :room, '张桂兰', 3, ARRAY['长期患病'], """
                                         """ST_SetSRID(ST_MakePoint(:x, :y), 4326),
                        locate_leaf(ST_SetSRID(ST_MakePoint(:x, :y), 4326))) RETURNING id"""),
                {"room": room, "x": x, "y": y}).scalar())
    return ids


@pytest.fixture()
def phone(chromium):
    """A phone-sized page whose browser reports HERE as browsers do: WGS-84."""
    context = chromium.new_context(viewport=PHONE, is_mobile=True, has_touch=True,
                                   device_scale_factor=2, locale="zh-CN",
                                   geolocation={"longitude": HERE[0], "latitude": HERE[1],
                                                "accuracy": 15},
                                   permissions=["geolocation"])
    page = context.new_page()
    page.requests_seen, page.console_seen, page.errors_seen = [], [], []
    context.on("request", lambda req: page.requests_seen.append(req.url))
    page.on("console", lambda msg: page.console_seen.append((msg.type, msg.text)))
    page.on("pageerror", lambda exc: page.errors_seen.append(str(exc)))
    context.route("**/*", _local_only)
    yield page
    context.close()


def login(page, base, username, next_path):
    page.goto(f"{base}/login?next={next_path}")
    page.fill("input[name=username]", username)
    page.fill("input[name=password]", PASSWORD)
    page.click("button[type=submit]")
    page.wait_for_url(f"{base}{next_path}")


def _visits(engine, household_id):
    with engine.connect() as conn:
        return conn.execute(text("SELECT id, client_id, distance_m, flagged_far FROM visit "
                                 "WHERE household_id = :h ORDER BY id"), {"h": household_id}).all()


@pytest.mark.browser
def test_field_page_finds_the_grid_and_logs_a_visit(live_server, phone, chromium, engine,
                                                    yellow_homes):
    page = phone
    login(page, live_server, "grid_worker", "/field")
    wait_for_summary(page, "() => document.getElementById('w-grid').textContent",
                     lambda t: "210204001001001" in t)
    assert "210204001001001001" in page.inner_text("#w-microgrid")
    assert "210204001001" in page.inner_text("#w-community")
    assert "网格员 用户grid_worker" in page.inner_text("#where-people summary")
    assert "社区书记" in page.text_content("#people")
    # Today's visits: the two yellow households, nearest first.
    wait_for_summary(page, "() => document.querySelectorAll('#due-list li').length",
                     lambda n: n == 2)
    ids = page.eval_on_selector_all("#due-list li", "els => els.map(e => +e.dataset.householdId)")
    assert ids == yellow_homes
    # Me and both households are on the map and inside its frame.
    wait_for_summary(page, """() => {
        const box = document.getElementById('field-map').getBoundingClientRect();
        return [...document.querySelectorAll('#field-map path.leaflet-interactive')].filter((p) => {
            const r = p.getBoundingClientRect();
            return r.width > 0 && r.left >= box.left && r.right <= box.right
                && r.top >= box.top && r.bottom <= box.bottom; }).length; }""", lambda n: n >= 3)
    ARTIFACTS.mkdir(exist_ok=True)
    page.screenshot(path=str(ARTIFACTS / "field.png"), full_page=True)

    page.click(f"#due-list li[data-household-id='{ids[0]}'] button.primary")
    page.select_option("#visit-form select[name=outcome]", "well")
    page.fill("#visit-form textarea[name=note]", "老人精神不错，药品充足")
    page.click("#visit-form button[type=submit]")
    wait_for_summary(page, "() => document.getElementById('net-status').textContent",
                     lambda t: "走访已记录" in t)
    stored = _visits(engine, ids[0])
    assert len(stored) == 1 and stored[0].distance_m < 100 and not stored[0].flagged_far
    wait_for_summary(page, "() => document.querySelectorAll('#due-list li').length",
                     lambda n: n == 1)
    assert foreign_requests(page, live_server) == [] and csp_violations(page) == []
    assert page.errors_seen == []

    # The community supervisor sees the visit on the supervision page.
    sup = chromium.new_context(viewport={"width": 1280, "height": 900}, locale="zh-CN")
    sup.route("**/*", _local_only)
    spage = sup.new_page()
    login(spage, live_server, "community_sup", "/visits/supervision")
    spage.wait_for_selector(f"#recent-visits tr[data-visit-id='{stored[0].id}']")
    assert "老人精神不错" in spage.inner_text(f"#recent-visits tr[data-visit-id='{stored[0].id}']")
    spage.wait_for_selector("#v-table tbody tr[data-colour=yellow]")
    assert spage.evaluate(
        "() => !!Chart.getChart('colour-chart') && !!Chart.getChart('overdue-chart')")
    spage.screenshot(path=str(ARTIFACTS / "visits-supervision.png"), full_page=True)
    sup.close()


@pytest.mark.browser
def test_offline_visit_is_sent_once_when_back_online(live_server, phone, engine, yellow_homes):
    page = phone
    login(page, live_server, "grid_worker", "/field")
    wait_for_summary(page, "() => document.querySelectorAll('#due-list li').length",
                     lambda n: n >= 1)
    target = yellow_homes[1]
    before = len(_visits(engine, target))
    page.context.set_offline(True)
    page.click(f"#due-list li[data-household-id='{target}'] button.primary")
    page.select_option("#visit-form select[name=outcome]", "well")
    page.fill("#visit-form textarea[name=note]", "离线记录")
    page.click("#visit-form button[type=submit]")
    wait_for_summary(page, "() => document.getElementById('queue-count').textContent",
                     lambda t: "待发送 1 条" in t)
    page.wait_for_timeout(500)
    assert len(_visits(engine, target)) == before                  # nothing reached the server
    entry = page.evaluate("() => window.fieldStore.all('outbox').then((a) => a[0])")
    client_id = entry["client_id"]

    page.context.set_offline(False)
    wait_for_summary(page, "() => window.fieldStore.all('outbox').then((a) => "
                           "a.length === 0 ? 'empty' : '')",
                     lambda s: s == "empty")
    # A phone that sent the visit but died before clearing its outbox sends it again:
    # still one visit. So do a second flush and a reload.
    page.evaluate("(e) => window.fieldStore.put('outbox', e).then(() => window.fieldQueue.flush())",
                  entry)
    assert page.evaluate("() => window.fieldStore.all('outbox').then((a) => a.length)") == 0
    page.reload()
    page.wait_for_selector("#due-list", state="attached")
    page.wait_for_timeout(300)
    after = _visits(engine, target)
    assert len(after) == before + 1 and after[-1].client_id == client_id
    assert page.errors_seen == []
