"""Measure SchoolHQ against a generated school (bench/generate.py), per DESIGN.md §9.

    python bench/run.py /tmp/bench.db [--iterations 40] [--duration 10]

(a) In-process, warm: server time (median, p95), response size and SQL queries of the
    main pages (the asset register, detail, card, loans, "my items", a QR label; the stock
    list, the longest item ledger, a requisition, the window, a count sheet, the stock
    reports; the repairs queue as a maintenance worker, the ticket lists, a ticket and the
    plans as the logistics head; my checks today and two rounds as the canteen manager, the
    checks oversight, findings, ledgers, templates and schedules as the logistics head), of
    the saves (the lending and returns desks' scans, the counter issue, a count line, the
    ticket status changes and the check-answer save among them) and of the printable
    reports (the asset reports, the monthly repair summary, the checks compliance); a check that no
    page's query count grows with the rows it shows; the tag lookup (`resolve_tag`) alone.
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
#: the monthly principal's report's budget; the asset reports are held to it until it exists
REPORT_MS = 500
#: reports take seconds: fewer timed requests (after one to warm)
REPORT_ITERATIONS = 5
SAVE_MEDIAN_MS, SAVE_FRAGMENT_BYTES = 10, 5 * 1024
THROUGHPUT_SHARE, MEMORY_MB, FIRST_LOAD_KB = 0.35, 200, 100
#: the request path's targets (the platform issue, §5): req/s of each beside hello's, in one run
PATH_TARGETS = {"/bench-noop": 0.60, "/people/?q=w": 0.40, "/answer/": 0.25}


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
    cpu_ms: float = 0.0
    queries: int = 0
    query_spread: tuple[int, int] = (0, 0)
    size: int = 0
    gzip_size: int = 0
    kind: str = "page"


class QueryCounter:
    """Counts the SQL statements a request sends (BEGIN excluded)."""

    def __init__(self, engine):
        from sqlalchemy import event

        self.count = 0
        event.listen(engine, "before_cursor_execute", self._before)

    def _before(self, _conn, _cursor, statement, *_args):
        if not statement.startswith("BEGIN"):
            self.count += 1


@dataclass
class Fixture:
    """Ids of real rows the measured pages open."""

    floor_id: int
    person_id: int
    edit_person: dict[str, str]
    notification_id: int
    rare_query: str
    #: a building (its assets: everything on its floors and in its rooms)
    building_id: int = 0
    #: the asset with the longest history, and one of its category with the shortest
    busy_asset_id: int = 0
    busy_asset_token: str = ""
    quiet_asset_id: int = 0
    #: a loanable asset in the store, not on loan: what the lending desk scans
    lend_number: str = ""
    lend_token: str = ""
    #: an asset on loan: what the returns desk scans
    return_number: str = ""
    #: stock: the main store and the cupboard; the item with the longest ledger (and its
    #: row count) and the one with the shortest; a barcode (a search that finds one item)
    stock_main: int = 0
    stock_cupboard: int = 0
    stock_busy_item: int = 0
    stock_busy_rows: int = 0
    stock_quiet_item: int = 0
    stock_barcode: str = ""
    #: what the counter issues: an ordinary item the main store holds plenty of, to a member of staff
    stock_counter_item: int = 0
    stock_recipient: int = 0
    #: the latest issued requisition of four lines with the busiest item on one (the page the
    #: counter issue redirects to)
    stock_requisition: int = 0
    #: the counts `start_stock_counts` opens on the working copy (main store, cupboard)
    stock_count_main: int = 0
    stock_count_cupboard: int = 0
    #: the school's today and a year before, for the consumption report's range
    stock_today: str = ""
    stock_year_ago: str = ""
    stock_week_ago: str = ""
    #: repairs: who signs in for them (usernames): the worker with the most open tickets and
    #: the one with the fewest, and a school-wide logistics head (assigns, sees every ticket)
    repairs_worker: str = ""
    repairs_quiet_worker: str = ""
    repairs_manager: str = ""
    #: the ticket with the longest timeline (and its length), one with the shortest; an
    #: in-progress ticket of the worker (its page carries the complete form with the parts)
    repairs_busy_ticket: int = 0
    repairs_busy_events: int = 0
    repairs_quiet_ticket: int = 0
    repairs_worker_ticket: int = 0
    #: the all-tickets list's last page (50 a page), the busiest month (YYYY-MM)
    repairs_last_page: int = 0
    repairs_month: str = ""
    #: assigned tickets of the worker that `prepare_repairs_pool` makes for the status saves
    repairs_pool: list[int] = field(default_factory=list)
    #: checks: who signs in (usernames): the canteen manager (the most rounds today), the
    #: school doctor (the fewest), the school-wide logistics head
    checks_performer: str = ""
    checks_quiet_performer: str = ""
    checks_manager: str = ""
    #: rounds open today for the performer and for the quiet one
    checks_today: int = 0
    checks_quiet_today: int = 0
    #: the performer's open round with the most slots (today's daily check of the main
    #: kitchen): its page, and the answer saves (a per-fridge reading, a pass/fail item)
    checks_open_round: int = 0
    checks_number_item: int = 0
    checks_number_subject: int = 0
    checks_pass_item: int = 0
    #: the latest submitted round of that schedule (the most slots) and of the same
    #: template in the smallest kitchen (the fewest), with their slot counts
    checks_big_round: int = 0
    checks_big_slots: int = 0
    checks_small_round: int = 0
    checks_small_slots: int = 0
    #: months (YYYY-MM) with the most and the fewest canteen.daily rounds, and those counts
    checks_month: str = ""
    checks_month_rounds: int = 0
    checks_quiet_month: str = ""
    checks_quiet_month_rounds: int = 0
    #: a day without rounds (a Sunday), for the oversight page's few-rows side
    checks_quiet_day: str = ""


def find_fixture(app) -> Fixture:
    from sqlalchemy import func, select

    from schoolhq.assets.models import Asset, AssetEvent, Loan
    from schoolhq.auth.models import Account
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
        admin_id = db.session.scalar(select(Account.id).where(Account.username == ADMIN_USERNAME))
        note = db.session.scalar(select(func.min(Notification.id)).where(Notification.account_id == admin_id))
        fx = Fixture(floor_id, person_id, {
            "name": other.name, "department_id": str(other.department_id), "phone": other.phone,
            "badge_code": other.badge_code or "", "edit_id": str(other.id)}, note, other.pinyin)
        fx.building_id = db.session.scalar(select(Location.id).where(
            Location.kind == "building", Location.archived_at.is_(None), Location.parent_id.is_not(None))
            .order_by(Location.id)) or 0
        per_asset = (select(AssetEvent.asset_id, func.count().label("n")).group_by(AssetEvent.asset_id)
                     .subquery())
        fx.busy_asset_id = db.session.scalar(select(per_asset.c.asset_id).order_by(per_asset.c.n.desc())) or 0
        if fx.busy_asset_id:
            busy = db.session.get(Asset, fx.busy_asset_id)
            fx.busy_asset_token = busy.token
            # same category: the value (depreciation) looks up the same category chain
            fx.quiet_asset_id = db.session.scalar(
                select(per_asset.c.asset_id).join(Asset, Asset.id == per_asset.c.asset_id)
                .where(Asset.status == "in_use", Asset.category_id == busy.category_id)
                .order_by(per_asset.c.n, Asset.id)) or 0
            lend = db.session.scalar(select(Asset).where(
                Asset.loanable.is_(True), Asset.status == "in_storage",
                ~select(Loan.id).where(Loan.asset_id == Asset.id, Loan.returned_at.is_(None)).exists())
                .order_by(Asset.id))
            fx.lend_number, fx.lend_token = lend.number, lend.token
            fx.return_number = db.session.scalar(select(Asset.number).join(Loan, Loan.asset_id == Asset.id)
                                                 .where(Loan.returned_at.is_(None)).order_by(Loan.id))
        find_stock_fixture(fx)
        find_repairs_fixture(fx)
        find_checks_fixture(fx)
        return fx


def find_stock_fixture(fx: Fixture) -> None:
    """The stock rows the stock pages open (in an app context); nothing when the area is empty."""
    from datetime import timedelta

    from sqlalchemy import func, select

    from schoolhq.core.timeutil import local_today
    from schoolhq.extensions import db
    from schoolhq.people.models import Person
    from schoolhq.stock.models import (
        Requisition,
        RequisitionLine,
        StockBalance,
        StockItem,
        StockMovement,
        Store,
    )

    stores = list(db.session.scalars(select(Store.id).order_by(Store.id)))
    if not stores:
        return
    fx.stock_main, fx.stock_cupboard = stores[0], stores[-1]
    per_item = (select(StockMovement.item_id, func.count().label("n")).group_by(StockMovement.item_id).subquery())
    fx.stock_busy_item, fx.stock_busy_rows = db.session.execute(
        select(per_item.c.item_id, per_item.c.n).order_by(per_item.c.n.desc(), per_item.c.item_id)).first()
    fx.stock_quiet_item = db.session.scalar(
        select(per_item.c.item_id).join(StockItem, StockItem.id == per_item.c.item_id)
        .where(StockItem.archived_at.is_(None)).order_by(per_item.c.n, per_item.c.item_id))
    fx.stock_barcode = db.session.scalar(select(StockItem.barcode).where(
        StockItem.id == fx.stock_quiet_item)) or db.session.scalar(
        select(StockItem.barcode).where(StockItem.barcode.is_not(None)).order_by(StockItem.id))
    fx.stock_counter_item = db.session.scalar(
        select(StockItem.id).join(StockBalance, StockBalance.item_id == StockItem.id)
        .where(StockBalance.store_id == fx.stock_main, StockItem.needs_approval.is_(False),
               StockItem.archived_at.is_(None), StockItem.decimal_unit.is_(False),
               StockBalance.quantity_milli - StockItem.reserve_level_milli >= 1000 * 1000)
        .order_by(StockBalance.quantity_milli.desc()))
    fx.stock_recipient = db.session.scalar(select(Person.id).where(
        Person.left_at.is_(None), Person.department_id.is_not(None), Person.id != 1).order_by(Person.id))
    four = (select(RequisitionLine.requisition_id).group_by(RequisitionLine.requisition_id)
            .having(func.count() == 4).subquery())
    issued_four = (select(Requisition.id).join(four, four.c.requisition_id == Requisition.id)
                   .where(Requisition.status == "issued").order_by(Requisition.id.desc()))
    # the latest with the busiest item on it (the most asked for, and the longest ledger to check quotas in)
    fx.stock_requisition = db.session.scalar(issued_four.where(select(RequisitionLine.id).where(
        RequisitionLine.requisition_id == Requisition.id, RequisitionLine.item_id == fx.stock_busy_item).exists())) \
        or db.session.scalar(issued_four) or 0
    today = local_today()
    fx.stock_today, fx.stock_year_ago = today.isoformat(), (today - timedelta(days=365)).isoformat()
    fx.stock_week_ago = (today - timedelta(days=7)).isoformat()


def start_stock_counts(client, token: str, fx: Fixture) -> None:
    """Open a count of each store through the app (POST /stock/counts, as the storekeeper),
    for the count sheet and its line save; the run works on a copy, so nothing stays."""
    for store_id, field_name in ((fx.stock_main, "stock_count_main"), (fx.stock_cupboard, "stock_count_cupboard")):
        response = client.post("/stock/counts", data={"store_id": str(store_id)}, headers={"X-CSRFToken": token})
        found = re.search(r"/stock/counts/(\d+)$", response.headers.get("Location", ""))
        if response.status_code != 303 or not found:
            raise SystemExit(f"starting a stock count of store {store_id} answered {response.status_code}")
        setattr(fx, field_name, int(found.group(1)))


def find_repairs_fixture(fx: Fixture) -> None:
    """The repairs rows and accounts the repairs pages open (in an app context); nothing
    when the area is empty."""
    from sqlalchemy import func, select

    from schoolhq.auth.models import Account, Role, RoleAssignment
    from schoolhq.core.timeutil import to_local
    from schoolhq.extensions import db
    from schoolhq.repairs.models import Ticket, TicketEvent
    from schoolhq.repairs.services import OPEN

    total = db.session.scalar(select(func.count(Ticket.id))) or 0
    if not total:
        return

    def holders(code: str):
        return (select(Account).join(RoleAssignment, RoleAssignment.account_id == Account.id)
                .join(Role, Role.id == RoleAssignment.role_id)
                .where(Role.code == code, Account.active.is_(True), RoleAssignment.location_id.is_(None),
                       RoleAssignment.department_id.is_(None)).order_by(Account.id))

    fx.repairs_manager = db.session.scalars(holders("logistics_head")).first().username
    open_count = (select(func.count(Ticket.id)).where(Ticket.assignee_id == Account.person_id,
                                                      Ticket.status.in_(OPEN)).scalar_subquery())
    workers = db.session.execute(holders("maintenance").with_only_columns(Account.username, open_count)
                                 .where(open_count > 0).order_by(open_count.desc(), Account.id)).all()
    fx.repairs_worker, fx.repairs_quiet_worker = workers[0][0], workers[-1][0]
    per_ticket = select(TicketEvent.ticket_id, func.count().label("n")).group_by(TicketEvent.ticket_id).subquery()
    fx.repairs_busy_ticket, fx.repairs_busy_events = db.session.execute(
        select(per_ticket.c.ticket_id, per_ticket.c.n).order_by(per_ticket.c.n.desc(), per_ticket.c.ticket_id)).first()
    fx.repairs_quiet_ticket = db.session.scalar(select(per_ticket.c.ticket_id).order_by(per_ticket.c.n,
                                                                                        per_ticket.c.ticket_id))
    worker_person = db.session.scalar(select(Account.person_id).where(Account.username == fx.repairs_worker))
    fx.repairs_worker_ticket = db.session.scalar(select(Ticket.id).where(
        Ticket.assignee_id == worker_person, Ticket.status == "in_progress").order_by(Ticket.id.desc())) or 0
    fx.repairs_last_page = -(-total // 50)
    months: dict[str, int] = {}
    for (reported_at,) in db.session.execute(select(Ticket.reported_at)):
        month = f"{to_local(reported_at):%Y-%m}"
        months[month] = months.get(month, 0) + 1
    fx.repairs_month = max(sorted(months), key=months.get)


def find_checks_fixture(fx: Fixture) -> None:
    """The checks rows and accounts the checks pages open (in an app context); nothing
    when the area is empty."""
    from datetime import timedelta

    from sqlalchemy import func, select

    from schoolhq.auth.models import Account, Role, RoleAssignment
    from schoolhq.checks.models import CheckItem, CheckRound
    from schoolhq.core.timeutil import local_day_bounds_utc, local_today
    from schoolhq.extensions import db

    if not db.session.scalar(select(func.count(CheckRound.id))):
        return
    today = local_today()
    end = local_day_bounds_utc(today)[1]

    def holder(code: str) -> Account:
        return db.session.scalars(select(Account).join(RoleAssignment, RoleAssignment.account_id == Account.id)
                                  .join(Role, Role.id == RoleAssignment.role_id)
                                  .where(Role.code == code, Account.active.is_(True),
                                         RoleAssignment.location_id.is_(None)).order_by(Account.id)).first()

    def open_today(person_id: int):
        return select(CheckRound).where(CheckRound.assignee_id == person_id, CheckRound.opens_at < end,
                                        CheckRound.status.in_(("open", "in_progress")))

    def slot_count(round_: CheckRound) -> int:
        return sum(len(round_.subjects.get(str(item.id), [])) if item.per else 1 for item in round_.template.items)

    performer, quiet, manager = holder("canteen_manager"), holder("school_doctor"), holder("logistics_head")
    fx.checks_performer, fx.checks_quiet_performer, fx.checks_manager = \
        performer.username, quiet.username, manager.username
    mine = list(db.session.scalars(open_today(performer.person_id)))
    fx.checks_today = len(mine)
    fx.checks_quiet_today = len(list(db.session.scalars(open_today(quiet.person_id))))
    biggest = max(mine, key=lambda r: (slot_count(r), r.id))
    fx.checks_open_round = biggest.id
    number = next(i for i in biggest.template.items if i.type == "number" and i.per)
    fx.checks_number_item, fx.checks_number_subject = number.id, biggest.subjects[str(number.id)][0]
    fx.checks_pass_item = next(i.id for i in biggest.template.items if i.type == "pass_fail" and not i.critical)
    done = (select(CheckRound).where(CheckRound.template_key == biggest.template_key, CheckRound.status == "submitted")
            .order_by(CheckRound.id.desc()))
    big = db.session.scalar(done.where(CheckRound.schedule_id == biggest.schedule_id).limit(1))
    small = min(db.session.scalars(done.limit(20)), key=lambda r: (slot_count(r), -r.id))
    fx.checks_big_round, fx.checks_big_slots = big.id, slot_count(big)
    fx.checks_small_round, fx.checks_small_slots = small.id, slot_count(small)
    months: dict[str, int] = {}
    for (start,) in db.session.execute(select(CheckRound.period_start).where(
            CheckRound.template_key == biggest.template_key, CheckRound.status.in_(("submitted", "missed")))):
        months[f"{start:%Y-%m}"] = months.get(f"{start:%Y-%m}", 0) + 1
    fx.checks_month = max(sorted(months, reverse=True), key=months.get)
    fx.checks_quiet_month = min(sorted(months), key=months.get)
    fx.checks_month_rounds, fx.checks_quiet_month_rounds = months[fx.checks_month], months[fx.checks_quiet_month]
    sunday = today - timedelta(days=today.weekday() + 1 + 7)
    fx.checks_quiet_day = sunday.isoformat()
    assert db.session.get(CheckItem, fx.checks_number_item) is not None


def prepare_repairs_pool(app, fx: Fixture, count: int) -> None:
    """`count` new tickets assigned to the worker, for the status saves (start, hold,
    resume: each request needs a ticket in the right state), through the services:
    reported by a member of staff (`services.report`; the `repairs.reports_per_hour`
    limit is lifted for this one request context only, in its settings cache, not in the
    database), assigned by the logistics head (`services.assign`). So every status change
    notifies its reporter, as it would live. The run works on a copy: nothing stays."""
    from sqlalchemy import select

    from schoolhq.auth.models import Account
    from schoolhq.core import settings
    from schoolhq.extensions import db
    from schoolhq.places.models import Location
    from schoolhq.repairs import services
    from schoolhq.repairs.models import RepairCategory

    with app.test_request_context():
        manager = db.session.scalar(select(Account).where(Account.username == fx.repairs_manager))
        worker = db.session.scalar(select(Account).where(Account.username == fx.repairs_worker))
        reporter = db.session.scalar(select(Account).where(
            Account.active.is_(True), Account.username.not_in([ADMIN_USERNAME, fx.repairs_manager, fx.repairs_worker,
                                                              fx.repairs_quiet_worker])).order_by(Account.id))
        room = db.session.scalar(select(Location.id).where(Location.kind == "room", Location.archived_at.is_(None))
                                 .order_by(Location.id))
        category = db.session.scalar(select(RepairCategory.id).order_by(RepairCategory.sort_order))
        settings.all_settings()  # fills this request's cache, which the next line changes
        settings._cache()["repairs.reports_per_hour"] = 0
        fx.repairs_pool = []
        for n in range(count):
            ticket = services.report(reporter, services.Report(room, category, "normal", f"基准测试 {n}：灯管不亮"))
            services.assign(manager, ticket.id, worker.person_id)
            fx.repairs_pool.append(ticket.id)
        db.session.commit()


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


def pages(fx: Fixture) -> list[tuple]:
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
        ("asset register", "/assets/", {}),
        ("asset search fragment", "/assets/?q=" + urllib.parse.quote("电脑"), HX),
        ("asset register, a building, in use", f"/assets/?location={fx.building_id}&status=in_use", {}),
        ("asset detail (longest history)", f"/assets/{fx.busy_asset_id}", {}),
        ("asset card (A5, printable)", f"/assets/{fx.busy_asset_id}/card", {}),
        ("loans on the desk", "/assets/loans", {}),
        ("my items", "/assets/mine", {}),
        ("QR label, signed in (redirect)", f"/t/{fx.busy_asset_token}", {}),
        *stock_pages(fx),
        *repairs_pages(fx),
        *checks_pages(fx),
    ]


def stock_pages(fx: Fixture) -> list[tuple[str, str, dict]]:
    if not fx.stock_busy_item:
        return []
    last = -(-fx.stock_busy_rows // 30)  # the ledger shows 30 rows a page
    year = f"start={fx.stock_year_ago}&end={fx.stock_today}"
    return [
        ("stock list", "/stock/", {}),
        ("stock search fragment (htmx)", "/stock/?q=" + urllib.parse.quote("笔"), HX),
        ("stock list, at or below minimum", "/stock/?level=low", {}),
        (f"stock item, longest ledger ({fx.stock_busy_rows:,} rows)", f"/stock/items/{fx.stock_busy_item}", {}),
        ("stock item ledger, page 5 (htmx pager)", f"/stock/items/{fx.stock_busy_item}?page=5", HX),
        (f"stock item ledger, last page ({last}, htmx pager)", f"/stock/items/{fx.stock_busy_item}?page={last}", HX),
        ("requisition (4 lines, the busiest item on one; issued)", f"/stock/requisitions/{fx.stock_requisition}", {}),
        ("pickup window", "/stock/window", {}),
        ("stock count sheet, main store (open count)", f"/stock/counts/{fx.stock_count_main}", {}),
        ("stock consumption by department, one year", f"/stock/reports/consumption?group=department&{year}", {}),
        ("stock consumption by month, one year", f"/stock/reports/consumption?group=month&{year}", {}),
        ("stock valuation", "/stock/reports/valuation", {}),
    ]


#: who a page or save is measured as when not the administrator: a Fixture field with the username
WORKER, MANAGER = {"as": "repairs_worker"}, {"as": "repairs_manager"}


def repairs_pages(fx: Fixture) -> list[tuple]:
    """The worker's queue as the worker; the lists, a ticket, the plans as the logistics head."""
    if not fx.repairs_busy_ticket:
        return []
    pages_ = [
        ("repairs: my queue (the busiest worker)", "/repairs/queue", {}, WORKER),
        ("repairs: dashboard of the logistics head", "/", {}, MANAGER),
        ("repairs: tickets, still open", "/repairs/?status=open", {}, MANAGER),
        ("repairs: tickets, all, page 1", "/repairs/?status=", {}, MANAGER),
        ("repairs: tickets, all, page 200 (htmx pager)", "/repairs/?status=&page=200", HX, MANAGER),
        (f"repairs: tickets, all, last page ({fx.repairs_last_page}, htmx pager)",
         f"/repairs/?status=&page={fx.repairs_last_page}", HX, MANAGER),
        (f"repairs: ticket, longest timeline ({fx.repairs_busy_events} events)",
         f"/repairs/{fx.repairs_busy_ticket}", {}, MANAGER),
        ("repairs: maintenance plans", "/repairs/plans", {}, MANAGER),
    ]
    if fx.repairs_worker_ticket:
        pages_.insert(1, ("repairs: ticket in progress, as its worker (complete form, spare parts)",
                          f"/repairs/{fx.repairs_worker_ticket}", {}, WORKER))
    return pages_


