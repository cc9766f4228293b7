"""Measure SchoolHQ against a generated school (bench/generate.py), per DESIGN.md §9.

    python bench/run.py /tmp/bench.db [--iterations 40] [--duration 10]

(a) In-process, warm: server time (median, p95), response size and SQL queries of the
    main pages (the asset register, detail, card, loans, "my items", a QR label; the stock
    list, the longest item ledger, a requisition, the window, a count sheet, the stock
    reports; the repairs queue as a maintenance worker, the ticket lists, a ticket and the
    plans as the logistics head; my checks today and two rounds as the canteen manager, the
    checks oversight, findings, ledgers, templates and schedules as the logistics head; the
    canteen's morning check, food samples, menu, roster, goods receiving (the day's
    deliveries, a delivery, the receiving form, the suppliers) and monthly ledgers as the
    canteen manager; the hazard register (the lists, a hazard, the month's 台账) and the
    drinking water (the points, a point, a lab report and its form, the month's hygiene
    archive) as the logistics head), of the saves (the lending and returns desks' scans,
    the counter issue, a count line, the ticket status changes, the check-answer save, the
    canteen's morning check, food sample and a delivery received, a water lab report among
    them) and of the printable reports (the asset reports, the monthly repair summary, the
    checks compliance, the XLSX ledgers); a check that no
    page's query count grows with the rows it shows; the tag lookup (`resolve_tag`) alone.
    It runs on the real clock on any day: on a day without school the checks pages use the
    latest school day's rounds, which the checks builder leaves open (bench/README.md, "Any
    day").
    `--only TEXT` runs this part alone, for the paths containing TEXT.
(b) Over HTTP, with the real stack (waitress with 8 threads as `schoolhq serve` has, the
    session cookie and the CSRF header): requests per second of a bare "hello" route, an
    htmx read fragment, htmx writes, the desk scan and the check-answer save (as the canteen
    manager), under 8 concurrent connections (wrk when
    installed, else Python threads), and the server's CPU per request.
(c) The same writes with SCHOOLHQ_SERIALIZE_WRITES=1 and =0, to show what the in-process
    write lock buys on SQLite.
(d) Peak memory (VmHWM) of the serving process under that load, and after one export of
    the whole asset register (the heaviest request a school makes now and then).
(e) First page load: the sign-in page and its CSS and JS, gzip-compressed.

The results are printed as markdown and written to bench/results-latest.md.
"""

from __future__ import annotations

import argparse
import gzip
import shutil
import sqlite3
import statistics
import tempfile
import time
import urllib.parse
from pathlib import Path

from harness import ADMIN_USERNAME, BENCH, area_modules, bench_app
from harness.http import Load, Server, first_load, get_once, sign_in, throughput
from harness.measure import (
    FORM,
    HX,
    USER_AGENT,
    Fixture,
    QueryCounter,
    Sample,
    freeze_heap,
    full_collection,
    percentile,
    sign_in_as,
)
from harness.report import (
    ANSWERED,
    REPORT_ITERATIONS,
    busy_share,
    cpu_yardstick,
    header,
    in_process_section,
    report,
    throughput_section,
)
from measures.assets import EXPORT_PATH, REPORT_PATHS, tag_lookups
from measures.checks import READINGS, answer_path
from measures.school import edit_fields


def add_bench_routes(app):
    """Three routes on the real app, so its hooks run too: a bare "hello", the throughput
    yardstick; a minimal write (one UPDATE through the app's write path: write lock,
    BEGIN IMMEDIATE, CSRF, commit after the response), the endpoint the write lock was
    made for; and a signed-in no-op POST (the same write path, the signed-in account
    loaded and checked, and nothing else): what every signed-in save pays before its own
    work, so a save's own cost is the difference. None exists outside the benchmark."""
    from sqlalchemy import text

    from schoolhq.core.permissions import permission_required
    from schoolhq.extensions import db

    def bench_hello():
        return "hello"

    def bench_write():
        db.session.execute(text("UPDATE bench_counter SET n = n + 1 WHERE id = 1"))
        return "ok"

    @permission_required()
    def bench_noop():
        return "ok"

    for view in (bench_hello, bench_write):
        view.required_permission = ("public",)
    app.add_url_rule("/bench-hello", "bench_hello", bench_hello)
    app.add_url_rule("/bench-write", "bench_write", bench_write, methods=["POST"])
    app.add_url_rule("/bench-noop", "bench_noop", bench_noop, methods=["POST"])
    return app


