"""Browser test fixtures: the app on a local port, and headless Chromium pages that record
every request they make.

Use them from a test module with ``pytest_plugins = ["tests.browser"]`` (or import the
fixtures), and mark the tests ``@pytest.mark.browser``. Requests to any host other than
127.0.0.1 are recorded and then aborted, so a test sees a leak without sending traffic.
"""
from __future__ import annotations

import shutil
import threading
import time

import pytest
from werkzeug.serving import make_server

CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = ["--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
                 "--disable-background-networking", "--disable-component-update",
                 "--disable-sync"]
LOCAL_SCHEMES = ("data:", "blob:", "about:")


@pytest.fixture(scope="module")
def live_server(app):
    """The `app` fixture's Flask app served on 127.0.0.1 in a thread; yields its base URL."""
    server = make_server("127.0.0.1", 0, app, threaded=True)
    thread = threading.Thread(target=server.serve_forever, name="live-server", daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_port}"
    finally:
        server.shutdown()
        thread.join(timeout=10)
        server.server_close()


@pytest.fixture(scope="session")
def chromium():
    """One headless Chromium (Debian's) for the session; pages get fresh contexts."""
    sync_api = pytest.importorskip("playwright.sync_api")
    if shutil.which(CHROMIUM) is None:
        pytest.skip(f"{CHROMIUM} is not installed (apt-get install chromium)")
    with sync_api.sync_playwright() as pw:
        browser = pw.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS, headless=True)
        yield browser
        browser.close()


@pytest.fixture()
def browser_page(chromium):
    """A page in a fresh context; `page.requests_seen` lists every URL it asked for,
    `page.console_seen` every console message as (type, text), `page.errors_seen`
    every uncaught script error."""
    context = chromium.new_context(viewport={"width": 1280, "height": 800}, locale="zh-CN")
    page = context.new_page()
    page.requests_seen, page.console_seen, page.errors_seen = [], [], []
    context.on("request", lambda req: page.requests_seen.append(req.url))
    page.on("console", lambda msg: page.console_seen.append((msg.type, msg.text)))
    page.on("pageerror", lambda exc: page.errors_seen.append(str(exc)))
    context.route("**/*", _local_only)
    yield page
    context.close()


def _local_only(route):
    """Let requests to this machine through; abort the rest (they are recorded all the same)."""
    if is_local(route.request.url):
        route.continue_()
    else:
        route.abort("blockedbyclient")


def is_local(url: str) -> bool:
    """Whether a URL stays on this machine's loopback address (or in the page itself)."""
    return url.startswith(("http://127.0.0.1:", "http://127.0.0.1/") + LOCAL_SCHEMES)


def foreign_requests(page, base_url: str) -> list[str]:
    """Requests the page made anywhere but `base_url` (data: and blob: URLs are fine)."""
    prefix = base_url.rstrip("/") + "/"
    return [u for u in page.requests_seen if not u.startswith((prefix,) + LOCAL_SCHEMES)]


def csp_violations(page) -> list[str]:
    """Console messages that report a Content Security Policy violation."""
    return [text for _, text in page.console_seen if "Content Security Policy" in text]


def wait_for_summary(page, expression: str, ready, timeout: float = 15.0):
    """Poll `expression` in the page until `ready(value)` holds; return the value.

    Playwright's wait_for_function evaluates its predicate with eval(), which the
    page's Content Security Policy (no 'unsafe-eval') rightly forbids; page.evaluate
    runs outside the page's policy, so polling from here tests the page as served.
    """
    deadline = time.monotonic() + timeout
    while True:
        value = page.evaluate(expression)
        if value and ready(value):
            return value
        if time.monotonic() > deadline:
            raise AssertionError(f"page never became ready; last value: {value!r}")
        page.wait_for_timeout(100)