#: the canteen manager (does the canteen's rounds) and the logistics head (oversees them all)
PERFORMER, CHECKS_MANAGER = {"as": "checks_performer"}, {"as": "checks_manager"}


def checks_pages(fx: Fixture) -> list[tuple]:
    """My checks today and two rounds as the canteen manager; oversight, findings, the
    ledgers of the busiest month, templates and schedules as the logistics head."""
    if not fx.checks_open_round:
        return []
    return [
        (f"checks: my checks today (the canteen manager, {fx.checks_today} open)", "/checks/", {}, PERFORMER),
        (f"checks: a submitted round ({fx.checks_big_slots} slots: canteen.daily, main kitchen)",
         f"/checks/rounds/{fx.checks_big_round}", {}, PERFORMER),
        (f"checks: an open round ({fx.checks_big_slots} slots, today's, not begun)",
         f"/checks/rounds/{fx.checks_open_round}", {}, PERFORMER),
        ("checks: oversight, today", "/checks/oversight", {}, CHECKS_MANAGER),
        ("checks: findings to follow up", "/checks/findings", {}, CHECKS_MANAGER),
        ("checks: findings, every status, page 1", "/checks/findings?status=all", {}, CHECKS_MANAGER),
        (f"checks: ledger canteen.daily, {fx.checks_month} ({fx.checks_month_rounds} rounds)",
         f"/checks/ledger?key=canteen.daily&month={fx.checks_month}", {}, CHECKS_MANAGER),
        (f"checks: ledger canteen.meal, {fx.checks_month}",
         f"/checks/ledger?key=canteen.meal&month={fx.checks_month}", {}, CHECKS_MANAGER),
        ("checks: templates", "/checks/templates", {}, CHECKS_MANAGER),
        ("checks: schedules", "/checks/schedules", {}, CHECKS_MANAGER),
    ]