def find_fixture(app) -> tuple[Fixture, list]:
    """The rows the measured pages open, and the areas' measures that found theirs (an
    area without rows is left out)."""
    fx = Fixture()
    with app.app_context():
        measured = [measures for measures in area_modules("measures") if measures.find(fx)]
    return fx, measured


def measure_in_process(db_path: Path, iterations: int, only: list[str] | None = None):
    from schoolhq.extensions import db

    app = add_bench_routes(bench_app(db_path))
    fx, measured = find_fixture(app)
    freeze_heap()  # as the serving process does
    with app.app_context():
        meter = QueryCounter(db.engine)
    client, token = sign_in_as(app, ADMIN_USERNAME)
    # rows the pages need that the run makes through the app (on the working copy)
    for measures in measured:
        if hasattr(measures, "before_pages"):
            measures.before_pages(client, token, fx)
    #: Fixture field naming a username -> (client signed in as it, its CSRF token)
    clients: dict[str, tuple] = {}

    def client_for(who: str | None):
        if not who:
            return client, token
        if who not in clients:
            clients[who] = sign_in_as(app, getattr(fx, who))
        return clients[who]

    def timed(name, method, path, headers, body_of=None, kind="page", options=None) -> Sample:
        options = options or {}
        sample = Sample(name, method, path, kind=kind)
        times, cpu, counts = [], [], []
        warm, repeat = (1, REPORT_ITERATIONS) if kind == "report" else (3, iterations)
        user, user_token = client_for(options.get("as"))
        path_of = options.get("path_of") or (lambda n: path)
        for n in range(repeat + warm):  # the first to warm templates and caches
            meter.count = 0
            started, started_cpu = time.perf_counter(), time.thread_time()
            if method == "GET":
                response = user.get(path_of(n), headers=headers)
            else:
                response = user.post(path_of(n), data=body_of(n), headers={**headers, "X-CSRFToken": user_token})
            elapsed, elapsed_cpu = time.perf_counter() - started, time.thread_time() - started_cpu
            if n >= warm:
                times.append(elapsed * 1000)
                cpu.append(elapsed_cpu * 1000)
                counts.append(meter.count)
        body = response.get_data()
        sample.status, sample.size, sample.gzip_size = response.status_code, len(body), len(gzip.compress(body))
        sample.median_ms, sample.p95_ms = statistics.median(times), percentile(times, 0.95)
        sample.cpu_ms, sample.queries = statistics.median(cpu), max(counts)
        sample.query_spread = (min(counts), max(counts))
        return sample

    def chosen(path: str) -> bool:
        return not only or any(part in path for part in only)

    samples = [timed(name, "GET", path, headers, options=(options or [None])[0])
               for measures in measured for name, path, headers, *options in measures.pages(fx) if chosen(path)]
    for measures in measured:
        chosen_saves = [save for save in measures.saves(fx) if chosen(save[1])]
        if chosen_saves and hasattr(measures, "before_saves"):
            # after the pages, so what it makes is not in the pages they time (the worker's queue)
            measures.before_saves(app, fx, iterations + 3)
        samples += [timed(name, "POST", path, headers, body_of, kind="save", options=(options or [None])[0])
                    for name, path, headers, body_of, *options in chosen_saves]
    samples += [timed(name, "GET", path, headers, kind="report", options=(options or [None])[0])
                for measures in measured if hasattr(measures, "reports")
                for name, path, headers, *options in measures.reports(fx) if chosen(path)]

    growth = []
    for few, many, *who in (pair for measures in measured for pair in measures.GROWTH_PAIRS):
        few, many = few.format(**vars(fx)), many.format(**vars(fx))
        if not chosen(many):
            continue
        who = who[0] if who else None
        sides = who if isinstance(who, tuple) else (who, who)
        counts, failed = [], []
        for path, side in zip((few, many), sides, strict=True):
            user = client_for(side)[0]  # signed in before the count starts
            user.get(path)  # warm, as the timed pages are: a sign-in just replaced the cache's stamp
            meter.count = 0
            status = user.get(path).status_code
            counts.append(meter.count)
            failed.append(f" {ANSWERED}{status}" if status >= 400 else "")
        if sides[0] != sides[1]:
            few, many = f"{few} as {getattr(fx, sides[0])}", f"{many} as {getattr(fx, sides[1])}"
        few, many = few + failed[0], many + failed[1]
        growth.append((few, counts[0], many, counts[1]))
    heap = full_collection()
    lookups = tag_lookups(app, fx)
    with app.app_context():
        db.engine.dispose()
    return samples, growth, heap, lookups, fx


