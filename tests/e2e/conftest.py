"""Browser fixtures (DESIGN.md §8): the session app served by waitress on 127.0.0.1 and
Debian's Chromium driven by Playwright. Everything here skips, with the reason, when no
Chromium or no Playwright is installed."""

from __future__ import annotations

import importlib.util
import os
import shutil
from dataclasses import dataclass, field

import pytest

CHROMIUM_ARGS = [
    "--no-sandbox", "--disable-gpu", "--disable-background-networking", "--disable-component-update",
    "--disable-sync", "--no-first-run", "--disable-quic",
]
SCREENS = "/tmp/screens"
CSP_MARKERS = ("Content Security Policy", "Refused to")


def chromium_path() -> str | None:
    if os.path.exists("/usr/bin/chromium"):
        return "/usr/bin/chromium"
    return shutil.which("chromium")


def why_no_browser() -> str | None:
    """The reason the browser tests cannot run here, or None. CI installs Chromium, so
    there a missing browser is a failure, not a skip."""
    reason = None
    if importlib.util.find_spec("playwright") is None:
        reason = "browser tests need the playwright Python package (pip install playwright)"
    elif chromium_path() is None:
        reason = "browser tests need Chromium at /usr/bin/chromium or on PATH (apt-get install chromium)"
    if reason and os.environ.get("CI"):
        pytest.fail(f"CI must run the browser tests: {reason}")
    return reason


@pytest.fixture
def live_server(app):
    """The session app on a free port of 127.0.0.1, with CSRF on as in production."""
    if why_no_browser():
        pytest.skip(why_no_browser())
    from tests.conftest import served_in_thread

    saved = {key: app.config.get(key) for key in ("SERVER_NAME", "WTF_CSRF_ENABLED")}
    app.config["SERVER_NAME"] = None  # otherwise Flask answers 404 for 127.0.0.1
    app.config["WTF_CSRF_ENABLED"] = True
    try:
        with served_in_thread(app) as port:
            yield f"http://127.0.0.1:{port}"
    finally:
        app.config.update(saved)


@pytest.fixture(scope="session")
def browser():
    reason = why_no_browser()
    if reason:
        pytest.skip(reason)
    from playwright.sync_api import sync_playwright

    with sync_playwright() as p:
        chromium = p.chromium.launch(executable_path=chromium_path(), args=CHROMIUM_ARGS)
        try:
            yield chromium
        finally:
            chromium.close()


# Runs before any page script and is not subject to the page's CSP (it is injected by
# the browser): turns every CSP violation into a console message the fixture sees.
_CSP_LISTENER = """
document.addEventListener('securitypolicyviolation', function (e) {
  console.error('Content Security Policy violation: ' + e.violatedDirective + ' blocked ' +
                (e.blockedURI || 'inline') + ' at ' + e.sourceFile + ':' + e.lineNumber);
});
"""


@dataclass
class Watched:
    """A Playwright context and page plus what the page reported."""

    context: object = field(repr=False)
    page: object = field(repr=False)
    base_url: str
    console: list[str] = field(default_factory=list)
    errors: list[str] = field(default_factory=list)
    reported: int = 0

    def problems(self) -> list[str]:
        bad = [m for m in self.console if any(marker in m for marker in CSP_MARKERS)]
        return bad + [f"page error: {e}" for e in self.errors]

    def new_problems(self) -> list[str]:
        """Problems not yet reported; marks them reported."""
        problems = self.problems()
        fresh, self.reported = problems[self.reported:], len(problems)
        return fresh

    def new_page(self):
        page = self.context.new_page()
        _watch(page, self)
        return page


def _watch(page, watched: Watched) -> None:
    def on_console(msg) -> None:
        where = (msg.location or {}).get("url", "")
        watched.console.append(f"[{msg.type}] {msg.text} ({where})")

    page.on("console", on_console)
    page.on("pageerror", lambda err: watched.errors.append(str(err)))


@pytest.fixture
def browsing(browser, live_server):
    """A fresh browser context (1024×768, zh-CN) and page; the test fails on any CSP
    violation in the console and on any uncaught page error."""
    context = browser.new_context(viewport={"width": 1024, "height": 768}, locale="zh-CN",
                                  base_url=live_server, timezone_id="Asia/Shanghai")
    context.set_default_timeout(5000)
    context.add_init_script(_CSP_LISTENER)
    page = context.new_page()
    watched = Watched(context, page, live_server)
    _watch(page, watched)
    yield watched
    context.close()
    _fail_on_problems(watched)  # anything the page reported after the test body


def _fail_on_problems(watched: Watched) -> None:
    problems = watched.new_problems()
    if problems:
        pytest.fail("The browser reported problems:\n" + "\n".join(problems), pytrace=False)


@pytest.hookimpl(wrapper=True)
def pytest_runtest_call(item):
    """Report CSP violations and page errors as the test's own failure."""
    result = yield
    watched = getattr(item, "funcargs", {}).get("browsing")
    if isinstance(watched, Watched):
        _fail_on_problems(watched)
    return result


@pytest.fixture
def page(browsing):
    return browsing.page