def reports(fx: Fixture) -> list[tuple]:
    """Printable reports over the whole register (HTML), measured REPORT_ITERATIONS times."""
    return [
        ("asset report: category ledger (分类明细账)", "/assets/reports/categories", {}),
        ("asset report: room ledgers, one building", f"/assets/reports/rooms?location={fx.building_id}", {}),
        ("asset report: room ledgers, as first opened (one building, said on the page)", "/assets/reports/rooms", {}),
        ("asset report: room ledgers, the whole school asked for by name", "/assets/reports/rooms?location=all", {}),
        ("asset report: idle for 12 months", "/assets/reports/idle", {}),
        *([(f"repairs: monthly summary, {fx.repairs_month} (the busiest month)",
            f"/repairs/summary?month={fx.repairs_month}", {}, MANAGER)] if fx.repairs_month else []),
        *([(f"checks: compliance, {fx.checks_month}", f"/checks/compliance?month={fx.checks_month}", {},
            CHECKS_MANAGER)] if fx.checks_month else []),
    ]


def saves(fx: Fixture) -> list[tuple[str, str, dict, object]]:
    """The htmx saves measured in-process: (name, path, headers, form of request n)."""
    return [
        ("mark notification read (htmx)", "/notifications/read", HX, lambda n: {"id": str(fx.notification_id)}),
        ("edit person (htmx, UPDATE + audit)", f"/people/{fx.edit_person['edit_id']}/edit", HX,
         lambda n: edit_fields(fx) | {"job_title": f"inproc-{n}"}),
        ("desk scan by number (htmx cart)", "/assets/desk/scan", HX, lambda n: {"tag": fx.lend_number}),
        ("desk scan by label URL (htmx cart)", "/assets/desk/scan", HX,
         lambda n: {"tag": f"https://school.example/t/{fx.lend_token}"}),
        ("returns scan (htmx list)", "/assets/checkin/scan", HX, lambda n: {"tag": fx.return_number}),
        *stock_saves(fx),
        *repairs_saves(fx),
        *checks_saves(fx),
    ]


