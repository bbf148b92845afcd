"""Browser test fixtures: the app on a local port, and headless Chromium pages that record
every request they make.

Use them from a test module with ``pytest_plugins = ["tests.browser"]`` (or import the
fixtures), and mark the tests ``@pytest.mark.browser``. Requests to any host other than
127.0.0.1 are recorded and then aborted, so a test sees a leak without sending traffic.
"""
from __future__ import annotations

import json
import re
import shutil
import threading
import time
from contextlib import contextmanager
from pathlib import Path

import pytest
from werkzeug.serving import make_server

CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = ["--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
                 "--disable-background-networking", "--disable-component-update",
                 "--disable-sync"]
LOCAL_SCHEMES = ("data:", "blob:", "about:")
ROOT = Path(__file__).resolve().parent.parent
SCREENS = ROOT / "var" / "screens"
AXE = ROOT / "node_modules" / "axe-core" / "axe.min.js"
PHONE = {"viewport": {"width": 390, "height": 844}, "device_scale_factor": 2,
         "is_mobile": True, "has_touch": True}
DESKTOP = {"viewport": {"width": 1280, "height": 800}}


@pytest.fixture(scope="module")
def live_server(app):
    """The `app` fixture's Flask app served on 127.0.0.1 in a thread; yields its base URL."""
    with serve(app) as base:
        yield base


@contextmanager
def serve(app):
    """A Flask app served on 127.0.0.1 in a thread while the block runs: its base URL."""
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


# --- Pages that fail on any error ------------------------------------------------------
#
# A browser test does a user's whole task; whatever goes wrong on the way (an uncaught
# error, a console error, a request that fails or answers 4xx/5xx) fails it, unless the
# test names that exact problem as expected with `page.expect_problem(pattern)`: a
# refusal the test provokes on purpose, or requests cut while the test is offline.


class Problems:
    """What went wrong on one page: console errors, page errors, failed requests."""

    def __init__(self):
        self.seen: list[str] = []
        self.expected: list[re.Pattern] = []

    def add(self, what: str) -> None:
        self.seen.append(what)

    def expect(self, pattern: str) -> None:
        """Tolerate problems whose description matches `pattern` (a regex)."""
        self.expected.append(re.compile(pattern))

    def unexpected(self) -> list[str]:
        return [p for p in self.seen if not any(e.search(p) for e in self.expected)]


def _watch(context, page) -> Problems:
    problems = Problems()
    page.requests_seen, page.console_seen, page.errors_seen = [], [], []
    context.on("request", lambda req: page.requests_seen.append(req.url))
    context.on("requestfailed", lambda req: _failed(problems, req))
    context.on("response", lambda res: res.status >= 400 and problems.add(
        f"HTTP {res.status}: {res.request.method} {res.url}"))
    page.on("console", lambda msg: _console(page, problems, msg))
    page.on("pageerror", lambda exc: (page.errors_seen.append(str(exc)),
                                      problems.add(f"page error: {exc}")))
    page.expect_problem = problems.expect
    page.problems = problems
    return problems


def _failed(problems: Problems, req) -> None:
    # net::ERR_ABORTED is a request the page itself cancelled: a map dropping the tiles of
    # a zoom it has left, or a navigation ending the last page's fetches. Nothing failed.
    if req.failure != "net::ERR_ABORTED":
        problems.add(f"request failed: {req.method} {req.url} ({req.failure})")


def _console(page, problems: Problems, msg) -> None:
    page.console_seen.append((msg.type, msg.text))
    # "Failed to load resource" repeats a response or request failure recorded already,
    # with its method and URL; one record per problem keeps expect_problem simple.
    if msg.type == "error" and not msg.text.startswith("Failed to load resource"):
        problems.add(f"console error: {msg.text} at {msg.location.get('url', '')}")


def _strict_page(chromium, options: dict):
    context = chromium.new_context(**{"locale": "zh-CN", "service_workers": "allow", **options})
    page = context.new_page()
    problems = _watch(context, page)
    context.route("**/*", _local_only)
    return context, page, problems


def _assert_clean(problems: Problems) -> None:
    bad = problems.unexpected()
    assert not bad, "the page had problems:\n  " + "\n  ".join(bad[:20])


@pytest.fixture()
def strict_page(open_context):
    """A desktop-sized page (1280×800) that fails the test on any console error, page
    error or failed request not declared with `page.expect_problem(regex)`."""
    return open_context(DESKTOP)


@pytest.fixture()
def phone_page(open_context):
    """A phone-sized page (390×844, touch) with the same rules as `strict_page`."""
    return open_context(PHONE)


@pytest.fixture()
def open_context(chromium):
    """A factory of extra strict pages (another person, another device) for one test:
    `open_context(PHONE)` returns a page; every page is checked at the end."""
    opened = []

    def make(options: dict | None = None):
        context, page, problems = _strict_page(chromium, options or DESKTOP)
        opened.append((context, problems))
        return page

    yield make
    for context, _ in opened:
        context.close()
    for _, problems in opened:
        _assert_clean(problems)


def screenshot(page, name: str) -> Path:
    """Save a full-page screenshot to var/screens/NAME.png for a person to review."""
    SCREENS.mkdir(parents=True, exist_ok=True)
    path = SCREENS / f"{name}.png"
    page.screenshot(path=str(path), full_page=True)
    return path


AXE_RUN = """async (selector) => {
  const result = await axe.run(selector ? document.querySelector(selector) : document,
    {runOnly: {type: 'tag', values: ['wcag2a', 'wcag2aa', 'wcag21a', 'wcag21aa']}});
  return result.violations
    .filter(v => v.impact === 'serious' || v.impact === 'critical')
    .map(v => ({id: v.id, impact: v.impact, help: v.help,
                nodes: v.nodes.slice(0, 5).map(n => n.target.join(' '))}));
}"""


def axe_violations(page, selector: str | None = None) -> list[dict]:
    """Serious and critical WCAG 2 A/AA violations that axe-core finds on the page.

    axe is evaluated through the DevTools protocol, outside the page's Content Security
    Policy, so the page is tested exactly as served."""
    if not page.evaluate("typeof window.axe !== 'undefined'"):
        page.evaluate(AXE.read_text(encoding="utf-8") + "\n;true")
    return page.evaluate(AXE_RUN, selector)


def assert_accessible(page, selector: str | None = None) -> None:
    """Fail on serious or critical WCAG 2 A/AA violations (axe-core)."""
    found = axe_violations(page, selector)
    assert not found, "axe-core violations:\n" + json.dumps(found, ensure_ascii=False, indent=1)
