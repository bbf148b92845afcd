"""A grid worker on /field, on a phone, as whole tasks in Chromium: a visit with a photo
logged offline, the page reopened offline, the visit sent exactly once when back online;
a visit the server refuses kept with its reason in Chinese, resent after an edit, or
discarded by hand; and nothing personal left in the browser after logout."""
from __future__ import annotations

import re

import pytest
from sqlalchemy import text

from ..browser import PHONE, assert_accessible, screenshot, wait_for_summary
from ..phone_support import allow_tile_cancels, login, photo_file, settle_base_map, storage

pytest_plugins = ["tests.browser"]
HERE = (121.511, 38.989)                     # WGS 84, in micro-grid 210204001001001001
AT_HERE = {**PHONE, "geolocation": {"longitude": HERE[0], "latitude": HERE[1], "accuracy": 15},
           "permissions": ["geolocation"]}
OFFLINE = r"request failed: .*net::ERR_INTERNET_DISCONNECTED"
OUTBOX = "() => window.fieldStore.all('outbox')"


@pytest.fixture(scope="module")
def homes(engine):
    """Five yellow households in grid_worker's grid: theirs to visit, half-monthly."""
    ids = []
    with engine.begin() as conn:
        for room, (x, y) in (("301", (121.5115, 38.9893)), ("502", (121.5135, 38.9880)),
                             ("601", (121.5125, 38.9885)), ("702", (121.5120, 38.9890)),
                             ("802", (121.5130, 38.9883))):
            ids.append(conn.execute(text("""
                INSERT INTO household (unit, room, head_name, phone, colour, tags, geom, area_id)
                VALUES (1, :room, '王秀英', '13811112222', 3, ARRAY['独居老人'],
                        ST_SetSRID(ST_MakePoint(:x, :y), 4326),
                        locate_leaf(ST_SetSRID(ST_MakePoint(:x, :y), 4326))) RETURNING id"""),
                {"room": room, "x": x, "y": y}).scalar())
    return ids


def visits_of(engine, household_id):
    with engine.connect() as conn:
        return conn.execute(text("SELECT id, client_id, note, photo_sha256, ST_X(geom) AS lng "
                                 "FROM visit WHERE household_id = :h ORDER BY id"),
                            {"h": household_id}).all()


def open_field(page, base):
    allow_tile_cancels(page)
    login(page, base, "grid_worker", "/field")
    wait_for_summary(page, "() => document.getElementById('w-grid').textContent",
                     lambda t: "210204001001001" in t)
    wait_for_summary(page, "() => document.querySelectorAll('#due-list li').length",
                     lambda n: n >= 1)
    # Settled: the facilities nearby and the grid's outline have arrived too.
    wait_for_summary(page, "() => document.getElementById('nearby-count').textContent", bool)
    page.wait_for_selector("#field-map path[stroke-dasharray]")
    settle_base_map(page)


def wait_for_shell(page):
    """The service worker is active and holds the app shell (the page can open offline),
    the base map's scripts included when the page has one."""
    wait_for_summary(page, """async () => { await navigator.serviceWorker.ready;
        const c = await caches.open('gisapp-field-shell-v1');
        const config = document.getElementById('gisapp-basemap');
        const base = !config || (!!(await c.match('/static/js/basemap-layer.js'))
                                 && !!(await c.match(JSON.parse(config.textContent).worker)));
        return base && !!(await c.match('/field')) && """
                           """!!(await c.match('/static/js/field.js')); }""", bool)


def assert_chinese(page):
    """No English on the page: only names that are not words (WGS-84, codes, the user name)."""
    shown = re.sub(r"grid_(worker|leader)", "", page.inner_text("body"))    # user names
    words = set(re.findall(r"[A-Za-z]{2,}", shown)) - {"WGS", "Leaflet"}
    assert not words, words


def log_visit(page, household_id, note, photo):
    page.tap(f"#due-list li[data-household-id='{household_id}'] button.primary")
    page.select_option("#visit-form select[name=outcome]", "well")
    page.fill("#visit-form textarea[name=note]", note)
    page.set_input_files("#visit-form input[name=photo]", photo)
    page.tap("#visit-submit")