def stock_saves(fx: Fixture) -> list[tuple[str, str, dict, object]]:
    """The counter issue is a plain form POST (new requisition, its line, the hand-over, one
    ledger row, a counter bump, the audit row; 303 to the requisition): the POST alone is
    timed. The count line is htmx: it answers the line's fragment."""
    if not fx.stock_busy_item:
        return []
    return [
        ("counter issue, 1 line (POST, 303 to the requisition)", "/stock/counter/issue", {},
         lambda n: {"store_id": str(fx.stock_main), "recipient_id": str(fx.stock_recipient), "purpose": "日常办公",
                    "on_paper": "y", "signature": "", "item_id": str(fx.stock_counter_item), "quantity": "1"}),
        ("stock count line (htmx, main store count)",
         f"/stock/counts/{fx.stock_count_main}/items/{fx.stock_busy_item}", HX,
         lambda n: {"counted": str(n % 3 + 1)}),
    ]


def repairs_saves(fx: Fixture) -> list[tuple]:
    """The worker's status changes, each on a ticket of the pool `prepare_repairs_pool`
    makes (request n on ticket n): start (assigned → in progress), put on hold with a
    reason, then resume with one tap in the queue (htmx; `back=queue`)."""
    if not fx.repairs_busy_ticket:
        return []

    def on_pool(action: str):
        return lambda n: f"/repairs/{fx.repairs_pool[n]}/{action}"

    return [
        ("ticket status: start (POST, 303 to the ticket)", "/repairs/<assigned ticket>/start", {},
         lambda n: {}, WORKER | {"path_of": on_pool("start")}),
        ("ticket status: hold, with a reason (POST, 303)", "/repairs/<ticket in progress>/hold", {},
         lambda n: {"reason": "等配件"}, WORKER | {"path_of": on_pool("hold")}),
        ("ticket status: resume, one tap in the queue (htmx)", "/repairs/<ticket on hold>/resume", HX,
         lambda n: {"back": "queue"}, WORKER | {"path_of": on_pool("resume")}),
    ]


def answer_path(fx: Fixture, item: int, subject: int = 0) -> str:
    return f"/checks/rounds/{fx.checks_open_round}/answer/{item}/{subject}"


#: the readings the answer save alternates, so every request changes the row
READINGS = ("4.5", "5.5")


