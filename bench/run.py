"""Measure SchoolHQ against a generated school (bench/generate.py), per DESIGN.md §9.

    python bench/run.py /tmp/bench.db [--iterations 40] [--duration 10]

(a) In-process, warm: server time (median, p95), response size and SQL queries of the
    main pages and of two htmx writes, and a check that no page's query count grows
    with the rows it shows.
(b) Over HTTP, with the real stack (waitress, 8 threads, session cookie and CSRF header):
    requests per second of a bare "hello" route, an htmx read fragment and htmx writes,
    under 8 concurrent connections (wrk when installed, else Python threads).
(c) The same writes with SCHOOLHQ_SERIALIZE_WRITES=1 and =0, to show what the in-process
    write lock buys on SQLite.
(d) Peak memory (VmHWM) of the serving process under that load.
(e) First page load: the sign-in page and its CSS and JS, gzip-compressed.

The results are printed as markdown and written to bench/results-latest.md.
"""

from __future__ import annotations

import argparse
import gzip
import http.client
import http.cookiejar
import math
import os
import platform
import re
import shutil
import socket
import sqlite3
import statistics
import subprocess
import sys
import tempfile
import threading
import time
import urllib.parse
import urllib.request
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path

from generate import ADMIN_USERNAME, PASSWORD, bench_app

HERE = Path(__file__).resolve().parent
USER_AGENT = "schoolhq-bench"  # Flask-Login's session check hashes it: keep it the same
HX = {"HX-Request": "true"}
FORM = "application/x-www-form-urlencoded"
STATIC_FILES = ["css/app.css", "css/print.css", "js/app.js", "vendor/htmx/htmx.min.js"]
PAGE_MEDIAN_MS, PAGE_P95_MS = 25, 50
SAVE_MEDIAN_MS, SAVE_FRAGMENT_BYTES = 10, 5 * 1024
THROUGHPUT_SHARE, MEMORY_MB, FIRST_LOAD_KB = 0.35, 200, 100


def add_hello(app):
    """A bare route on the real app (its hooks included), the throughput yardstick."""

    def bench_hello():
        return "hello"

    bench_hello.required_permission = ("public",)
    app.add_url_rule("/bench-hello", "bench_hello", bench_hello)
    return app


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


# (a) In-process ------------------------------------------------------------------------

@dataclass
class Sample:
    name: str
    method: str
    path: str
    status: int = 0
    median_ms: float = 0.0
    p95_ms: float = 0.0
    sql_ms: float = 0.0
    queries: int = 0
    query_spread: tuple[int, int] = (0, 0)
    size: int = 0
    gzip_size: int = 0
    kind: str = "page"


class SqlMeter:
    """Counts statements (BEGIN excluded) and the time spent in them, per request."""

    def __init__(self, engine):
        from sqlalchemy import event

        self.count, self.seconds, self._started = 0, 0.0, 0.0
        event.listen(engine, "before_cursor_execute", self._before)
        event.listen(engine, "after_cursor_execute", self._after)

    def reset(self) -> None:
        self.count, self.seconds = 0, 0.0

    def _before(self, _conn, _cursor, statement, *_args):
        if not statement.startswith("BEGIN"):
            self.count += 1
        self._started = time.perf_counter()

    def _after(self, *_args):
        self.seconds += time.perf_counter() - self._started


@dataclass
class Fixture:
    """Ids of real rows the measured pages open."""

    floor_id: int
    person_id: int
    edit_person: dict[str, str]
    notification_id: int
    rare_query: str


