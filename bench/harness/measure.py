"""The in-process measuring tools: a signed-in test client, the SQL statement counter,
the samples, and the fixture each area's measures fill with the rows their pages open."""

from __future__ import annotations

import math
import re
import time
from dataclasses import dataclass
from types import SimpleNamespace

from harness import PASSWORD

USER_AGENT = "schoolhq-bench"  # Flask-Login's session check hashes it: keep it the same
HX = {"HX-Request": "true"}
FORM = "application/x-www-form-urlencoded"


def csrf_of(html: str) -> str:
    """The token every page puts in <body hx-headers> (and in its forms)."""
    found = re.search(r'"X-CSRFToken": "([^"]+)"', html) or re.search(
        r'name="csrf_token"[^>]*?value="([^"]+)"', html)
    if not found:
        raise SystemExit("no CSRF token in the page")
    return found.group(1)


def percentile(values: list[float], share: float) -> float:
    ordered = sorted(values)
    return ordered[max(0, math.ceil(share * len(ordered)) - 1)]


@dataclass
class Sample:
    name: str
    method: str
    path: str
    status: int = 0
    median_ms: float = 0.0
    p95_ms: float = 0.0
    cpu_ms: float = 0.0
    queries: int = 0
    query_spread: tuple[int, int] = (0, 0)
    size: int = 0
    gzip_size: int = 0
    kind: str = "page"


class QueryCounter:
    """Counts the SQL statements a request sends: not BEGIN, and not the process cache's
    stamp, which a process reads again at most once a second (core/process_cache.py), so
    whether a request pays it depends on the clock, not on the page."""

    def __init__(self, engine):
        from sqlalchemy import event

        self.count = 0
        event.listen(engine, "before_cursor_execute", self._before)

    def _before(self, _conn, _cursor, statement, parameters, *_args):
        if statement.startswith("BEGIN") or (statement.startswith("SELECT counter.value")
                                             and "process_cache" in str(parameters)):
            return
        self.count += 1



class Fixture(SimpleNamespace):
    """Ids of real rows the measured pages open: each area's `find(fx)` adds its own."""


def sign_in_as(app, username: str):
    """A test client signed in as `username` (every generated account has PASSWORD), and
    the CSRF token its pages carry."""
    client = app.test_client()
    client.environ_base["HTTP_USER_AGENT"] = USER_AGENT
    token = csrf_of(client.get("/auth/login").get_data(as_text=True))
    signed_in = client.post("/auth/login", data={"username": username, "password": PASSWORD, "next": ""},
                            headers={"X-CSRFToken": token})
    if signed_in.status_code != 303:
        raise SystemExit(f"sign-in as {username} failed in-process: {signed_in.status_code}")
    return client, csrf_of(client.get("/").get_data(as_text=True))


def freeze_heap() -> None:
    """What `schoolhq serve` and wsgi.py do once the app is loaded: everything alive now
    stays out of the collector's full passes."""
    import gc

    gc.collect()
    gc.freeze()


def full_collection() -> tuple[int, float, int]:
    """Objects the garbage collector tracks, how long one full collection takes (the
    collector runs one now and then inside some request, which shows up in p95), and
    how many objects gc.freeze() put out of its reach at start."""
    import gc

    tracked = len(gc.get_objects())
    started = time.perf_counter()
    gc.collect()
    return tracked, (time.perf_counter() - started) * 1000, gc.get_freeze_count()
