"""Case tasks done whole in Chromium, as their people do them, checked by the next person.

- At a desk, a community supervisor registers a case and dispatches it to a person she
  picks; the grid worker (another browser) accepts and handles it with a note and a photo;
  she verifies, closes and evaluates it with a score and a comment, and reads each step in
  the history with names and roles.
- On a phone, a grid worker finds his case among the cards by searching, accepts it and
  handles it with a note and a photo.
- The list pages through more than one page, searches, and sorts by deadline.
Each page passes axe-core (WCAG 2 A/AA) and leaves a screenshot in var/screens/.
"""
from __future__ import annotations

import struct
import zlib
from datetime import datetime, timezone

import pytest
from sqlalchemy import text

from ..browser import DESKTOP, assert_accessible, screenshot, wait_for_summary
from ..tiny_city import PASSWORD

pytest_plugins = ["tests.browser"]
NW = (121.51, 38.99)
NAMES = {"community_sup": "王芳", "grid_worker": "张伟"}


def png(width=160, height=120, rgb=(200, 60, 40)) -> bytes:
    """A real (tiny) PNG, so the page shows it like a photo."""
    def chunk(kind, data):
        return (struct.pack(">I", len(data)) + kind + data
                + struct.pack(">I", zlib.crc32(kind + data)))
    rows = b"".join(b"\x00" + bytes(rgb) * width for _ in range(height))
    return (b"\x89PNG\r\n\x1a\n"
            + chunk(b"IHDR", struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0))
            + chunk(b"IDAT", zlib.compress(rows)) + chunk(b"IEND", b""))


@pytest.fixture(scope="module", autouse=True)
def people_with_names(engine):
    """Give the accounts' people real names, as the history should show them."""
    with engine.begin() as conn:
        for user, name in NAMES.items():
            conn.execute(text("UPDATE person SET name = :n WHERE id = "
                              "(SELECT person_id FROM app_user WHERE username = :u)"),
                         {"n": name, "u": user})


def login(page, base, username, then):
    page.goto(f"{base}/login?next={then}")
    page.fill("input[name=username]", username)
    page.fill("input[name=password]", PASSWORD)
    page.click("button[type=submit]")
    page.wait_for_url(f"{base}{then}")


def new_case(client, as_user, description, steps=()):
    resp = client.post("/api/cases", headers=as_user("grid_worker"), json={
        "kind": "incident", "category": "rubbish", "description": description,
        "location": {"lng": NW[0], "lat": NW[1]}})
    assert resp.status_code == 201, resp.get_json()
    case_id = resp.get_json()["case"]["id"]
    for action in steps:
        assert client.post(f"/api/cases/{case_id}/actions/{action}", json={},
                           headers=as_user("community_sup")).status_code == 200
    return case_id


def person_id(engine, username):
    with engine.connect() as conn:
        return conn.execute(text("SELECT person_id FROM app_user WHERE username = :u"),
                            {"u": username}).scalar()


def do(page, action, fill=None):
    """Open an action's form, fill it in, send it, and wait for the page to reload the case."""
    page.click(f"#case-actions button[data-action={action}]")
    page.wait_for_selector(f"#action-form[data-action={action}]")
    if fill:
        fill(page)
    page.click("#action-form button[type=submit]")
    page.wait_for_selector("#action-form", state="detached")
    page.wait_for_selector(f"#case-events li[data-action={action}]")


def until(page, predicate: str):
    """Wait until a JS predicate holds (wait_for_function would eval(), which our CSP forbids)."""
    return wait_for_summary(page, predicate, bool)


def state_of(page):
    return page.inner_text("#case-state")