def find_fixture(app) -> Fixture:
    from sqlalchemy import func, select

    from schoolhq.core.models import Notification
    from schoolhq.extensions import db
    from schoolhq.people.models import Person
    from schoolhq.places.models import Location

    with app.app_context():
        floor_id = db.session.scalar(select(Location.id).where(
            Location.kind == "floor", Location.archived_at.is_(None)).order_by(Location.id))
        # The person looking after the most places: the fullest detail page.
        person_id = db.session.scalar(
            select(Location.responsible_person_id).where(Location.responsible_person_id.is_not(None))
            .group_by(Location.responsible_person_id).order_by(func.count().desc()))
        other = db.session.scalar(select(Person).where(Person.id != person_id, Person.left_at.is_(None),
                                                       Person.department_id.is_not(None)).order_by(Person.id.desc()))
        note = db.session.scalar(select(func.min(Notification.id)).where(Notification.account_id == 1))
        return Fixture(floor_id, person_id, {
            "name": other.name, "department_id": str(other.department_id), "phone": other.phone,
            "badge_code": other.badge_code or "", "edit_id": str(other.id)}, note, other.pinyin)


def pages(fx: Fixture) -> list[tuple[str, str, dict]]:
    return [
        ("dashboard", "/", {}),
        ("places tree", "/places/", {}),
        ("place detail (a floor)", f"/places/{fx.floor_id}", {}),
        ("people list", "/people/", {}),
        ("people search fragment", "/people/?q=w", HX),
        ("person detail", f"/people/{fx.person_id}", {}),
        ("accounts", "/auth/accounts", {}),
        ("audit trail", "/audit", {}),
        ("audit trail, places", "/audit?area=places", {}),
        ("audit trail, page 2000", "/audit?page=2000", {}),
        ("notifications", "/notifications", {}),
    ]


def edit_fields(fx: Fixture) -> dict[str, str]:
    """The edit form of one person, all but the job title, which each request changes."""
    return {key: value for key, value in fx.edit_person.items() if key != "edit_id"}


#: (page with few rows, page with many rows): their query counts must be equal
GROWTH_PAIRS = [
    ("/people/?q={rare}", "/people/"),
    ("/places/?unassigned=1", "/places/"),
    ("/auth/accounts?q=" + ADMIN_USERNAME, "/auth/accounts"),
    ("/audit?area=core&day_from=2999-01-01", "/audit"),
]


def measure_in_process(db_path: Path, iterations: int) -> tuple[list[Sample], list[tuple], Fixture]:
    from schoolhq.extensions import db

    app = add_hello(bench_app(db_path))
    fx = find_fixture(app)
    with app.app_context():
        meter = SqlMeter(db.engine)
    client = app.test_client()
    client.environ_base["HTTP_USER_AGENT"] = USER_AGENT
    token = csrf_of(client.get("/auth/login").get_data(as_text=True))
    signed_in = client.post("/auth/login", data={"username": ADMIN_USERNAME, "password": PASSWORD,
                                                  "next": ""}, headers={"X-CSRFToken": token})
    if signed_in.status_code != 303:
        raise SystemExit(f"sign-in failed in-process: {signed_in.status_code}")
    token = csrf_of(client.get("/").get_data(as_text=True))

    def timed(name, method, path, headers, body_of=None, kind="page") -> Sample:
        sample = Sample(name, method, path, kind=kind)
        times, sql, counts = [], [], []
        for n in range(iterations + 3):  # three to warm templates and caches
            meter.reset()
            started = time.perf_counter()
            if method == "GET":
                response = client.get(path, headers=headers)
            else:
                response = client.post(path, data=body_of(n), headers={**headers, "X-CSRFToken": token})
            elapsed = time.perf_counter() - started
            if n >= 3:
                times.append(elapsed * 1000)
                sql.append(meter.seconds * 1000)
                counts.append(meter.count)
        body = response.get_data()
        sample.status, sample.size, sample.gzip_size = response.status_code, len(body), len(gzip.compress(body))
        sample.median_ms, sample.p95_ms = statistics.median(times), percentile(times, 0.95)
        sample.sql_ms, sample.queries = statistics.median(sql), max(counts)
        sample.query_spread = (min(counts), max(counts))
        return sample

    samples = [timed(name, "GET", path, headers) for name, path, headers in pages(fx)]
    samples.append(timed("mark notification read (htmx)", "POST", "/notifications/read", HX,
                         lambda n: {"id": str(fx.notification_id)}, kind="save"))
    samples.append(timed("edit person (htmx, UPDATE + audit)", "POST",
                         f"/people/{fx.edit_person['edit_id']}/edit", HX,
                         lambda n: edit_fields(fx) | {"job_title": f"inproc-{n}"}, kind="save"))

    growth = []
    for few, many in GROWTH_PAIRS:
        few = few.format(rare=fx.rare_query)
        counts = []
        for path in (few, many):
            meter.reset()
            client.get(path)
            counts.append(meter.count)
        growth.append((few, counts[0], many, counts[1]))
    with app.app_context():
        db.engine.dispose()
    return samples, growth, fx


