"""What the bench measures of the repairs area: the worker's queue and ticket, the lists,
a ticket, the plans and the summary as the logistics head; the status saves."""

from __future__ import annotations

from harness import ADMIN_USERNAME
from harness.measure import HX, Fixture

#: who a page or save is measured as when not the administrator: a Fixture field with the username
WORKER, MANAGER = {"as": "repairs_worker"}, {"as": "repairs_manager"}


def find(fx: Fixture) -> bool:
    """The repairs rows and accounts the repairs pages open (in an app context); False
    when the area is empty."""
    from sqlalchemy import func, select

    from schoolhq.auth.models import Account, Role, RoleAssignment
    from schoolhq.core.timeutil import to_local
    from schoolhq.extensions import db
    from schoolhq.repairs.models import Ticket, TicketEvent
    from schoolhq.repairs.services import OPEN

    total = db.session.scalar(select(func.count(Ticket.id))) or 0
    if not total:
        return False

    def holders(code: str):
        return (select(Account).join(RoleAssignment, RoleAssignment.account_id == Account.id)
                .join(Role, Role.id == RoleAssignment.role_id)
                .where(Role.code == code, Account.active.is_(True), RoleAssignment.location_id.is_(None),
                       RoleAssignment.department_id.is_(None)).order_by(Account.id))

    # who signs in (usernames): a school-wide logistics head (assigns, sees every ticket), the
    # worker with the most open tickets and the one with the fewest
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
    # an in-progress ticket of the worker: its page carries the complete form with the parts
    worker_person = db.session.scalar(select(Account.person_id).where(Account.username == fx.repairs_worker))
    fx.repairs_worker_ticket = db.session.scalar(select(Ticket.id).where(
        Ticket.assignee_id == worker_person, Ticket.status == "in_progress").order_by(Ticket.id.desc())) or 0
    fx.repairs_last_page = -(-total // 50)
    months: dict[str, int] = {}
    for (reported_at,) in db.session.execute(select(Ticket.reported_at)):
        month = f"{to_local(reported_at):%Y-%m}"
        months[month] = months.get(month, 0) + 1
    fx.repairs_month = max(sorted(months), key=months.get)
    return True


def before_saves(app, fx: Fixture, count: int) -> None:
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


def pages(fx: Fixture) -> list[tuple]:
    """The worker's queue as the worker; the lists, a ticket, the plans as the logistics head."""
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


def saves(fx: Fixture) -> list[tuple]:
    """The worker's status changes, each on a ticket of the pool `before_saves`
    makes (request n on ticket n): start (assigned → in progress), put on hold with a
    reason, then resume with one tap in the queue (htmx; `back=queue`)."""

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


def reports(fx: Fixture) -> list[tuple]:
    return [(f"repairs: monthly summary, {fx.repairs_month} (the busiest month)",
             f"/repairs/summary?month={fx.repairs_month}", {}, MANAGER)]


GROWTH_PAIRS = [
    # (few, many, who): signed in as that Fixture field's account, or one for each side
    ("/repairs/?status=on_hold", "/repairs/?status=", "repairs_manager"),
    ("/repairs/queue", "/repairs/queue", ("repairs_quiet_worker", "repairs_worker")),
    ("/repairs/{repairs_quiet_ticket}", "/repairs/{repairs_busy_ticket}", "repairs_manager"),
]