@pytest.mark.browser
def test_supervisor_dispatches_worker_handles_supervisor_evaluates(
        live_server, strict_page, open_context, client, as_user, engine, tmp_path):
    case_id = new_case(client, as_user, "二号楼东侧垃圾堆放三天未清运")
    sup = strict_page
    login(sup, live_server, "community_sup", f"/cases/{case_id}")
    sup.wait_for_selector("#case-actions button[data-action=register]")
    assert "测试社区01001 测试网格01001 测试微网格01001" in sup.inner_text("#case-facts")
    sup.wait_for_selector("#case-map .leaflet-interactive")            # the case on the map
    do(sup, "register")
    assert state_of(sup) == "已立案"

    worker = str(person_id(engine, "grid_worker"))
    sup.click("#case-actions button[data-action=dispatch]")
    sup.wait_for_selector("#dispatch-person optgroup", state="attached")
    groups = sup.eval_on_selector_all("#dispatch-person optgroup", "gs => gs.map(g => g.label)")
    assert groups[0] == "本区域在岗人员"
    on_duty = sup.eval_on_selector_all("#dispatch-person optgroup:first-of-type option",
                                       "os => os.map(o => o.value)")
    assert worker in on_duty
    sup.select_option("#dispatch-person", worker)
    sup.fill("#action-form textarea[name=note]", "请今天内清运")
    assert_accessible(sup)
    screenshot(sup, "case-dispatch-form")
    sup.click("#action-form button[type=submit]")
    sup.wait_for_selector("#case-events li[data-action=dispatch]")
    assert state_of(sup) == "已派遣" and "张伟" in sup.inner_text("#case-facts")

    # The grid worker, on his own computer, accepts and handles it with a photo.
    photo = tmp_path / "after.png"
    photo.write_bytes(png())
    hand = open_context(DESKTOP)
    login(hand, live_server, "grid_worker", f"/cases/{case_id}")
    hand.wait_for_selector("#case-actions button[data-action=accept]")
    do(hand, "accept")
    do(hand, "handle", lambda p: (p.fill("#action-form textarea[name=note]", "已联系物业清运完毕"),
                                  p.set_input_files("#action-form input[name=photos]", str(photo))))
    assert state_of(hand) == "已处理"
    hand.wait_for_selector("#case-photos img")
    assert hand.evaluate("() => document.querySelector('#case-photos img').naturalWidth") == 160

    # The supervisor verifies, closes and evaluates.
    sup.reload()
    sup.wait_for_selector("#case-actions button[data-action=verify]")
    do(sup, "verify", lambda p: p.fill("#action-form textarea[name=note]", "现场已核实"))
    do(sup, "close")
    sup.click("#case-actions button[data-action=evaluate]")
    sup.wait_for_selector("#action-form[data-action=evaluate]")
    sup.check("#action-form input[name=score][value='4']")
    sup.fill("#action-form textarea[name=note]", "处理及时，居民满意")
    sup.click("#action-form button[type=submit]")
    sup.wait_for_selector("#case-events li[data-action=evaluate]")
    assert state_of(sup) == "已评价"

    steps = sup.eval_on_selector_all("#case-events li",
                                     "ls => ls.map(l => [l.dataset.action, l.innerText])")
    said = dict(steps)
    assert [a for a, _ in steps] == ["report", "register", "dispatch", "accept", "handle", "verify",
                                     "close", "evaluate"]
    assert "张伟（网格员）" in said["report"]
    assert "王芳（社区主管）" in said["register"]
    assert "王芳（社区主管）" in said["dispatch"] and "给 张伟（网格员）" in said["dispatch"]
    assert "张伟（网格员）" in said["accept"]
    assert ("张伟（网格员）" in said["handle"] and "已联系物业清运完毕" in said["handle"]
            and "照片 1 张" in said["handle"])
    assert "王芳（社区主管）" in said["evaluate"] and "评分 4 分" in said["evaluate"] \
        and "处理及时，居民满意" in said["evaluate"]
    assert not any("community_sup" in t or "grid_worker" in t for _, t in steps)   # no login names
    assert_accessible(sup)
    screenshot(sup, "case-detail-evaluated")
    final = client.get(f"/api/cases/{case_id}", headers=as_user("district_sup")).get_json()
    assert final["state"] == "evaluated" and final["evaluation"] == 4


@pytest.mark.browser
def test_grid_worker_finds_and_handles_a_case_on_a_phone(live_server, phone_page, client, as_user,
                                                         engine, tmp_path):
    case_id = new_case(client, as_user, "七号楼门口有人飞线给电动车充电",
                       steps=("register", "dispatch"))
    for i in range(3):
        new_case(client, as_user, f"其他案件 {i}")
    page = phone_page
    login(page, live_server, "grid_worker", "/field")
    # He leaves /field at once: what it was still loading (its due list, nearby places) is cut.
    page.expect_problem(r"request failed: GET \S+/api/\S+ \(net::ERR_ABORTED\)")
    page.click("#my-cases a")                               # /field links the worker's cases
    page.wait_for_url(f"{live_server}/cases?mine=1")
    page.wait_for_selector(".case-card")
    page.fill("#f-q", "飞线")
    page.click("#case-filters button[type=submit]")
    until(page, "() => document.querySelectorAll('.case-card').length === 1")
    cards = page.eval_on_selector_all(".case-card", "cs => cs.map(c => c.dataset.caseId)")
    assert cards == [str(case_id)]
    assert page.is_hidden("#case-table") and page.is_visible(".case-card")
    # no sideways scroll
    assert page.evaluate("() => document.documentElement.scrollWidth") <= 390
    assert "测试社区01001 测试网格01001 测试微网格01001" in page.inner_text(".case-card")
    assert_accessible(page)
    screenshot(page, "cases-phone-search")

    page.tap(f".case-card[data-case-id='{case_id}'] a")
    page.wait_for_selector("#case-actions button[data-action=accept]")
    assert page.evaluate("() => document.documentElement.scrollWidth") <= 390
    page.tap("#case-actions button[data-action=accept]")
    page.tap("#action-form button[type=submit]")
    page.wait_for_selector("#case-events li[data-action=accept]")
    photo = tmp_path / "scene.png"
    photo.write_bytes(png(rgb=(30, 120, 60)))
    page.tap("#case-actions button[data-action=handle]")
    page.fill("#action-form textarea[name=note]", "已拆除飞线，提醒住户到充电桩充电")
    page.set_input_files("#action-form input[name=photos]", str(photo))
    assert "已选 1 张" in page.inner_text("#action-form")
    assert page.evaluate("() => document.documentElement.scrollWidth") <= 390
    assert_accessible(page)
    screenshot(page, "case-phone-handle-form")
    page.tap("#action-form button[type=submit]")
    page.wait_for_selector("#case-events li[data-action=handle]")
    assert state_of(page) == "已处理"
    assert page.evaluate("() => document.documentElement.scrollWidth") <= 390
    screenshot(page, "case-phone-handled")

    # The supervisor, next, sees the work with its note and photo.
    detail = client.get(f"/api/cases/{case_id}", headers=as_user("community_sup")).get_json()
    assert detail["state"] == "handled" and len(detail["photos"]) == 1
    assert detail["events"][-1]["note"] == "已拆除飞线，提醒住户到充电桩充电"
    assert detail["events"][-1]["actor"] == "张伟（网格员）"