# (b)-(d) Over HTTP ---------------------------------------------------------------------

def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


class Server:
    """A waitress process (8 threads) serving the bench app, started by this script."""

    def __init__(self, db_path: Path, serialize_writes: bool):
        self.port = free_port()
        self.base = f"http://127.0.0.1:{self.port}"
        self.log = tempfile.NamedTemporaryFile(prefix="schoolhq-bench-server-", suffix=".log", delete=False)
        env = {**os.environ, "SCHOOLHQ_SERIALIZE_WRITES": "1" if serialize_writes else "0"}
        self.process = subprocess.Popen(
            [sys.executable, __file__, "--serve", str(db_path), "--port", str(self.port)],
            env=env, stdout=self.log, stderr=subprocess.STDOUT)

    def __enter__(self) -> Server:
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise SystemExit(f"the bench server exited; see {self.log.name}")
            try:
                with urllib.request.urlopen(self.base + "/health", timeout=2) as response:
                    if response.status == 200:
                        return self
            except OSError:
                time.sleep(0.2)
        raise SystemExit(f"the bench server did not start; see {self.log.name}")

    def __exit__(self, *_exc) -> None:
        self.process.terminate()
        try:
            self.process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            self.process.kill()
            self.process.wait()

    def memory_mb(self) -> dict[str, float]:
        """VmHWM (peak resident set) and VmRSS of the server, in MB (Linux only)."""
        values = {}
        try:
            for line in Path(f"/proc/{self.process.pid}/status").read_text().splitlines():
                key, _, rest = line.partition(":")
                if key in ("VmHWM", "VmRSS"):
                    values[key] = int(rest.split()[0]) / 1024
        except OSError:
            pass
        return values


def serve(db_path: Path, port: int) -> None:
    """The child process: the real app plus the hello route, under waitress."""
    import waitress

    app = add_hello(bench_app(db_path))
    server = waitress.create_server(app, host="127.0.0.1", port=port, threads=8, ident="SchoolHQ")
    server.run()


def sign_in(base: str) -> dict[str, str]:
    """Sign in through the real stack; returns the headers a signed-in htmx client sends."""
    jar = http.cookiejar.CookieJar()
    opener = urllib.request.build_opener(urllib.request.HTTPCookieProcessor(jar))
    opener.addheaders = [("User-Agent", USER_AGENT)]
    with opener.open(base + "/auth/login") as response:
        token = csrf_of(response.read().decode())
    form = urllib.parse.urlencode({"username": ADMIN_USERNAME, "password": PASSWORD, "next": ""}).encode()
    request = urllib.request.Request(base + "/auth/login", data=form, headers={"X-CSRFToken": token})
    with opener.open(request) as response:  # 303 to the dashboard, followed
        if urllib.parse.urlparse(response.url).path != "/":
            raise SystemExit("sign-in over HTTP failed")
        token = csrf_of(response.read().decode())
    cookie = "; ".join(f"{c.name}={c.value}" for c in jar)
    return {"Cookie": cookie, "User-Agent": USER_AGENT, "X-CSRFToken": token}


@dataclass
class Load:
    name: str
    method: str
    path: str
    headers: dict[str, str] = field(default_factory=dict)
    body: str = ""
    #: a form field given a new value on every request, so every request really writes
    unique_field: str = ""


