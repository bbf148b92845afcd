"""Issue 14 point 7, the small ones: the coverage distance limit is documented, soak's
help changes nothing, the favicon is ours and linked from every page."""
from __future__ import annotations

import os
import subprocess
from pathlib import Path

import pytest

from ..browser import assert_accessible, screenshot

pytest_plugins = ["tests.browser"]
ROOT = Path(__file__).resolve().parents[2]


def test_the_coverage_distance_limit_is_stated_everywhere(client):
    resp = client.get("/api/coverage?kind=clinic&distance=20001")
    assert resp.status_code == 400
    body = resp.get_json()
    assert body["error"] and "20000" in body["message"] and "district" in body["message"]
    spec = client.get("/openapi.json").get_json()
    params = {p["name"]: p for p in spec["paths"]["/api/coverage"]["get"]["parameters"]}
    assert params["distance"]["schema"]["maximum"] == 20000
    assert "20000" in params["distance"]["description"]
    assert "at most 20000" in (ROOT / "docs" / "facilities.md").read_text()


def _tree_state(path: Path) -> list[tuple[str, int]]:
    return sorted((str(p), p.stat().st_mtime_ns) for p in path.rglob("*") if p.is_dir())


def test_soak_help_changes_nothing():
    site = next((ROOT / ".venv" / "lib").glob("python3*/site-packages"))
    before = _tree_state(site)
    out = subprocess.run([str(ROOT / "scripts" / "soak"), "--help"], capture_output=True,
                         text=True, timeout=60, env={**os.environ, "PIP_NO_INDEX": "1"})
    assert out.returncode == 0, out.stderr
    assert "--minutes" in out.stdout and "[gisapp]" not in out.stderr     # no setup ran
    assert _tree_state(site) == before


def test_the_favicon_is_served(client):
    resp = client.get("/favicon.ico")
    assert resp.status_code == 200 and resp.mimetype == "image/svg+xml"
    assert b"<svg" in resp.data
    for page in ("/", "/login", "/report"):
        html = client.get(page).get_data(as_text=True)
        assert 'rel="icon" href="/static/favicon.svg"' in html, page


@pytest.mark.browser
def test_pages_link_an_icon_that_loads(strict_page, live_server):
    page = strict_page
    page.goto(live_server + "/login")
    href = page.get_attribute("link[rel=icon]", "href")
    status = page.evaluate("async (u) => (await fetch(u)).status", href)
    assert status == 200
    assert page.request.get(live_server + "/favicon.ico").status == 200
    assert_accessible(page)
    screenshot(page, "favicon-login")


@pytest.mark.parametrize("path", ["/api/demands/receipt/%2F0", "/api//ping",
                                  "/api/cases//1", "/api/areas/%2F210204"])
def test_a_doubled_slash_is_an_unknown_address_not_a_redirect(client, path):
    """Found by fresh-seed fuzzing: a receipt code "/0" answered 308 to another URL."""
    resp = client.get(path)
    assert resp.status_code == 404 and resp.get_json()["error"], (path, resp.status_code)


@pytest.mark.parametrize("path", ["/api/cases/{}", "/api/visits/{}/photo", "/api/demands/{}"])
def test_an_id_beyond_bigint_names_nothing(client, as_user, path):
    """Found by fresh-seed fuzzing: /api/cases/<400 nines> reached SQL as numeric (500)."""
    for n in (2**63, 10**400):
        resp = client.get(path.format(n), headers=as_user("admin"))
        assert resp.status_code == 404 and resp.get_json()["error"], (path, n)
    assert client.get(path.format(2**63 - 1), headers=as_user("admin")).status_code < 500