def many_cases(engine, n, tag):
    """n dispatched cases in the north-west micro-grid with deadlines one hour apart."""
    t = datetime(2026, 11, 2, 9, tzinfo=timezone.utc)
    with engine.begin() as conn:
        area = conn.execute(text("SELECT id FROM area WHERE code = '210204001001001001'")).scalar()
        return conn.execute(text("""
            INSERT INTO case_file (kind, category, description, reporter_kind, geom, """
                                 """area_id, area_code,
                                   state, reported_at, dispatched_at, deadline_at)
            SELECT 'incident', 'parking', :tag || ' 第' || i || '件', 'staff',
                   ST_SetSRID(ST_MakePoint(121.51, 38.99), 4326), :area, '210204001001001001',
                   'dispatched', :t + i * interval '1 minute', :t, """
                                 """:t + ((:n - i) * interval '1 hour')
            FROM generate_series(1, :n) i RETURNING id"""),
            {"tag": tag, "area": area, "t": t, "n": n}).scalars().all()


def badge_cases(engine):
    """The newest cases: one of each look (near its deadline, cancelled, closed), for axe."""
    with engine.begin() as conn:
        conn.execute(text("""
            INSERT INTO case_file (kind, category, description, reporter_kind, geom, """
                          """area_id, area_code,
                                   state, reported_at, dispatched_at, deadline_at, cancel_reason)
            SELECT 'incident', 'noise', '夜间施工噪声 ' || s, 'staff', """
                          """ST_SetSRID(ST_MakePoint(121.51, 38.99), 4326),
                   (SELECT id FROM area WHERE code = '210204001001001001'), '210204001001001001', s,
                   now() + interval '1 day', now(), now() + interval '1 hour',
                   CASE WHEN s = 'cancelled' THEN '重复' END
            FROM unnest(ARRAY['in_progress', 'cancelled', 'closed', 'evaluated', 'reported']) s"""))