@dataclass
class LoadResult:
    load: Load
    serialize: bool
    rps: float
    p50_ms: float
    p99_ms: float
    requests: int
    errors: int
    tool: str


def check_once(base: str, load: Load) -> int:
    """One request before the timed run, so a broken request fails loudly, not fast."""
    connection = http.client.HTTPConnection("127.0.0.1", urllib.parse.urlparse(base).port, timeout=30)
    body = load.body + (f"&{load.unique_field}=check-{time.time_ns()}" if load.unique_field else "")
    connection.request(load.method, load.path, body=body or None, headers=load.headers)
    status = connection.getresponse().status
    connection.close()
    return status


WRK_SCRIPT = """
local counter, threads = 0, 0
function setup(thread) threads = threads + 1; thread:set("tid", threads) end
wrk.method = "{method}"
wrk.body = "{body}"
request = function()
  if "{unique}" == "" then return wrk.format() end
  counter = counter + 1
  return wrk.format(nil, nil, nil, "{body}&{unique}=wrk-" .. tid .. "-" .. counter)
end
"""


def _wrk_seconds(text: str) -> float:
    value, unit = re.fullmatch(r"([\d.]+)(us|ms|s|m)", text).groups()
    return float(value) * {"us": 1e-6, "ms": 1e-3, "s": 1.0, "m": 60.0}[unit]


def run_wrk(base: str, load: Load, duration: int, connections: int) -> tuple[float, float, float, int, int]:
    with tempfile.NamedTemporaryFile("w", suffix=".lua", delete=False) as script:
        script.write(WRK_SCRIPT.format(method=load.method, body=load.body, unique=load.unique_field))
    command = ["wrk", "-t1", f"-c{connections}", f"-d{duration}s", "--latency", "-s", script.name]
    for key, value in load.headers.items():
        command += ["-H", f"{key}: {value}"]
    output = subprocess.run(command + [base + load.path], capture_output=True, text=True,
                            timeout=duration + 60).stdout
    os.unlink(script.name)
    rps = float(re.search(r"Requests/sec:\s+([\d.]+)", output).group(1))
    requests = int(re.search(r"(\d+) requests in", output).group(1))
    errors = int((re.search(r"Non-2xx or 3xx responses: (\d+)", output) or [0, 0])[1])
    socket_errors = re.search(r"Socket errors: connect (\d+), read (\d+), write (\d+), timeout (\d+)", output)
    errors += sum(int(n) for n in socket_errors.groups()) if socket_errors else 0
    p50 = _wrk_seconds(re.search(r"\s50%\s+(\S+)", output).group(1)) * 1000
    p99 = _wrk_seconds(re.search(r"\s99%\s+(\S+)", output).group(1)) * 1000
    return rps, p50, p99, requests, errors


def run_threads(base: str, load: Load, duration: int, connections: int) -> tuple[float, float, float, int, int]:
    """The fallback load generator: keep-alive connections, one per thread."""
    port = urllib.parse.urlparse(base).port
    latencies: list[float] = []
    errors = [0]
    lock = threading.Lock()
    deadline = time.perf_counter() + duration

    def worker(number: int) -> None:
        connection = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
        mine, failed, counter = [], 0, 0
        while time.perf_counter() < deadline:
            counter += 1
            body = load.body + (f"&{load.unique_field}=py-{number}-{counter}" if load.unique_field else "")
            started = time.perf_counter()
            try:
                connection.request(load.method, load.path, body=body or None, headers=load.headers)
                response = connection.getresponse()
                response.read()
                failed += response.status >= 400
            except OSError:
                failed += 1
                connection.close()
                connection = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
            mine.append(time.perf_counter() - started)
        with lock:
            latencies.extend(mine)
            errors[0] += failed

    started = time.perf_counter()
    workers = [threading.Thread(target=worker, args=(n,)) for n in range(connections)]
    for worker_thread in workers:
        worker_thread.start()
    for worker_thread in workers:
        worker_thread.join()
    elapsed = time.perf_counter() - started
    return (len(latencies) / elapsed, percentile(latencies, 0.5) * 1000, percentile(latencies, 0.99) * 1000,
            len(latencies), errors[0])