def checks_saves(fx: Fixture) -> list[tuple]:
    """The answer save as the canteen manager on today's open round (htmx: it answers the
    slot's fragment): a fridge's reading, alternating, and a pass/fail item."""
    if not fx.checks_open_round:
        return []
    return [
        ("check answer: a fridge reading (htmx, value=4.5 / 5.5)",
         answer_path(fx, fx.checks_number_item, fx.checks_number_subject), HX,
         lambda n: {"value": READINGS[n % 2]}, PERFORMER),
        ("check answer: pass/fail item (htmx, outcome=pass)", answer_path(fx, fx.checks_pass_item), HX,
         lambda n: {"outcome": "pass"}, PERFORMER),
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
    ("/assets/?q={rare_asset}", "/assets/"),
    ("/assets/loans?overdue=1", "/assets/loans"),
    ("/assets/{quiet_asset}", "/assets/{busy_asset}"),
    ("/stock/?q={stock_barcode}", "/stock/"),
    ("/stock/items/{stock_quiet_item}", "/stock/items/{stock_busy_item}"),
    ("/stock/counts/{stock_count_cupboard}", "/stock/counts/{stock_count_main}"),
    ("/stock/reports/consumption?group=item&start={stock_week_ago}&end={stock_today}",
     "/stock/reports/consumption?group=item&start={stock_year_ago}&end={stock_today}"),
    ("/stock/reports/valuation?store={stock_cupboard}", "/stock/reports/valuation"),
    # (few, many, who): signed in as that Fixture field's account, or one for each side
    ("/repairs/?status=on_hold", "/repairs/?status=", "repairs_manager"),
    ("/repairs/queue", "/repairs/queue", ("repairs_quiet_worker", "repairs_worker")),
    ("/repairs/{repairs_quiet_ticket}", "/repairs/{repairs_busy_ticket}", "repairs_manager"),
    ("/checks/ledger?key=canteen.daily&month={checks_quiet_month}",
     "/checks/ledger?key=canteen.daily&month={checks_month}", "checks_manager"),
    ("/checks/ledger?key=canteen.meal&month={checks_quiet_month}",
     "/checks/ledger?key=canteen.meal&month={checks_month}", "checks_manager"),
    ("/checks/", "/checks/", ("checks_quiet_performer", "checks_performer")),
    ("/checks/rounds/{checks_small_round}", "/checks/rounds/{checks_big_round}", "checks_performer"),
    ("/checks/oversight?day={checks_quiet_day}", "/checks/oversight", "checks_manager"),
    ("/checks/findings", "/checks/findings?status=all", "checks_manager"),
]


def tag_lookups(app, fx: Fixture, repeat: int = 200) -> list[tuple[str, float, float]]:
    """services.resolve_tag on its own, as the scanner's keystrokes reach it: (what was
    scanned, median ms, p95 ms)."""
    from schoolhq.assets.services import resolve_tag

    results = []
    with app.app_context():
        for name, text in (("asset number", fx.lend_number), ("label token", fx.lend_token),
                           ("label URL", f"https://school.example/t/{fx.lend_token}"),
                           ("unknown tag", "ZC209900000")):
            times = []
            for _ in range(repeat):
                started = time.perf_counter()
                resolve_tag(text)
                times.append((time.perf_counter() - started) * 1000)
            results.append((name, statistics.median(times), percentile(times, 0.95)))
    return results


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


def measure_in_process(db_path: Path, iterations: int, only: list[str] | None = None):
    from schoolhq.extensions import db

    app = add_bench_routes(bench_app(db_path))
    fx = find_fixture(app)
    freeze_heap()  # as the serving process does
    with app.app_context():
        meter = QueryCounter(db.engine)
    client = app.test_client()
    client.environ_base["HTTP_USER_AGENT"] = USER_AGENT
    token = csrf_of(client.get("/auth/login").get_data(as_text=True))
    signed_in = client.post("/auth/login", data={"username": ADMIN_USERNAME, "password": PASSWORD,
                                                  "next": ""}, headers={"X-CSRFToken": token})
    if signed_in.status_code != 303:
        raise SystemExit(f"sign-in failed in-process: {signed_in.status_code}")
    token = csrf_of(client.get("/").get_data(as_text=True))
    if fx.stock_busy_item:
        start_stock_counts(client, token, fx)
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
               for name, path, headers, *options in pages(fx) if chosen(path)]
    chosen_saves = [save for save in saves(fx) if chosen(save[1])]
    if any("/repairs/" in save[1] for save in chosen_saves):
        # after the pages, so the pool's tickets are not in the worker's queue when it is timed
        prepare_repairs_pool(app, fx, iterations + 3)
    samples += [timed(name, "POST", path, headers, body_of, kind="save", options=(options or [None])[0])
                for name, path, headers, body_of, *options in chosen_saves]
    samples += [timed(name, "GET", path, headers, kind="report", options=(options or [None])[0])
                for name, path, headers, *options in reports(fx) if chosen(path)]

    growth = []
    for few, many, *who in GROWTH_PAIRS:
        if not chosen(many):
            continue
        names = {"rare": fx.rare_query, "rare_asset": fx.lend_number, "quiet_asset": fx.quiet_asset_id,
                 "busy_asset": fx.busy_asset_id, **vars(fx)}
        if "{stock_" in few + many and not fx.stock_busy_item:
            continue
        if few.startswith("/repairs/") and not fx.repairs_busy_ticket:
            continue
        if few.startswith("/checks/") and not fx.checks_open_round:
            continue
        few, many = few.format(**names), many.format(**names)
        who = who[0] if who else None
        sides = who if isinstance(who, tuple) else (who, who)
        counts = []
        for path, side in zip((few, many), sides, strict=True):
            user = client_for(side)[0]  # signed in before the count starts
            meter.count = 0
            user.get(path)
            counts.append(meter.count)
        if sides[0] != sides[1]:
            few, many = f"{few} as {getattr(fx, sides[0])}", f"{many} as {getattr(fx, sides[1])}"
        growth.append((few, counts[0], many, counts[1]))
    heap = full_collection()
    lookups = tag_lookups(app, fx)
    with app.app_context():
        db.engine.dispose()
    return samples, growth, heap, lookups, fx


# (b)-(d) Over HTTP ---------------------------------------------------------------------

def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


class Server:
    """A waitress process (8 threads) serving the bench app, started by this script."""

    def __init__(self, db_path: Path, serialize_writes: bool, threads: int = 8):
        self.threads = threads
        self.port = free_port()
        self.base = f"http://127.0.0.1:{self.port}"
        self.log = tempfile.NamedTemporaryFile(prefix="schoolhq-bench-server-", suffix=".log", delete=False)
        env = {**os.environ, "SCHOOLHQ_SERIALIZE_WRITES": "1" if serialize_writes else "0"}
        self.process = subprocess.Popen(
            [sys.executable, __file__, "--serve", str(db_path), "--port", str(self.port),
             "--threads", str(threads)],
            env=env, stdout=self.log, stderr=subprocess.STDOUT)

    def __enter__(self) -> Server:
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline and self.process.poll() is None:
            try:
                with urllib.request.urlopen(self.base + "/health", timeout=2) as response:
                    if response.status == 200:
                        return self
            except OSError:
                time.sleep(0.2)
        self._stop()
        raise SystemExit(f"the bench server did not start; see {self.log.name}")

    def __exit__(self, exc_type, *_exc) -> None:
        self._stop()
        if exc_type is None:  # keep the server's log when something went wrong
            os.unlink(self.log.name)
        else:
            print(f"the bench server's log: {self.log.name}", file=sys.stderr)

    def _stop(self) -> None:
        self.process.terminate()
        try:
            self.process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            self.process.kill()
            self.process.wait()
        self.log.close()

    def cpu_seconds(self) -> float:
        """User + system CPU the server has used so far (Linux only; 0 elsewhere)."""
        try:
            fields = Path(f"/proc/{self.process.pid}/stat").read_text().rsplit(")", 1)[1].split()
        except OSError:
            return 0.0
        return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")

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


