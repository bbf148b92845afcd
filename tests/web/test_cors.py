"""CORS as Martin and tipg do it (issue 13 point 6): `*` for reads without credentials,
an allow-list for credentialed requests, preflight answered; a page on another origin
reads the public tiles in Chromium."""
from __future__ import annotations

import threading

import pytest
from werkzeug.serving import make_server
from werkzeug.wrappers import Response

from ..accounts.test_accounts import login
from ..browser import assert_accessible, screenshot
from ..wall_support import GRID_WORKER_HOME, close_app, make_app, tile_at, url

pytest_plugins = ["tests.browser"]
LISTED = "http://dashboard.test"
ELSEWHERE = "http://elsewhere.test"
TILE = url("community", *tile_at(*GRID_WORKER_HOME, 12))
PUBLIC_READS = [TILE, "/ogc/collections", "/ogc/collections/grids/items?limit=2",
                "/api/areas/210204001", "/openapi.json"]


@pytest.fixture(scope="module")
def app(db_url):
    app = make_app(db_url, CORS_ORIGINS=f"{LISTED}, http://other.test")
    yield app
    close_app(app)


def acao(resp):
    return resp.headers.get("Access-Control-Allow-Origin")


@pytest.mark.parametrize("path", PUBLIC_READS)
def test_public_reads_are_open_to_every_origin(app, path):
    resp = app.test_client().get(path, headers={"Origin": ELSEWHERE})
    assert resp.status_code == 200
    assert acao(resp) == "*"
    assert "Access-Control-Allow-Credentials" not in resp.headers
    assert "ETag" in resp.headers["Access-Control-Expose-Headers"]


def test_bad_input_is_still_4xx_json_and_readable_elsewhere(app):
    resp = app.test_client().get("/api/areas/12x", headers={"Origin": ELSEWHERE})
    assert resp.status_code == 400 and resp.get_json()["error"]
    assert acao(resp) == "*"


def test_pages_are_not_shared(app):
    resp = app.test_client().get("/", headers={"Origin": ELSEWHERE})
    assert acao(resp) is None


@pytest.mark.parametrize("path", [TILE, "/api/cases?limit=1"])
def test_credentials_from_an_unlisted_origin_get_no_grant(app, as_user, path):
    client = app.test_client()
    resp = client.get(path, headers={**as_user("admin"), "Origin": ELSEWHERE})
    assert resp.status_code == 200
    assert acao(resp) is None and "Access-Control-Allow-Credentials" not in resp.headers
    login(client, "grid_worker")                      # a session cookie: the same
    resp = client.get(path, headers={"Origin": ELSEWHERE})
    assert acao(resp) is None


def test_credentials_from_a_listed_origin_are_granted_to_that_origin(app, as_user):
    resp = app.test_client().get("/api/cases?limit=1",
                                 headers={**as_user("admin"), "Origin": LISTED})
    assert resp.status_code == 200
    assert acao(resp) == LISTED                       # never "*" with credentials
    assert resp.headers["Access-Control-Allow-Credentials"] == "true"
    assert "Origin" in resp.headers.getlist("Vary")


def test_preflight_is_answered(app):
    client = app.test_client()
    ask = {"Access-Control-Request-Method": "GET",
           "Access-Control-Request-Headers": "authorization"}
    anyone = client.options(TILE, headers={"Origin": ELSEWHERE, **ask})
    assert anyone.status_code == 200 and acao(anyone) == "*"
    assert "POST" not in anyone.headers["Access-Control-Allow-Methods"]
    assert "Authorization" not in anyone.headers["Access-Control-Allow-Headers"]
    listed = client.options("/api/cases", headers={"Origin": LISTED, **ask,
                                                    "Access-Control-Request-Method": "POST"})
    assert listed.status_code == 200 and acao(listed) == LISTED
    assert "POST" in listed.headers["Access-Control-Allow-Methods"]
    assert "Authorization" in listed.headers["Access-Control-Allow-Headers"]
    assert listed.headers["Access-Control-Allow-Credentials"] == "true"


# --- in Chromium: a page on another origin --------------------------------------------------

PAGE = """<!doctype html><html lang="zh-CN"><head><meta charset="utf-8">""" \
    """<title>外部看板</title></head>
<body><main><h1>城市看板（另一个来源）</h1><p id="out">加载中</p></main>
<script>
const base = %r;
async function read(path, credentials) {
  try {
    const r = await fetch(base + path, {credentials: credentials});
    const body = await r.arrayBuffer();
    return r.status + ":" + body.byteLength;
  } catch (e) { return "blocked"; }
}
window.results = (async () => {
  const tile = await read(%r, "omit");
  const ogc = await read("/ogc/collections/grids/items?limit=2", "omit");
  const mine = await read("/api/cases?limit=1", "include");
  document.getElementById("out").textContent = "瓦片 " + tile + "，要素 " + ogc;
  return {tile, ogc, mine};
})();
</script></body></html>"""


@pytest.fixture()
def other_origin(live_server):
    """A second origin (127.0.0.1 on another port) serving one dashboard page."""
    def wsgi(environ, start_response):
        return Response(PAGE % (live_server, TILE), mimetype="text/html")(environ, start_response)
    server = make_server("127.0.0.1", 0, wsgi, threaded=True)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_port}"
    server.shutdown()
    thread.join(timeout=10)
    server.server_close()


@pytest.mark.browser
def test_a_page_on_another_origin_reads_the_public_tiles(strict_page, live_server, other_origin):
    page = strict_page
    # Logged in on the gisapp origin: the cookie goes along with credentials "include",
    # and the other origin is not listed, so that read is refused by the browser.
    # (Then on to a page that loads nothing more, so leaving it cuts no request.)
    page.goto(live_server + "/login?next=/openapi.json")
    page.fill("input[name=username]", "grid_worker")
    page.fill("input[name=password]", "correct-horse-42")
    page.click("button[type=submit]")
    page.wait_for_url(live_server + "/openapi.json")
    page.expect_problem(
        r"(CORS|Access-Control-Allow-Origin).*api/cases|api/cases.*(CORS|net::ERR_FAILED)")
    page.goto(other_origin + "/")
    results = page.evaluate("window.results")
    assert results["tile"].startswith("200:") and int(results["tile"].split(":")[1]) > 0
    assert results["ogc"].startswith("200:")
    assert results["mine"] == "blocked"
    page.wait_for_function("document.getElementById('out').textContent.startsWith('瓦片 200')")
    assert_accessible(page)
    screenshot(page, "cors-other-origin")