# (b)-(d) Over HTTP ---------------------------------------------------------------------

def serve(db_path: Path, port: int, threads: int) -> None:
    """The child process: the real app plus the hello route, under waitress."""
    import waitress

    app = add_bench_routes(bench_app(db_path))
    freeze_heap()  # as `schoolhq serve` does
    server = waitress.create_server(app, host="127.0.0.1", port=port, threads=threads, ident="SchoolHQ")
    server.run()


HTTP_LOADS = ("hello", "read", "minimal", "noop", "note", "edit", "scan", "answer")


def measure_http(db_path: Path, fx: Fixture, duration: int, threads: int, only: list[str] | None = None):
    """(b)-(e); with `only` (load keys), just those loads beside hello on one server."""
    def loads(headers: dict[str, str], performer: dict[str, str] | None = None) -> dict[str, Load]:
        post = {**headers, **HX, "Content-Type": FORM}
        edit = urllib.parse.urlencode(edit_fields(fx))
        answer = {}
        if performer:
            # The check-answer save (DESIGN.md §9's throughput target) as the canteen manager:
            # a fridge's reading on today's round, 4.5 and 5.5 in turn, so every request writes.
            answer["answer"] = Load("save: check answer, a reading (htmx slot fragment)", "POST",
                                    answer_path(fx, fx.checks_number_item, fx.checks_number_subject),
                                    {**performer, **HX, "Content-Type": FORM}, f"value={READINGS[0]}",
                                    bodies=tuple(f"value={value}" for value in READINGS))
        return {
            "hello": Load("bare hello route", "GET", "/bench-hello", {"User-Agent": USER_AGENT}),
            "minimal": Load("write: minimal (one UPDATE, bench route)", "POST", "/bench-write", post),
            "noop": Load("write: signed-in no-op (bench route)", "POST", "/bench-noop", post),
            "read": Load("read: people search fragment", "GET", "/people/?q=w", {**headers, **HX}),
            "note": Load("write: mark notification read", "POST", "/notifications/read", post,
                         f"id={fx.notification_id}"),
            "edit": Load("write: edit person (UPDATE + audit)", "POST",
                         f"/people/{fx.edit_person['edit_id']}/edit", post, edit, "job_title"),
            # The checkout scan: a POST through the write path that reads the tag and
            # answers the cart fragment (nothing is written until the checkout itself).
            "scan": Load("save: desk scan (htmx cart fragment)", "POST", "/assets/desk/scan", post,
                         urllib.parse.urlencode({"tag": fx.lend_number})),
            **answer,
        }

    results, memory = [], {}
    with Server(db_path, serialize_writes=True, threads=threads) as server:
        headers = sign_in(server.base)
        performer = getattr(fx, "checks_performer", "")
        plan = loads(headers, sign_in(server.base, performer) if performer else None)
        for key in HTTP_LOADS:
            if key in plan and (not only or key == "hello" or key in only):
                results.append(throughput(server, plan[key], True, duration))
        if only:
            return results, {"SERIALIZE_WRITES=1, after its load runs": server.memory_mb()}, []
        memory["SERIALIZE_WRITES=1, after its load runs"] = server.memory_mb()
        opened = [(path, *get_once(server.base, headers, path)) for path in REPORT_PATHS]
        memory["the same, after one of each report (" + "; ".join(
            f"`{path}` {status}, {seconds:.2f} s" for path, status, seconds, _size in opened) + ")"] = server.memory_mb()
        status, seconds, size = get_once(server.base, headers, EXPORT_PATH)
        memory[f"the same, after one `GET {EXPORT_PATH}` ({status}, {seconds:.1f} s, {size:,} B)"] = server.memory_mb()
        sizes = first_load(server.base)
    with Server(db_path, serialize_writes=False, threads=threads) as server:
        plan = loads(sign_in(server.base))
        for key in ("minimal", "note", "edit"):
            results.append(throughput(server, plan[key], False, duration))
        memory["SERIALIZE_WRITES=0, after its load runs"] = server.memory_mb()
    return results, memory, sizes