def serve(db_path: Path, port: int, threads: int) -> None:
    """The child process: the real app plus the hello route, under waitress."""
    import waitress

    app = add_bench_routes(bench_app(db_path))
    freeze_heap()  # as `schoolhq serve` does
    server = waitress.create_server(app, host="127.0.0.1", port=port, threads=threads, ident="SchoolHQ")
    server.run()


def sign_in(base: str, username: str = ADMIN_USERNAME) -> dict[str, str]:
    """Sign in through the real stack; returns the headers a signed-in htmx client sends."""
    jar = http.cookiejar.CookieJar()
    opener = urllib.request.build_opener(urllib.request.HTTPCookieProcessor(jar))
    opener.addheaders = [("User-Agent", USER_AGENT)]
    with opener.open(base + "/auth/login") as response:
        token = csrf_of(response.read().decode())
    form = urllib.parse.urlencode({"username": username, "password": PASSWORD, "next": ""}).encode()
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
    #: or bodies taken in turn (for a field that must stay valid, such as a reading)
    bodies: tuple[str, ...] = ()


@dataclass
class Measured:
    """What a load generator saw; errors are non-2xx/3xx answers and socket errors
    (a request still unanswered after 30 s counts as one)."""

    rps: float
    p50_ms: float
    p99_ms: float
    max_ms: float
    requests: int
    errors: int


@dataclass
class LoadResult(Measured):
    load: Load | None = None
    serialize: bool = True
    threads: int = 8
    tool: str = ""
    #: server CPU per request: unlike req/s, hardly moved by other load on the machine
    cpu_ms: float = 0.0


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
local bodies = {{{bodies}}}
function setup(thread) threads = threads + 1; thread:set("tid", threads) end
wrk.method = "{method}"
wrk.body = "{body}"
request = function()
  counter = counter + 1
  if #bodies > 0 then return wrk.format(nil, nil, nil, bodies[counter % #bodies + 1]) end
  if "{unique}" == "" then return wrk.format() end
  return wrk.format(nil, nil, nil, "{body}&{unique}=wrk-" .. tid .. "-" .. counter)