@pytest.mark.browser
def test_offline_photo_visit_reopens_offline_and_is_sent_once(live_server, open_context, engine,
                                                              homes):
    page = open_context(AT_HERE)
    open_field(page, live_server)
    wait_for_shell(page)
    target = homes[0]
    assert visits_of(engine, target) == []

    page.context.set_offline(True)
    page.expect_problem(OFFLINE)                 # the page's own requests, cut while offline
    log_visit(page, target, "离线走访：老人身体好，门口拍照", photo_file(640, 480))
    page.wait_for_selector("#outbox li[data-client-id]")
    assert "等待联网后发送" in page.inner_text("#outbox")
    entry = page.evaluate(OUTBOX + ".then((a) => ({n: a.length, id: a[0].client_id, "
                          "blob: a[0].photo instanceof Blob, bytes: a[0].photo.size}))")
    assert entry["n"] == 1 and entry["blob"] and 1000 < entry["bytes"] < 400_000

    # The phone is still offline; the worker reloads the page, and it opens.
    page.reload()
    page.wait_for_selector("#outbox li[data-client-id]")
    assert page.evaluate("() => navigator.serviceWorker.controller !== null")
    assert "离线走访" in page.inner_text("#outbox")
    wait_for_summary(page, "() => document.getElementById('due-status').textContent",
                     lambda t: "上次加载的名单" in t)
    # The cached due list holds only what a visit needs: no head, phone, room, tags or position.
    cached = page.evaluate("() => window.fieldStore.get('due', 'due')")
    assert {h["id"] for h in cached["visits"]} == set(homes)
    assert all(set(h) <= {"id", "colour_key", "colour_zh", "building", "unit", "due_on",
                          "overdue_days"}
               for h in cached["visits"])
    assert "王秀英" not in str(cached) and "13811112222" not in str(cached)
    assert cached["expires_at"] - cached["saved_at"] <= 24 * 3600 * 1000
    listed = page.eval_on_selector_all("#due-list li",
                                       "els => els.map(e => +e.dataset.householdId)")
    assert sorted(listed) == sorted(homes[1:])            # the logged one waits in the outbox
    assert visits_of(engine, target) == []
    assert_chinese(page)
    screenshot(page, "phone-field-offline")
    assert_accessible(page)

    page.context.set_offline(False)
    wait_for_summary(page, OUTBOX + ".then((a) => a.length === 0 ? 'sent' : '')",
                     lambda s: s == "sent")
    stored = visits_of(engine, target)
    assert len(stored) == 1 and stored[0].client_id == entry["id"]
    assert stored[0].photo_sha256 and abs(stored[0].lng - HERE[0]) < 1e-6   # WGS-84 kept as is
    # Sent again (a phone that died before clearing its outbox): still one visit.
    page.evaluate("(id) => fetch('/api/csrf').then((r) => r.json()).then((t) => "
                  "fetch('/api/visits', {method: 'POST', headers: "
                  "{'Content-Type': 'application/json', 'X-CSRF-Token': t.csrf_token}, body: "
                  "JSON.stringify({client_id: id, household_id: %d, outcome: 'well'})}))" % target,
                  entry["id"])
    assert len(visits_of(engine, target)) == 1
    wait_for_summary(page, "() => document.getElementById('net-status').textContent",
                     lambda t: "走访已记录" in t)
    screenshot(page, "phone-field-sent")