def working_copy(db_path: Path) -> Path:
    """The run writes (sign-ins, the write loads); it works on a copy, so every run
    measures the database exactly as generated."""
    target = Path(tempfile.mkdtemp(prefix="schoolhq-bench-db-")) / db_path.name
    source, copy = sqlite3.connect(db_path), sqlite3.connect(target)
    source.backup(copy)
    source.close()
    copy.execute("CREATE TABLE bench_counter (id INTEGER PRIMARY KEY, n INTEGER NOT NULL)")
    copy.execute("INSERT INTO bench_counter VALUES (1, 0)")
    copy.commit()
    copy.close()
    return target


def check_schema(db_path: Path) -> None:
    """A database generated before the latest migration would fail in odd places."""
    from alembic.script import ScriptDirectory

    from schoolhq.config import ROOT

    heads = set(ScriptDirectory(str(ROOT / "migrations")).get_heads())
    connection = sqlite3.connect(db_path)
    try:
        current = {row[0] for row in connection.execute("SELECT version_num FROM alembic_version")}
    finally:
        connection.close()
    if current != heads:
        raise SystemExit(f"{db_path} is at migration {sorted(current)}, the code at {sorted(heads)}: "
                         "generate it again with bench/generate.py")


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("db", type=Path, help="a database made by bench/generate.py")
    parser.add_argument("--iterations", type=int, default=40, help="timed requests per page (default 40)")
    parser.add_argument("--duration", type=int, default=10, help="seconds per throughput run (default 10)")
    parser.add_argument("--out", type=Path, help="where to write the report (default bench/results-latest.md)")
    parser.add_argument("--quiet-wait", type=int, default=0, metavar="SECONDS",
                        help="first wait up to this long for other load on the machine to settle")
    parser.add_argument("--serve", action="store_true", help=argparse.SUPPRESS)
    parser.add_argument("--threads", type=int, default=8, help="waitress threads (default 8, as `schoolhq serve`)")
    parser.add_argument("--port", type=int, help=argparse.SUPPRESS)
    parser.add_argument("--only", action="append", metavar="TEXT",
                        help="in-process part only, and only the pages, saves, reports and growth pairs whose "
                             "path contains TEXT (repeatable; e.g. --only /stock/); prints the report and writes "
                             "it only with --out")
    parser.add_argument("--http", metavar="KEYS",
                        help="over-HTTP part only: these loads (comma-separated, of "
                             f"{', '.join(HTTP_LOADS[1:])}) beside hello on one server; prints the table")
    args = parser.parse_args(argv)
    if args.serve:
        serve(args.db, args.port, args.threads)
        return
    if not args.db.exists():
        raise SystemExit(f"{args.db} does not exist; run bench/generate.py first")
    check_schema(args.db)
    started = time.perf_counter()
    copy = working_copy(args.db)
    busy = [busy_share()]
    while busy[0] is not None and busy[0] > 0.10 and time.perf_counter() - started < args.quiet_wait:
        print(f"the machine is {busy[0]:.0%} busy; waiting for it to settle ...", flush=True)
        time.sleep(4)
        busy = [busy_share()]
    yardstick = [cpu_yardstick()]
    if args.http:
        try:
            fx, _measured = find_fixture(bench_app(copy))
            results, memory, _sizes = measure_http(copy, fx, args.duration, args.threads, args.http.split(","))
        finally:
            shutil.rmtree(copy.parent, ignore_errors=True)
        print("\n".join([*header(args.db, busy + [busy_share()], yardstick + [cpu_yardstick()]),
                         *throughput_section(args.duration, results)]))
        return
    try:
        print("(a) in-process pages ...", flush=True)
        samples, growth, heap, lookups, fx = measure_in_process(copy, args.iterations, args.only)
        if args.only:
            text = "\n".join([*header(args.db, busy + [busy_share()], yardstick + [cpu_yardstick()]),
                              *in_process_section(args.iterations, samples, growth, heap, lookups)])
            print(text)
            if args.out:
                args.out.write_text(text)
            return
        print("(b)-(e) over HTTP ...", flush=True)
        yardstick.append(cpu_yardstick())
        http_results = measure_http(copy, fx, args.duration, args.threads)
    finally:
        shutil.rmtree(copy.parent, ignore_errors=True)
    busy.append(busy_share())
    yardstick.append(cpu_yardstick())
    text = report(args.db, args.iterations, args.duration, (samples, growth, heap, lookups), http_results, busy,
                  yardstick)
    print(text)
    out = args.out or BENCH / "results-latest.md"
    out.write_text(text)
    print(f"Written to {out} in {time.perf_counter() - started:.0f} s")


if __name__ == "__main__":
    main()