end
"""


def _wrk_seconds(text: str) -> float:
    value, unit = re.fullmatch(r"([\d.]+)(us|ms|s|m)", text).groups()
    return float(value) * {"us": 1e-6, "ms": 1e-3, "s": 1.0, "m": 60.0}[unit]


def run_wrk(base: str, load: Load, duration: int, connections: int) -> Measured:
    with tempfile.NamedTemporaryFile("w", suffix=".lua", delete=False) as script:
        script.write(WRK_SCRIPT.format(method=load.method, body=load.body, unique=load.unique_field,
                                       bodies=", ".join(f'"{body}"' for body in load.bodies)))
    command = ["wrk", "-t1", f"-c{connections}", f"-d{duration}s", "--timeout", "30s", "--latency",
               "-s", script.name]
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
    longest = _wrk_seconds(re.search(r"Latency\s+\S+\s+\S+\s+(\S+)", output).group(1)) * 1000
    return Measured(rps, p50, p99, longest, requests, errors)


def run_threads(base: str, load: Load, duration: int, connections: int) -> Measured:
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
            if load.bodies:
                body = load.bodies[counter % len(load.bodies)]
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
    return Measured(len(latencies) / elapsed, percentile(latencies, 0.5) * 1000,
                    percentile(latencies, 0.99) * 1000, max(latencies) * 1000, len(latencies), errors[0])


def throughput(server: Server, load: Load, serialize: bool, duration: int) -> LoadResult:
    status = check_once(server.base, load)
    if status >= 400:
        raise SystemExit(f"{load.method} {load.path} answered {status} before the load run")
    tool = "wrk" if shutil.which("wrk") else "python"
    runner = run_wrk if tool == "wrk" else run_threads
    runner(server.base, load, 2, 8)  # warm the server's threads and connections
    cpu = server.cpu_seconds()
    seen = runner(server.base, load, duration, 8)
    cpu_ms = (server.cpu_seconds() - cpu) * 1000 / max(seen.requests, 1)
    return LoadResult(**vars(seen), load=load, serialize=serialize, threads=server.threads, tool=tool,
                      cpu_ms=cpu_ms)


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


def export_once(base: str, headers: dict[str, str]) -> tuple[int, float, int]:
    """One download of the whole register as XLSX: (status, seconds, bytes)."""
    connection = http.client.HTTPConnection("127.0.0.1", urllib.parse.urlparse(base).port, timeout=120)
    started = time.perf_counter()
    connection.request("GET", EXPORT_PATH, headers={k: v for k, v in headers.items() if k != "X-CSRFToken"})
    response = connection.getresponse()
    body = response.read()
    elapsed = time.perf_counter() - started
    connection.close()
    return response.status, elapsed, len(body)


#: the asset register as a spreadsheet, every row on the register
EXPORT_PATH = "/assets/export.xlsx"
#: the printable reports over the whole register, each opened once over HTTP before the
#: serving process's memory is read (the whole school's room ledgers as asked for by name)
REPORT_PATHS = ("/assets/reports/rooms", "/assets/reports/rooms?location=all", "/assets/reports/idle",
                "/assets/reports/categories")


def report_once(base: str, headers: dict[str, str], path: str) -> tuple[str, int, float]:
    """One request for a report page: (path, status, seconds)."""
    connection = http.client.HTTPConnection("127.0.0.1", urllib.parse.urlparse(base).port, timeout=120)
    started = time.perf_counter()
    connection.request("GET", path, headers={k: v for k, v in headers.items() if k != "X-CSRFToken"})
    response = connection.getresponse()
    response.read()
    connection.close()
    return path, response.status, time.perf_counter() - started


#: the HTTP loads in the order they run (the first, hello, is the yardstick of the others)
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
        plan = loads(headers, sign_in(server.base, fx.checks_performer) if fx.checks_open_round else None)
        for key in HTTP_LOADS:
            if key in plan and (not only or key == "hello" or key in only):
                results.append(throughput(server, plan[key], True, duration))
        if only:
            return results, {"SERIALIZE_WRITES=1, after its load runs": server.memory_mb()}, []
        memory["SERIALIZE_WRITES=1, after its load runs"] = server.memory_mb()
        opened = [report_once(server.base, headers, path) for path in REPORT_PATHS]
        memory["the same, after one of each report (" + "; ".join(
            f"`{path}` {status}, {seconds:.2f} s" for path, status, seconds in opened) + ")"] = server.memory_mb()
        status, seconds, size = export_once(server.base, headers)
        memory[f"the same, after one `GET {EXPORT_PATH}` ({status}, {seconds:.1f} s, {size:,} B)"] = server.memory_mb()
        sizes = first_load(server.base)
    with Server(db_path, serialize_writes=False, threads=threads) as server:
        plan = loads(sign_in(server.base))
        for key in ("minimal", "note", "edit"):
            results.append(throughput(server, plan[key], False, duration))
        memory["SERIALIZE_WRITES=0, after its load runs"] = server.memory_mb()
    return results, memory, sizes


# Report --------------------------------------------------------------------------------

def machine() -> list[str]:
    """Date, cores, CPU model, memory, Python, SQLite and the load generator."""
    cpu, memory = platform.processor(), ""
    if Path("/proc/cpuinfo").exists():
        models = [line.split(":", 1)[1].strip() for line in Path("/proc/cpuinfo").read_text().splitlines()
                  if line.startswith("model name")]
        cpu = models[0] if models else cpu
        memory = f", {int(Path('/proc/meminfo').read_text().split()[1]) / 1024 ** 2:.1f} GiB RAM"
    if shutil.which("wrk"):
        wrk = subprocess.run(["wrk", "--version"], capture_output=True, text=True).stdout.split("[")[0].strip()
    else:
        wrk = "Python threads (wrk is not installed)"
    return [
        f"- date: {datetime.now().astimezone():%Y-%m-%d %H:%M %Z}",
        f"- machine: {os.cpu_count()} cores ({cpu}){memory}, {platform.system()} {platform.release()}",
        f"- Python {platform.python_version()}, SQLite {sqlite3.sqlite_version}, load generator: {wrk}",
    ]


def yes(ok: bool) -> str:
    return "yes" if ok else "**no**"


def page_ok(s: Sample) -> bool:
    if s.kind == "page":
        return s.median_ms < PAGE_MEDIAN_MS and s.p95_ms < PAGE_P95_MS
    if s.kind == "report":
        return s.median_ms < REPORT_MS
    return s.median_ms < SAVE_MEDIAN_MS and s.size < SAVE_FRAGMENT_BYTES


def header(db_path: Path, busy: list[float | None], yardstick: list[float] | None = None) -> list[str]:
    with sqlite3.connect(db_path) as conn:
        tables = [row[0] for row in conn.execute(
            "SELECT name FROM sqlite_master WHERE type='table' AND name NOT LIKE 'sqlite_%' ORDER BY name")]
        counts = {t: conn.execute(f'SELECT count(*) FROM "{t}"').fetchone()[0] for t in tables}
        # prepare_database() runs ANALYZE on the empty schema, so sqlite_stat1 always exists:
        # what counts is whether it knows the generated rows (the biggest table)
        biggest = max(counts, key=counts.get)
        analyzed = conn.execute("SELECT 1 FROM sqlite_master WHERE name = 'sqlite_stat1'").fetchone() is not None \
            and conn.execute("SELECT 1 FROM sqlite_stat1 WHERE tbl = ?", (biggest,)).fetchone() is not None
    big = ", ".join(f"{t} {n:,}" for t, n in counts.items() if n >= 50)
    other = " / ".join("?" if b is None else f"{b:.0%}" for b in busy)
    return ["# SchoolHQ benchmark results", "", *machine(),
            f"- database: {db_path.stat().st_size / 1e6:.0f} MB; {big}",
            "- planner statistics: " + ("ANALYZE was run (`generate.py --analyze`, as `schoolhq serve` does at start)"
                                         if analyzed else "only the empty schema's (no ANALYZE after the rows went in)"),
            f"- other load on the machine (all cores busy, sampled before / after the run): {other}"
            " — anything well above 0% lowers req/s and raises p95",
            *([f"- CPU yardstick (2 million additions in pure Python, best of 3, taken at the start, before (b) "
               f"and at the end): {' / '.join(f'{ms:.0f} ms' for ms in yardstick)} — the shared host's speed at "
               "those moments (it has moved between about 40 and 80 ms within minutes); times scale with it"]
              if yardstick else []), ""]


def in_process_section(iterations: int, samples: list[Sample], growth, heap, lookups) -> list[str]:
    lines = [f"## (a) Server time in-process, warm ({iterations} requests each, reports {REPORT_ITERATIONS}; "
             "signed in as admin, the repairs pages as a maintenance worker or the logistics head, the checks "
             "pages as the canteen manager or the logistics head)", "",
             "| page | path | status | median ms | p95 ms | CPU ms (median) | queries | bytes | gzip bytes "
             "| target met |", "|---|---|---|---|---|---|---|---|---|---|"]
    for s in samples:
        low, high = s.query_spread
        queries = str(high) if low == high else f"{low}–{high}"
        lines.append(f"| {s.name} | `{s.method} {s.path}` | {s.status} | {s.median_ms:.1f} | {s.p95_ms:.1f} | "
                     f"{s.cpu_ms:.1f} | {queries} | {s.size:,} | {s.gzip_size:,} | {yes(page_ok(s))} |")
    lines += ["", f"Targets: pages median < {PAGE_MEDIAN_MS} ms and p95 < {PAGE_P95_MS} ms; htmx saves median "
              f"< {SAVE_MEDIAN_MS} ms with a fragment < 5 KB; reports (held to the monthly report's budget) "
              f"median < {REPORT_MS} ms. Time is wall-clock around `client.get`; CPU is "
              "this thread's CPU time (unmoved by other load). Queries exclude BEGIN.", "",
              "Query count against rows shown (same page, few rows vs many):", "",
              "| few rows | queries | many rows | queries | grows? |", "|---|---|---|---|---|"]
    for few, few_count, many, many_count in growth:
        grows = "no" if few_count == many_count else "**yes**"
        lines.append(f"| `{few}` | {few_count} | `{many}` | {many_count} | {grows} |")
    lines += ["", f"Python heap after the pages above: {heap[0]:,} objects tracked by the garbage collector "
              f"besides the {heap[2]:,} that `gc.freeze()` set aside once the app was loaded (as `schoolhq serve` "
              f"does); one full collection takes {heap[1]:.0f} ms and lands inside whichever request triggers it."]
    lines += ["", "Tag lookup on its own (`assets.services.resolve_tag`, in an app context, 200 calls each):", "",
              "| scanned | median ms | p95 ms |", "|---|---|---|"]
    lines += [f"| {name} | {median:.2f} | {p95:.2f} |" for name, median, p95 in lookups]
    return lines


def throughput_section(duration: int, results: list[LoadResult]) -> list[str]:
    hello = next(r for r in results if r.load.path == "/bench-hello")
    lines = ["", f"## (b) Throughput over HTTP (waitress, {results[0].threads} threads; {results[0].tool}, 8 keep-alive "
             f"connections, {duration} s each)", "",
             "| request | SERIALIZE_WRITES | req/s | ratio to hello | p50 ms | p99 ms | server CPU ms/req "
             "| ratio to hello by CPU | requests | errors |", "|---|---|---|---|---|---|---|---|---|---|"]
    for r in results:
        lines.append(f"| {r.load.name} (`{r.load.method} {r.load.path}`) | {int(r.serialize)} | {r.rps:,.0f} | "
                     f"{r.rps / hello.rps:.0%} | {r.p50_ms:.1f} | {r.p99_ms:.1f} | {r.cpu_ms:.2f} | "
                     f"{hello.cpu_ms / r.cpu_ms if r.cpu_ms else 0:.0%} | {r.requests:,} | {r.errors} |")
    lines += ["", "Server CPU per request is the serving process's user + system CPU over the run divided "
              "by the requests served; its ratio is what req/s would show on an otherwise idle machine."]
    noop = next((r for r in results if r.load.path == "/bench-noop" and r.serialize), None)
    if noop is not None:
        own = [f"{r.load.name} {r.cpu_ms - noop.cpu_ms:+.2f} ms" for r in results
               if r.serialize and r.load.method == "POST" and r is not noop and not r.load.path.startswith("/bench")]
        lines += ["", f"Fixed cost of a signed-in save (the no-op POST): {noop.cpu_ms:.2f} ms of server CPU, "
                  f"{noop.cpu_ms - hello.cpu_ms:.2f} ms more than hello; each save's own cost beyond it: "
                  + ("; ".join(own) or "none measured") + "."]
    return lines


def http_section(duration: int, results: list[LoadResult], memory, sizes) -> list[str]:
    lines = throughput_section(duration, results)
    lines += ["", "## (c) The in-process write lock (same writes, second server with SERIALIZE_WRITES=0)", "",
              "| write | SERIALIZE_WRITES=1 | SERIALIZE_WRITES=0 | req/s, 1 over 0 |", "|---|---|---|---|"]
    for name in dict.fromkeys(r.load.name for r in results if r.load.method == "POST" and not r.serialize):
        on = next(r for r in results if r.load.name == name and r.serialize)
        off = next(r for r in results if r.load.name == name and not r.serialize)
        lines.append(f"| {name} | {on.rps:,.0f} req/s; p99 {on.p99_ms:,.0f} ms, max {on.max_ms:,.0f} ms; "
                     f"{on.errors} errors | {off.rps:,.0f} req/s; p99 {off.p99_ms:,.0f} ms, max "
                     f"{off.max_ms:,.0f} ms; {off.errors} errors | "
                     f"{on.rps / off.rps if off.rps else float('inf'):.2f}× |")
    lines += ["", "## (d) Memory of the serving process after its load runs", "",
              "| server | peak RSS (VmHWM) | RSS at the end |", "|---|---|---|"]
    for label, values in memory.items():
        lines.append(f"| {label} | {values.get('VmHWM', 0):.0f} MB | {values.get('VmRSS', 0):.0f} MB |")
    lines += ["", "## (e) First page load (sign-in page and what it loads, as served; gzip level 6)", "",
              "| file | bytes | gzip bytes |", "|---|---|---|"]
    lines += [f"| {label} | {raw:,} | {gz:,} |" for label, raw, gz in sizes]
    lines += [f"| **total** | {sum(s[1] for s in sizes):,} | {sum(s[2] for s in sizes):,} |"]
    return lines


def targets_section(samples: list[Sample], growth, results: list[LoadResult], memory, sizes) -> list[str]:
    hello = next(r.rps for r in results if r.load.path == "/bench-hello")
    hello_cpu = next(r.cpu_ms for r in results if r.load.path == "/bench-hello")
    slow = [s.name for s in samples if s.kind == "page" and not page_ok(s)]
    peak = max(values.get("VmHWM", 0) for values in memory.values())
    under_load = max(values.get("VmHWM", 0) for label, values in memory.items()
                     if EXPORT_PATH not in label and "each report" not in label)
    first = sum(s[2] for s in sizes)
    grown = sum(a != b for _, a, _, b in growth)
    lines = ["", "## Targets (DESIGN.md §9)", "", "| measure | target | measured | met |", "|---|---|---|---|",
             f"| dashboard, list and detail pages, server time | median < {PAGE_MEDIAN_MS} ms, p95 < "
             f"{PAGE_P95_MS} ms | {'all pages' if not slow else 'over: ' + ', '.join(slow)} | {yes(not slow)} |"]
    for s in samples:
        if s.kind == "save":
            lines.append(f"| htmx save — {s.name} | median < {SAVE_MEDIAN_MS} ms, fragment < 5 KB | "
                         f"{s.median_ms:.1f} ms, {s.size:,} B | {yes(page_ok(s))} |")
    lines.append("| the monthly principal's report | < 0.5 s as HTML | not built yet | — |")
    for s in samples:
        if s.kind == "report":
            lines.append(f"| (held to the same budget) {s.name} | < {REPORT_MS / 1000:.1f} s as HTML | "
                         f"{s.median_ms / 1000:.2f} s, {s.size / 1024:,.0f} KB of HTML | {yes(page_ok(s))} |")
    for r in (r for r in results if r.serialize and r.load.path != "/bench-hello"):
        share = next((v for k, v in PATH_TARGETS.items() if k in r.load.path), THROUGHPUT_SHARE)
        lines.append(f"| throughput over HTTP — {r.load.name} | ≥ {share:.0%} of hello | "
                     f"{r.rps / hello:.0%} (by CPU {hello_cpu / r.cpu_ms if r.cpu_ms else 0:.0%}) | "
                     f"{yes(r.rps / hello >= share)} |")
    after_reports = max((values.get("VmHWM", 0) for label, values in memory.items() if "each report" in label),
                        default=0)
    lines.append(f"| memory of the serving process after one of each report | < {MEMORY_MB} MB | "
                 f"{after_reports:.0f} MB peak | {yes(after_reports < MEMORY_MB)} |")
    lines += [
        f"| memory of one serving process under load | < {MEMORY_MB} MB | {under_load:.0f} MB peak under the load "
        f"runs, {peak:.0f} MB once the register was exported | {yes(peak < MEMORY_MB)} |",
        f"| first page load, all bytes, gzip | < {FIRST_LOAD_KB} KB | {first / 1024:.1f} KB | "
        f"{yes(first < FIRST_LOAD_KB * 1024)} |",
        f"| no page's query count grows with its rows | none | {grown} of {len(growth)} pages grow | "
        f"{yes(not grown)} |", "",
        "The request path's targets (platform issue §5) are the signed-in no-op POST ≥ 60% (what every "
        "signed-in save pays before its own work), a signed-in read fragment (the people search) ≥ 40% and "
        "the check-answer save (a fridge's reading on today's round, as the canteen manager) ≥ 25%, by req/s "
        "beside hello in the same run; the minimal bench write (public, one UPDATE) is the floor any save "
        "starts from, the other writes (35%, DESIGN.md §9) are the app's own htmx saves.", ""]
    return lines


def report(db_path: Path, iterations: int, duration: int, in_process, http_results, busy, yardstick) -> str:
    samples, growth, heap, lookups = in_process
    results, memory, sizes = http_results
    return "\n".join([
        *header(db_path, busy, yardstick),
        *in_process_section(iterations, samples, growth, heap, lookups),
        *http_section(duration, results, memory, sizes),
        *targets_section(samples, growth, results, memory, sizes),
    ])


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


def cpu_yardstick() -> float:
    """Milliseconds for a fixed pure-Python loop (best of 3): the machine's own speed, which
    on a shared host moved by half between minutes with no load of its own to show for it
    (39 to 79 ms on the machine of bench/README.md). Runs compare only as far as their
    yardsticks agree."""
    best = float("inf")
    for _ in range(4):  # the first, cold, is left out: it read twice the others
        started, total = time.perf_counter(), 0
        for number in range(2_000_000):
            total += number
        if _:
            best = min(best, (time.perf_counter() - started) * 1000)
    return best


def busy_share(seconds: float = 1.0) -> float | None:
    """How busy all cores are (from /proc/stat) while this script idles: other load on
    the machine, which lowers req/s and raises p95 (Linux only)."""
    def read() -> tuple[int, int]:
        parts = [int(n) for n in Path("/proc/stat").read_text().split("\n", 1)[0].split()[1:]]
        return sum(parts), parts[3] + parts[4]

    try:
        total, idle = read()
        time.sleep(seconds)
        total2, idle2 = read()
    except OSError:
        return None
    return 1 - (idle2 - idle) / max(total2 - total, 1)


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
            fx = find_fixture(bench_app(copy))
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
    out = args.out or HERE / "results-latest.md"
    out.write_text(text)
    print(f"Written to {out} in {time.perf_counter() - started:.0f} s")


if __name__ == "__main__":
    main()