@pytest.mark.browser
def test_list_pages_searches_and_sorts(live_server, strict_page, engine):
    ids = many_cases(engine, 120, "占道停车")
    badge_cases(engine)
    page = strict_page
    login(page, live_server, "community_sup", "/cases")
    page.wait_for_selector("#case-table tbody tr")
    count = page.inner_text("#case-count")
    total = int(count.split("共 ")[1].split(" 件")[0])
    assert total >= 120 and page.locator("#case-table tbody tr").count() == 50
    assert (page.inner_text("#page-info") == f"第 1 / {-(-total // 50)} 页"
            and page.is_disabled("#page-prev"))
    first_page = page.eval_on_selector_all("#case-table tbody tr",
                                           "rs => rs.map(r => r.dataset.caseId)")
    assert page.locator("#case-table .badge.warn").count() >= 1          # near its deadline
    assert page.locator("#case-table .badge.state-cancelled").count() == 1
    assert_accessible(page)                       # the 57 contrast failures are gone
    screenshot(page, "cases-list-desktop")

    page.click("#page-next")
    until(page, "() => document.getElementById('page-info').textContent.startsWith('第 2 ')")
    second_page = page.eval_on_selector_all("#case-table tbody tr",
                                            "rs => rs.map(r => r.dataset.caseId)")
    assert len(second_page) == 50 and not set(first_page) & set(second_page)
    assert "offset=50" in page.url

    # Search by text narrows to the 120; sort by deadline puts the tightest first.
    page.fill("#f-q", "占道停车")
    page.select_option("#f-sort", "deadline")
    until(page, "() => document.getElementById('case-count').textContent.startsWith('共 120 件')")
    top = page.eval_on_selector_all("#case-table tbody tr",
                                    "rs => rs.map(r => Number(r.dataset.caseId))")
    # the last inserted has the earliest deadline
    assert top[:3] == [ids[-1], ids[-2], ids[-3]]
    assert "sort=deadline" in page.url and "q=" in page.url

    # Search by id, and by the category's name.
    page.fill("#f-q", str(ids[7]))
    page.click("#case-filters button[type=submit]")
    until(page, "() => document.getElementById('case-count').textContent.startsWith('共 1 件')")
    assert page.eval_on_selector_all("#case-table tbody tr",
                                     "rs => rs.map(r => Number(r.dataset.caseId))") \
        == [ids[7]]
    page.fill("#f-q", "乱停乱放")
    page.click("#case-filters button[type=submit]")
    until(page,
          "() => /^共 1[2-9][0-9] 件/.test(document.getElementById('case-count').textContent)")
    page.fill("#f-q", "没有这种案件xyz")
    page.click("#case-filters button[type=submit]")
    until(page, "() => document.getElementById('case-count').textContent === '没有符合条件的案件'")
    assert_accessible(page)


@pytest.mark.browser
def test_list_on_a_phone_is_cards_with_paging(live_server, phone_page, engine):
    many_cases(engine, 60, "电动车乱停")
    page = phone_page
    login(page, live_server, "community_sup", "/cases")
    page.wait_for_selector(".case-card")
    assert page.locator(".case-card").count() == 50 and page.is_hidden("#case-table")
    assert page.evaluate("() => document.documentElement.scrollWidth") <= 390
    page.tap("#page-next")
    until(page, "() => document.getElementById('page-info').textContent.startsWith('第 2 ')")
    assert page.evaluate("() => document.documentElement.scrollWidth") <= 390
    assert_accessible(page)
    screenshot(page, "cases-list-phone")


@pytest.mark.browser
def test_supervisor_extends_merges_and_cancels_with_reasons(live_server, strict_page, client,
                                                            as_user):
    slow = new_case(client, as_user, "小区南门路灯下垃圾堆积", steps=("register", "dispatch"))
    kept = new_case(client, as_user, "南门垃圾（先报）")
    dup = new_case(client, as_user, "南门垃圾（重复）")
    wrong = new_case(client, as_user, "误报：其实已清理")
    page = strict_page
    login(page, live_server, "community_sup", f"/cases/{slow}")
    page.wait_for_selector("#case-actions button[data-action=extend]")
    before = page.inner_text("#case-facts")
    do(page, "extend", lambda p: (p.fill("#action-form input[name=hours]", "16"),
                                  p.fill("#action-form textarea[name=note]", "等待环卫车辆")))
    assert page.inner_text("#case-facts") != before
    assert "延期" in page.inner_text("#case-events li[data-action=extend]")

    # Merge: the form names the case to keep, and asks for a reason and a confirmation.
    page.goto(f"{live_server}/cases/{dup}")
    page.click("#case-actions button[data-action=merge]")
    page.fill("#action-form input[name=into]", str(kept))
    page.fill("#action-form textarea[name=note]", "同一处垃圾")
    page.click("#action-form button[type=submit]")               # not confirmed: nothing is sent
    assert page.is_visible("#action-form") and state_of(page) == "已上报"
    page.check("#action-form input[name=confirm]")
    assert_accessible(page)
    screenshot(page, "case-merge-form")
    page.click("#action-form button[type=submit]")
    page.wait_for_selector("#case-events li[data-action=cancel]")
    assert state_of(page) == "已作废" and f"合并至 {kept}" in page.inner_text("#case-events")

    # Cancel: a reason is required, then a confirmation.
    page.goto(f"{live_server}/cases/{wrong}")
    page.click("#case-actions button[data-action=cancel]")
    page.check("#action-form input[name=confirm]")
    page.click("#action-form button[type=submit]")               # no reason: nothing is sent
    assert page.is_visible("#action-form") and state_of(page) == "已上报"
    page.fill("#action-form textarea[name=note]", "现场核实为误报")
    page.click("#action-form button[type=submit]")
    page.wait_for_selector("#case-events li[data-action=cancel]")
    assert state_of(page) == "已作废" and "现场核实为误报" in page.inner_text("#case-facts")
    assert client.get(f"/api/cases/{wrong}",
                      headers=as_user("street_sup")).get_json()["cancel_reason"] \
        == "现场核实为误报"