def throughput(server: Server, load: Load, serialize: bool, duration: int) -> LoadResult:
    status = check_once(server.base, load)
    if status >= 400:
        raise SystemExit(f"{load.method} {load.path} answered {status} before the load run")
    tool = "wrk" if shutil.which("wrk") else "python"
    runner = run_wrk if tool == "wrk" else run_threads
    runner(server.base, load, 2, 8)  # warm the server's threads and connections
    rps, p50, p99, requests, errors = runner(server.base, load, duration, 8)
    return LoadResult(load, serialize, rps, p50, p99, requests, errors, tool)


def first_load(base: str) -> list[tuple[str, int, int]]:
    """The sign-in page and every file it loads, raw and gzip-compressed (level 6)."""
    files = [("sign-in page HTML", "/auth/login")] + [(name, "/static/" + name) for name in STATIC_FILES]
    sizes = []
    for label, path in files:
        request = urllib.request.Request(base + path, headers={"User-Agent": USER_AGENT})
        with urllib.request.urlopen(request) as response:
            body = response.read()
        sizes.append((label, len(body), len(gzip.compress(body, compresslevel=6))))
    return sizes


def measure_http(db_path: Path, fx: Fixture, duration: int):
    def loads(headers: dict[str, str]) -> dict[str, Load]:
        post = {**headers, **HX, "Content-Type": FORM}
        edit = urllib.parse.urlencode(edit_fields(fx))
        return {
            "hello": Load("bare hello route", "GET", "/bench-hello", {"User-Agent": USER_AGENT}),
            "read": Load("read: people search fragment", "GET", "/people/?q=w", {**headers, **HX}),
            "note": Load("write: mark notification read", "POST", "/notifications/read", post,
                         f"id={fx.notification_id}"),
            "edit": Load("write: edit person (UPDATE + audit)", "POST",
                         f"/people/{fx.edit_person['edit_id']}/edit", post, edit, "job_title"),
        }

    results, memory = [], {}
    with Server(db_path, serialize_writes=True) as server:
        plan = loads(sign_in(server.base))
        for key in ("hello", "read", "note", "edit"):
            results.append(throughput(server, plan[key], True, duration))
        memory[True] = server.memory_mb()
        sizes = first_load(server.base)
    with Server(db_path, serialize_writes=False) as server:
        plan = loads(sign_in(server.base))
        for key in ("note", "edit"):
            results.append(throughput(server, plan[key], False, duration))
        memory[False] = server.memory_mb()
    return results, memory, sizes


# Report --------------------------------------------------------------------------------

def machine() -> list[str]:
    cpu = next((line.split(":", 1)[1].strip() for line in Path("/proc/cpuinfo").read_text().splitlines()
                if line.startswith("model name")), platform.processor()) if Path("/proc/cpuinfo").exists() else ""
    memory = ""
    if Path("/proc/meminfo").exists():
        kb = int(Path("/proc/meminfo").read_text().split()[1])
        memory = f"{kb / 1024 / 1024:.1f} GiB RAM"
    wrk = subprocess.run(["wrk", "--version"], capture_output=True, text=True).stdout.split("[")[0].strip() \
        if shutil.which("wrk") else "not installed (Python threads load generator)"
    return [
        f"- date: {datetime.now().astimezone():%Y-%m-%d %H:%M %Z}",
        f"- machine: {os.cpu_count()} cores ({cpu}), {memory}, {platform.system()} {platform.release()}",
        f"- Python {platform.python_version()}, SQLite {sqlite3.sqlite_version}, load generator: {wrk}",
    ]


def yes(ok: bool) -> str:
    return "yes" if ok else "**no**"