@pytest.mark.browser
def test_refused_visit_stays_with_its_reason_until_fixed_or_discarded(live_server, open_context,
                                                                      app, engine, homes):
    page = open_context(AT_HERE)
    open_field(page, live_server)
    before = {h: len(visits_of(engine, h)) for h in homes}
    app.config["MAX_PHOTO_BYTES"] = 4000         # the server now takes only small photos
    try:
        page.expect_problem(r"HTTP 413: POST .*/api/visits")
        log_visit(page, homes[1], "照片太大的一次走访", photo_file(400, 300, seed=2))
        page.wait_for_selector("#outbox li.refused")
        reason = page.inner_text("#outbox li.refused")
        assert ("未被接受：照片太大" in reason
                and not any(c.isascii() and c.isalpha() for c in reason.split("：", 1)[1]))
        assert "走访未被接受" in page.inner_text("#net-status")
        assert page.evaluate(OUTBOX + ".then((a) => a.length)") == 1      # kept, with its photo
        assert_chinese(page)
        screenshot(page, "phone-field-refused")
        assert_accessible(page)

        # The worker edits it: a smaller photo, a corrected note, and sends it again.
        page.tap("#outbox li.refused button.edit")
        assert page.input_value("#visit-form textarea[name=note]") == "照片太大的一次走访"
        page.fill("#visit-form textarea[name=note]", "换了一张小照片")
        page.set_input_files("#visit-form input[name=photo]",
                             photo_file(8, 8, seed=3, name="小照片.png"))
        assert page.inner_text("#photo-name") == "已选择：小照片.png"
        assert page.inner_text("#visit-submit") == "重新发送"
        page.locator("#visit-box").screenshot(path=str(screenshot(page, "phone-field-edit")))
        assert_accessible(page, "#visit-box")
        page.tap("#visit-submit")
        wait_for_summary(page, OUTBOX + ".then((a) => a.length === 0 ? 'sent' : '')",
                         lambda s: s == "sent")
        stored = visits_of(engine, homes[1])
        assert len(stored) == before[homes[1]] + 1 and stored[-1].note == "换了一张小照片"
        assert stored[-1].photo_sha256

        # Another refused visit is discarded by hand, with a second tap to confirm.
        log_visit(page, homes[2], "这条将被删除", photo_file(400, 300, seed=4))
        page.wait_for_selector("#outbox li.refused")
        page.tap("#outbox li.refused button.discard")
        assert page.evaluate(OUTBOX + ".then((a) => a.length)") == 1      # one tap is not enough
        page.tap("#outbox li.refused button.discard")
        wait_for_summary(page, OUTBOX + ".then((a) => a.length === 0 ? 'gone' : '')",
                         lambda s: s == "gone")
        page.wait_for_selector(f"#due-list li[data-household-id='{homes[2]}']")
        assert len(visits_of(engine, homes[2])) == before[homes[2]]
    finally:
        app.config["MAX_PHOTO_BYTES"] = 10 * 1024 * 1024


@pytest.mark.browser
def test_after_logout_nothing_personal_remains(live_server, open_context, engine, homes):
    page = open_context(AT_HERE)
    open_field(page, live_server)
    wait_for_shell(page)
    # An unsent visit waits in the outbox, and the due list is cached.
    page.context.set_offline(True)
    page.expect_problem(OFFLINE)
    log_visit(page, homes[3], "退出前未发送", photo_file(32, 32, seed=5))
    page.wait_for_selector("#outbox li[data-client-id]")
    kept = storage(page)
    assert "gisapp-field" in kept["indexedDB"] and kept["caches"] and kept["workers"]
    with page.expect_response(lambda r: "/api/visits/due" in r.url):   # reloaded once sent
        page.context.set_offline(False)
        page.evaluate("() => window.fieldQueue.flush()")
    page.wait_for_selector("#outbox li[data-client-id]", state="detached")

    # Log out from another page: the server's Clear-Site-Data still removes it all.
    page.goto(f"{live_server}/cases")
    page.tap("form[action='/logout'] button")
    page.wait_for_url(f"{live_server}/login")
    left = storage(page)
    assert left == {"localStorage": [], "indexedDB": [], "caches": {}, "workers": []}, left
    screenshot(page, "phone-after-logout")
    assert_accessible(page)

    # And from /field itself, with a visit still unsent: the page asks, then forgets.
    open_field(page, live_server)
    # The server is down for visits (503): the visit waits in the outbox.
    page.expect_problem(r"HTTP 503: POST .*/api/visits")
    page.route("**/api/visits", lambda route: route.fulfill(
        status=503, content_type="application/json",
        body='{"error": "unavailable", "message": "维护中"}'))
    log_visit(page, homes[4], "退出时仍未发送", photo_file(32, 32, seed=6))
    page.wait_for_selector("#outbox li[data-client-id]")
    asked = []
    page.once("dialog", lambda d: (asked.append(d.message), d.accept()))
    page.tap("form[action='/logout'] button")
    page.wait_for_url(f"{live_server}/login")
    assert asked and "1 条走访未发送" in asked[0]
    left = storage(page)
    assert left == {"localStorage": [], "indexedDB": [], "caches": {}, "workers": []}, left
