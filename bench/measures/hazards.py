"""What the bench measures of the hazard register, as the logistics head: the list (not
closed, past the deadline, all), the hazard with the longest history and the reopened one
(with its forms), and the month's 隐患排查整改台账 as A4 and as XLSX."""

from __future__ import annotations

from harness.measure import Fixture

#: who the hazard pages are measured as: a Fixture field with the username
HAZARDS = {"as": "hazards_manager"}


def find(fx: Fixture) -> bool:
    """The hazards and the account the pages open (in an app context); False when the
    register is empty."""
    from sqlalchemy import func, select

    from schoolhq.auth.models import Account, Role, RoleAssignment
    from schoolhq.core.timeutil import local_today
    from schoolhq.extensions import db
    from schoolhq.hazards.models import Hazard, HazardEvent
    from schoolhq.hazards.services import OPEN, UNCLOSED

    total = db.session.scalar(select(func.count(Hazard.id))) or 0
    if not total:
        return False
    today = local_today()
    # who signs in: a school-wide logistics head (hazards.view, .manage, .recheck)
    fx.hazards_manager = db.session.scalars(
        select(Account.username).join(RoleAssignment, RoleAssignment.account_id == Account.id)
        .join(Role, Role.id == RoleAssignment.role_id)
        .where(Role.code == "logistics_head", Account.active.is_(True), RoleAssignment.location_id.is_(None),
               RoleAssignment.department_id.is_(None)).order_by(Account.id)).first()
    fx.hazards_total = total
    fx.hazards_unclosed = db.session.scalar(select(func.count(Hazard.id)).where(Hazard.status.in_(UNCLOSED)))
    fx.hazards_overdue = db.session.scalar(select(func.count(Hazard.id)).where(Hazard.status.in_(OPEN),
                                                                               Hazard.deadline < today))
    # the closed hazards with the longest and the shortest history, and the reopened one
    events = func.count(HazardEvent.id)
    closed = (select(Hazard.id, events).join(HazardEvent, HazardEvent.hazard_id == Hazard.id)
              .where(Hazard.status == "closed").group_by(Hazard.id))
    fx.hazards_long, fx.hazards_long_events = db.session.execute(closed.order_by(events.desc(), Hazard.id.desc())
                                                                 .limit(1)).one()
    fx.hazards_short, fx.hazards_short_events = db.session.execute(closed.order_by(events, Hazard.id.desc())
                                                                   .limit(1)).one()
    fx.hazards_reopened = db.session.scalar(select(Hazard.id).where(Hazard.status == "reopened")
                                            .order_by(Hazard.id.desc()).limit(1)) or \
        db.session.scalar(select(Hazard.id).where(Hazard.status.in_(UNCLOSED)).order_by(Hazard.id.desc()).limit(1))
    # the ledger: the month with the most hazards found (the latest of equals), and the fewest
    months: dict[str, int] = {}
    for (day,) in db.session.execute(select(Hazard.found_on)):
        months[f"{day:%Y-%m}"] = months.get(f"{day:%Y-%m}", 0) + 1
    fx.hazards_month = max(sorted(months, reverse=True), key=months.get)
    fx.hazards_quiet_month = min(sorted(months), key=months.get)
    fx.hazards_month_rows = months[fx.hazards_month]
    return True


def pages(fx: Fixture) -> list[tuple]:
    """The lists, two hazards and the busiest month's register, as the logistics head."""
    return [
        (f"hazards: not closed ({fx.hazards_unclosed})", "/hazards/", {}, HAZARDS),
        (f"hazards: past their deadline ({fx.hazards_overdue})", "/hazards/?status=overdue", {}, HAZARDS),
        (f"hazards: all ({fx.hazards_total:,}), page 1", "/hazards/?status=all", {}, HAZARDS),
        (f"hazards: a closed hazard, longest history ({fx.hazards_long_events} events)",
         f"/hazards/{fx.hazards_long}", {}, HAZARDS),
        ("hazards: the reopened hazard (its rectify and change forms)", f"/hazards/{fx.hazards_reopened}", {},
         HAZARDS),
        (f"hazards: register, {fx.hazards_month} ({fx.hazards_month_rows} hazards)",
         f"/hazards/ledger?month={fx.hazards_month}", {}, HAZARDS),
    ]


def saves(fx: Fixture) -> list[tuple]:
    return []


def reports(fx: Fixture) -> list[tuple]:
    """The month's register as XLSX: a download, held to the report budget."""
    return [(f"hazards: register, {fx.hazards_month}, XLSX", f"/hazards/ledger?month={fx.hazards_month}&format=xlsx",
             {}, HAZARDS)]


GROWTH_PAIRS = [
    ("/hazards/?status=overdue", "/hazards/?status=all", "hazards_manager"),
    ("/hazards/{hazards_short}", "/hazards/{hazards_long}", "hazards_manager"),
    ("/hazards/ledger?month={hazards_quiet_month}", "/hazards/ledger?month={hazards_month}", "hazards_manager"),
    ("/hazards/ledger?month={hazards_quiet_month}&format=xlsx", "/hazards/ledger?month={hazards_month}&format=xlsx",
     "hazards_manager"),
]