def report(db_path: Path, iterations: int, duration: int, samples, growth, http_results) -> str:
    with sqlite3.connect(db_path) as conn:
        tables = [row[0] for row in conn.execute(
            "SELECT name FROM sqlite_master WHERE type='table' AND name NOT LIKE 'sqlite_%' ORDER BY name")]
        counts = {t: conn.execute(f'SELECT count(*) FROM "{t}"').fetchone()[0] for t in tables}
    big = ", ".join(f"{t} {n:,}" for t, n in counts.items() if n >= 50)
    lines = ["# SchoolHQ benchmark results", "", *machine(),
             f"- database: {db_path.stat().st_size / 1e6:.0f} MB; {big}", ""]

    lines += [f"## (a) Server time in-process, warm ({iterations} requests each, signed in as admin)", "",
              "| page | path | status | median ms | p95 ms | SQL ms (median) | queries | bytes | gzip bytes | target met |",
              "|---|---|---|---|---|---|---|---|---|---|"]
    for s in samples:
        if s.kind == "page":
            ok = s.median_ms < PAGE_MEDIAN_MS and s.p95_ms < PAGE_P95_MS
        else:
            ok = s.median_ms < SAVE_MEDIAN_MS and s.size < SAVE_FRAGMENT_BYTES
        queries = str(s.queries) if s.query_spread[0] == s.query_spread[1] else "%d–%d" % s.query_spread
        lines.append(f"| {s.name} | `{s.method} {s.path}` | {s.status} | {s.median_ms:.1f} | {s.p95_ms:.1f} | "
                     f"{s.sql_ms:.1f} | {queries} | {s.size:,} | {s.gzip_size:,} | {yes(ok)} |")
    lines += ["", f"Targets: pages median < {PAGE_MEDIAN_MS} ms and p95 < {PAGE_P95_MS} ms; htmx saves "
              f"median < {SAVE_MEDIAN_MS} ms with a fragment < 5 KB. Queries exclude BEGIN.", "",
              "Query count against rows shown (same page, few rows vs many):", "",
              "| few rows | queries | many rows | queries | grows? |", "|---|---|---|---|---|"]
    for few, few_count, many, many_count in growth:
        grows = "no" if few_count == many_count else "**yes**"
        lines.append(f"| `{few}` | {few_count} | `{many}` | {many_count} | {grows} |")

    results, memory, sizes = http_results
    hello = next(r.rps for r in results if r.load.path == "/bench-hello")
    tool = results[0].tool
    lines += ["", f"## (b) Throughput over HTTP (waitress, 8 threads; {tool}, 8 keep-alive connections, "
              f"{duration} s each)", "",
              "| request | SERIALIZE_WRITES | req/s | ratio to hello | p50 ms | p99 ms | requests | errors |",
              "|---|---|---|---|---|---|---|---|"]
    for r in results:
        lines.append(f"| {r.load.name} (`{r.load.method} {r.load.path}`) | {int(r.serialize)} | {r.rps:,.0f} | "
                     f"{r.rps / hello:.0%} | {r.p50_ms:.1f} | {r.p99_ms:.1f} | {r.requests:,} | {r.errors} |")
    lines += ["", "## (c) The in-process write lock", "",
              "| write | SERIALIZE_WRITES=1 req/s | SERIALIZE_WRITES=0 req/s | 1 vs 0 |", "|---|---|---|---|"]
    for name in {r.load.name: None for r in results if r.load.method == "POST"}:
        on = next(r for r in results if r.load.name == name and r.serialize)
        off = next(r for r in results if r.load.name == name and not r.serialize)
        lines.append(f"| {name} | {on.rps:,.0f} (p99 {on.p99_ms:.0f} ms, {on.errors} errors) | "
                     f"{off.rps:,.0f} (p99 {off.p99_ms:.0f} ms, {off.errors} errors) | "
                     f"{on.rps / off.rps if off.rps else float('inf'):.1f}× |")
    lines += ["", "## (d) Memory of the serving process after its load runs", "",
              "| server | peak RSS (VmHWM) | RSS at the end |", "|---|---|---|"]
    for serialize, values in memory.items():
        lines.append(f"| SERIALIZE_WRITES={int(serialize)} | {values.get('VmHWM', 0):.0f} MB | "
                     f"{values.get('VmRSS', 0):.0f} MB |")
    total_raw, total_gz = sum(s[1] for s in sizes), sum(s[2] for s in sizes)
    lines += ["", "## (e) First page load (sign-in page, as served; gzip level 6)", "",
              "| file | bytes | gzip bytes |", "|---|---|---|"]
    lines += [f"| {label} | {raw:,} | {gz:,} |" for label, raw, gz in sizes]
    lines += [f"| **total** | {total_raw:,} | {total_gz:,} |"]

    pages_ok = all(s.median_ms < PAGE_MEDIAN_MS and s.p95_ms < PAGE_P95_MS for s in samples if s.kind == "page")
    slow = [s.name for s in samples if s.kind == "page" and not (s.median_ms < PAGE_MEDIAN_MS and s.p95_ms < PAGE_P95_MS)]
    saves = [s for s in samples if s.kind == "save"]
    write_share = max(r.rps for r in results if r.load.method == "POST" and r.serialize) / hello
    peak = max(values.get("VmHWM", 0) for values in memory.values())
    lines += ["", "## Targets (DESIGN.md §9)", "", "| measure | target | measured | met |", "|---|---|---|---|",
              f"| pages, server time | median < 25 ms, p95 < 50 ms | "
              f"{'all pages' if pages_ok else 'over: ' + ', '.join(slow)} | {yes(pages_ok)} |"]
    for s in saves:
        lines.append(f"| htmx save: {s.name} | median < 10 ms, fragment < 5 KB | {s.median_ms:.1f} ms, "
                     f"{s.size:,} B | {yes(s.median_ms < SAVE_MEDIAN_MS and s.size < SAVE_FRAGMENT_BYTES)} |")
    lines += [
        "| monthly principal's report | < 0.5 s as HTML | not built yet | — |",
        f"| write throughput vs hello (check-answer save not built yet; best htmx write stands in) | ≥ 35% | "
        f"{write_share:.0%} | {yes(write_share >= THROUGHPUT_SHARE)} |",
        f"| memory of one serving process under load | < {MEMORY_MB} MB | {peak:.0f} MB | {yes(peak < MEMORY_MB)} |",
        f"| first page load, gzip | < {FIRST_LOAD_KB} KB | {total_gz / 1024:.1f} KB | "
        f"{yes(total_gz < FIRST_LOAD_KB * 1024)} |",
        f"| queries do not grow with rows shown | none grows | "
        f"{sum(a != b for _, a, _, b in growth)} of {len(growth)} grow | "
        f"{yes(all(a == b for _, a, _, b in growth))} |",
        "",
    ]
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("db", type=Path, help="a database made by bench/generate.py")
    parser.add_argument("--iterations", type=int, default=40, help="timed requests per page (default 40)")
    parser.add_argument("--duration", type=int, default=10, help="seconds per throughput run (default 10)")
    parser.add_argument("--out", type=Path, default=HERE / "results-latest.md")
    parser.add_argument("--serve", action="store_true", help=argparse.SUPPRESS)
    parser.add_argument("--port", type=int, help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.serve:
        serve(args.db, args.port)
        return
    if not args.db.exists():
        raise SystemExit(f"{args.db} does not exist; run bench/generate.py first")
    started = time.perf_counter()
    print("(a) in-process pages ...", flush=True)
    samples, growth, fx = measure_in_process(args.db, args.iterations)
    print("(b)-(e) over HTTP ...", flush=True)
    http_results = measure_http(args.db, fx, args.duration)
    text = report(args.db, args.iterations, args.duration, samples, growth, http_results)
    print(text)
    args.out.write_text(text)
    print(f"Written to {args.out} in {time.perf_counter() - started:.0f} s")


if __name__ == "__main__":
    main()
