"""A supervisor at the desk with unsaved vertex edits, in Chromium: a click on the
breadcrumbs, a child's 进入 or the top bar used to drop the moved line without a word.
Now the editor asks first; the supervisor stays, saves, and the grids have new versions.

The tiny city (tests/tiny_city.py): community 210204001001 is split at 121.525 into a west
and an east grid; the line they share runs from (121.525, 39.00) to (121.525, 38.95)."""
from __future__ import annotations

import pytest

from ..browser import assert_accessible, screenshot, wait_for_summary
from .test_editor import open_editor
from .test_editor_topology import COMMUNITY, EAST, WEST, drag, has_vertex, ring, versions

pytest_plugins = ["tests.browser"]
STREET = "210204001"


def dialogs_answered(page, accept: bool) -> list[str]:
    """Answer every dialog the page opens (`accept` or not); returns their types as seen."""
    seen: list[str] = []

    def answer(dialog):
        seen.append(dialog.type)
        dialog.accept() if accept else dialog.dismiss()
    page.on("dialog", answer)
    return seen


@pytest.mark.browser
def test_unsaved_edits_are_not_dropped_by_a_stray_click(live_server, strict_page, engine):
    page = strict_page
    open_editor(page, live_server, "community_sup", COMMUNITY)
    page.click("button[data-tool=edit]")
    page.wait_for_selector("#editor-map .ed-node.shared.outer")
    drag(page, (121.525, 39.0), (121.535, 39.0))
    assert has_vertex(ring(page, EAST), 121.535, 39.0, tol=2e-4)
    seen = dialogs_answered(page, accept=False)

    # A click on the street in the breadcrumbs, and on a grid's 进入: asked, and kept.
    page.click(f"#area-crumbs a[data-code='{STREET}']")
    page.click(f"#children-list li[data-code='{WEST}'] a.open")
    page.wait_for_timeout(300)
    assert seen == ["confirm", "confirm"]
    assert page.get_attribute("#editor", "data-area") == COMMUNITY
    assert page.get_attribute("#editor", "data-edited") == f"{WEST} {EAST}"
    # Leaving the page (the top bar's 案件): the browser asks, the supervisor stays.
    page.click("header a[href='/cases']")
    page.wait_for_timeout(500)
    assert seen[-1] == "beforeunload"
    assert page.url.startswith(f"{live_server}/editor")
    assert has_vertex(ring(page, EAST), 121.535, 39.0, tol=2e-4)
    screenshot(page, "editor-walk-edit-kept")
    assert_accessible(page)

    # The edit is saved after all; then the breadcrumbs go on without a question.
    page.click("#mode-save")
    page.wait_for_selector("#preview-box:not([hidden])")
    page.click("#preview-confirm")
    wait_for_summary(page, "() => document.getElementById('editor-message').className",
                     lambda c: "ok" in c)
    assert versions(engine) == {WEST: 2, EAST: 2}
    page.click(f"#area-crumbs a[data-code='{STREET}']")
    wait_for_summary(page, "() => document.getElementById('editor').dataset.area",
                     lambda v: v == STREET)
    assert seen == ["confirm", "confirm", "beforeunload"]
