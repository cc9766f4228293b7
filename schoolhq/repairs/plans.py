"""Preventive maintenance: plans that come due by the calendar (or from the last
completion) and are materialised into tickets, idempotently; the statutory inspection
register is a set of such plans with a legal reference and a required report."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time, timedelta

from flask_babel import lazy_gettext as _l
from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import joinedload

from schoolhq.core import audit, counters, settings
from schoolhq.core.calendar import is_school_day, terms
from schoolhq.core.database import locked
from schoolhq.core.errors import ServiceError, get_or_raise
from schoolhq.core.timeutil import (
    add_months,
    local_day_bounds_utc,
    local_today,
    school_zone,
    to_local,
)
from schoolhq.extensions import db
from schoolhq.repairs.models import MaintenancePlan, RepairCategory, Ticket
from schoolhq.repairs.services import OPEN, _event, domain

UNITS = {"day": _l("days"), "week": _l("weeks"), "month": _l("months"), "term": _l("terms")}


def add_interval(day: date, every: int, unit: str) -> date:
    if unit == "day":
        return day + timedelta(days=every)
    if unit == "week":
        return day + timedelta(weeks=every)
    if unit == "month":
        return add_months(day, every)
    # terms: the first day of the term `every` terms after the one that holds `day`
    starts = sorted(term.starts_on for term in terms() if term.starts_on > day)
    if len(starts) >= every:
        return starts[every - 1]
    raise ServiceError(_l("The school calendar has no term that far ahead; add the next terms."))


def _school_day_from(day: date) -> date:
    for _ in range(400):
        if is_school_day(day):
            return day
        day += timedelta(days=1)
    return day


@dataclass
class PlanData:
    title: str
    category_id: int | None
    assignee_id: int | None
    first_due_on: date | None
    every: str = "1"
    unit: str = "month"
    mode: str = "fixed"
    target: str = "location"
    location_id: int | None = None
    asset_id: int | None = None
    kind_key: str = ""
    steps: list[str] = field(default_factory=list)
    lead_days: str = "7"
    skip_holidays: bool = True
    statutory: bool = False
    evidence_required: bool = False
    reference: str = ""


def _whole(text, field_name: str, low: int, high: int) -> int:
    try:
        number = int(str(text).strip())
    except ValueError:
        raise ServiceError(_l("Enter a whole number."), field_name) from None
    if not low <= number <= high:
        raise ServiceError(_l("Enter a number from %(low)s to %(high)s.", low=low, high=high), field_name)
    return number


def save_plan(account, data: PlanData) -> MaintenancePlan:
    title = (data.title or "").strip()
    if not title:
        raise ServiceError(_l("Give the plan a title."), "title")
    category = db.session.get(RepairCategory, data.category_id or 0)
    if category is None:
        raise ServiceError(_l("Choose what kind of work it is."), "category_id")
    if not data.assignee_id:
        raise ServiceError(_l("Every plan needs one named person."), "assignee_id")
    from schoolhq.people.services import get_person

    assignee = get_person(data.assignee_id)
    if data.unit not in UNITS or data.mode not in ("fixed", "floating"):
        raise ServiceError(_l("Choose how often."), "unit")
    every = _whole(data.every, "every", 1, 120)
    lead = _whole(data.lead_days, "lead_days", 0, 180)
    if data.first_due_on is None:
        raise ServiceError(_l("Give the first due date."), "first_due_on")
    plan = MaintenancePlan(title=title[:120], category_id=category.id, assignee_id=assignee.id, every=every,
                           unit=data.unit, mode=data.mode, lead_days=lead, skip_holidays=bool(data.skip_holidays),
                           statutory=bool(data.statutory), evidence_required=bool(data.evidence_required),
                           reference=(data.reference or "").strip()[:200],
                           steps=[s.strip()[:200] for s in data.steps if s and s.strip()][:30],
                           next_due_on=data.first_due_on, target=data.target)
    if data.target == "asset":
        from schoolhq.assets.services import get_asset

        plan.asset_id = get_asset(data.asset_id or 0).id
    elif data.target == "kind":
        from schoolhq.assets.models import AssetKind

        if not db.session.scalar(select(AssetKind.id).where(AssetKind.key == data.kind_key)):
            raise ServiceError(_l("Choose the kind of asset."), "kind_key")
        plan.kind_key = data.kind_key
    elif data.target == "location":
        if not data.location_id:
            raise ServiceError(_l("Say where it is: choose the place."), "location_id")
        from schoolhq.places.services import get_location

        plan.location_id = get_location(data.location_id).id
    else:
        raise ServiceError(_l("Choose what the plan covers."), "target")
    db.session.add(plan)
    db.session.flush()
    audit.record("repairs", "plan.created", plan, after={"title": plan.title, "every": f"{every} {data.unit}"},
                 summary=plan.title)
    return plan


def get(plan_id: int) -> MaintenancePlan:
    return get_or_raise(MaintenancePlan, plan_id, _l("No such plan."))


def deactivate(plan_id: int) -> MaintenancePlan:
    plan = locked(MaintenancePlan, plan_id, _l("No such plan."))
    if not plan.active:
        return plan  # a second click: already stopped
    plan.active = False
    audit.record("repairs", "plan.deactivated", plan, summary=plan.title)
    return plan


def _targets(plan: MaintenancePlan) -> list[tuple[str, int, int | None]]:
    """(key, location id, asset id) of everything the plan covers today."""
    if plan.target == "location":
        return [(f"location:{plan.location_id}", plan.location_id, None)]
    from schoolhq.assets.models import Asset, AssetKind
    from schoolhq.assets.services import on_register

    query = select(Asset.id, Asset.location_id).where(on_register())
    if plan.target == "asset":
        query = query.where(Asset.id == plan.asset_id)
    else:
        query = query.join(AssetKind, AssetKind.id == Asset.kind_id).where(AssetKind.key == plan.kind_key)
    return [(f"asset:{asset_id}", location_id, asset_id) for asset_id, location_id in db.session.execute(query)]


def _end_of(day: date) -> datetime:
    close = time.fromisoformat(settings.get("work_day_end"))
    return datetime.combine(day, close, school_zone()).astimezone(UTC).replace(tzinfo=None)


def _ticket_for(plan: MaintenancePlan, due: date, key: str, location_id: int, asset_id: int | None) -> bool:
    plan_key = f"plan:{plan.id}:{key}:{due.isoformat()}"
    if db.session.scalar(select(Ticket.id).where(Ticket.plan_key == plan_key)) is not None:
        return False
    year = local_today().year
    description = plan.title + ("\n" + "\n".join(f"□ {step}" for step in plan.steps) if plan.steps else "")
    ticket = Ticket(number=f"BX{year}-{counters.next_value(f'repairs.ticket.{year}'):05d}", location_id=location_id,
                    asset_id=asset_id, category_id=plan.category_id, priority="normal", description=description,
                    status="assigned", assignee_id=plan.assignee_id, due_at=_end_of(due), plan_id=plan.id,
                    plan_due_on=due, plan_key=plan_key)
    try:
        with db.session.begin_nested():
            db.session.add(ticket)
            db.session.flush()
    except IntegrityError:  # made by another run at the same moment
        return False
    _event(ticket, "reported", None, _l("From the maintenance plan “%(title)s”, due %(due)s.", title=plan.title,
                                        due=due.isoformat()))
    if plan.assignee.account is not None:  # the lead-time reminder
        from flask import url_for

        from schoolhq.core.notifications import notify

        notify(plan.assignee.account.id, "repairs",
               _l("Due %(due)s: %(title)s", due=due.isoformat(), title=plan.title), plan.reference,
               url_for("repairs.ticket", ticket_id=ticket.id))
    return True


def materialise(today: date | None = None) -> int:
    """Create the tickets of every plan whose due day is within its lead time. Running it
    again creates nothing again (one ticket per plan, target and due day, held by a
    unique key in the database)."""
    today = today or local_today()
    created = 0
    for plan in db.session.scalars(select(MaintenancePlan).where(MaintenancePlan.active.is_(True))):
        for _ in range(24):
            due = _school_day_from(plan.next_due_on) if plan.skip_holidays else plan.next_due_on
            if due - timedelta(days=plan.lead_days) > today:
                break
            for key, location_id, asset_id in _targets(plan):
                created += _ticket_for(plan, due, key, location_id, asset_id)
            if plan.mode == "floating":
                break  # the next one is counted from the completion
            plan.next_due_on = add_interval(plan.next_due_on, plan.every, plan.unit)
    db.session.flush()
    return created


def after_completion(ticket: Ticket) -> None:
    """A floating plan's next due day counts from this completion."""
    plan = ticket.plan
    if plan is not None and plan.mode == "floating":
        done_on = to_local(ticket.completed_at).date()
        plan.next_due_on = max(add_interval(done_on, plan.every, plan.unit), plan.next_due_on)


def compliance(plan_ids: list[int]) -> dict[int, tuple[int, int]]:
    """(done on time, came due) per plan, for tickets whose due day has passed or that are done."""
    if not plan_ids:
        return {}
    today = local_today()
    result = {plan_id: (0, 0) for plan_id in plan_ids}
    rows = db.session.execute(select(Ticket.plan_id, Ticket.plan_due_on, Ticket.completed_at, Ticket.status)
                              .where(Ticket.plan_id.in_(plan_ids), Ticket.status.not_in(("cancelled", "declined"))))
    for plan_id, due, completed_at, status in rows:
        if due >= today and status in OPEN:
            continue
        on_time, total = result[plan_id]
        done_in_time = completed_at is not None and completed_at < local_day_bounds_utc(due + timedelta(days=1))[0]
        result[plan_id] = (on_time + done_in_time, total + 1)
    return result


def plans(include_inactive: bool = False) -> list[MaintenancePlan]:
    query = (select(MaintenancePlan).order_by(MaintenancePlan.statutory.desc(), MaintenancePlan.next_due_on)
             .options(joinedload(MaintenancePlan.category), joinedload(MaintenancePlan.location),
                      joinedload(MaintenancePlan.asset), joinedload(MaintenancePlan.assignee)))
    if not include_inactive:
        query = query.where(MaintenancePlan.active.is_(True))
    return list(db.session.scalars(query))


def add_statutory_register(account, location_id: int) -> int:
    """The statutory inspections of data/repairs.yaml as plans for the campus, each with
    a required report; the clicking manager is the named person until changed."""
    if not account.person_id:
        raise ServiceError(_l("Your account has no staff profile; ask the administrator to link one."))
    existing = set(db.session.scalars(select(MaintenancePlan.title).where(MaintenancePlan.statutory.is_(True))))
    categories = {c.name: c.id for c in db.session.scalars(select(RepairCategory))}
    added = 0
    for row in domain().get("statutory_inspections", []):
        if row.get("asset_kind"):
            added += _device_plans(account, row, existing, categories)
            continue
        if row["name"] in existing:
            continue
        reference = " ".join(filter(None, [row.get("ref", ""), f"({row.get('confidence', '')})", row.get("note", "")]))
        save_plan(account, PlanData(
            title=row["name"], category_id=categories.get(row.get("category")) or next(iter(categories.values())),
            assignee_id=account.person_id, first_due_on=add_interval(local_today(), row["months"], "month"),
            every=str(row["months"]), unit="month", lead_days=str(row.get("lead_days", 30)), target="location",
            location_id=location_id, statutory=True, evidence_required=True, reference=reference.strip(),
            skip_holidays=False))
        added += 1
    return added


def _device_plans(account, row: dict, existing: set[str], categories: dict[str, int]) -> int:
    """Special equipment (特种设备安全法 第40条): one statutory plan per device of the row's
    kind, due when its inspection certificate runs out, naming its registration."""
    from datetime import date as date_

    from schoolhq.assets.models import Asset, AssetKind

    devices = db.session.scalars(select(Asset).join(AssetKind, AssetKind.id == Asset.kind_id)
                                 .where(AssetKind.key == row["asset_kind"], Asset.status.not_in(("disposed", "lost")))
                                 .order_by(Asset.number))
    added = 0
    for device in devices:
        title = f"{row['name']} · {device.name} {device.number}"[:120]
        if title in existing:
            continue
        extra = device.extra or {}
        try:
            due = date_.fromisoformat(str(extra.get("inspection_valid_until") or ""))
        except ValueError:
            due = local_today()  # no certificate date on the register: due now, to be looked up
        registration = " ".join(filter(None, [
            f"使用登记证 {extra['registration_number']}" if extra.get("registration_number") else "",
            f"登记 {extra['registered_on']}" if extra.get("registered_on") else "",
            f"检验合格有效期至 {extra['inspection_valid_until']}" if extra.get("inspection_valid_until") else ""]))
        reference = " ".join(filter(None, [row.get("ref", ""), f"({row.get('confidence', '')})", registration,
                                           row.get("note", "")]))
        save_plan(account, PlanData(
            title=title, category_id=categories.get(row.get("category")) or next(iter(categories.values())),
            assignee_id=account.person_id, first_due_on=due, every=str(row["months"]), unit="month",
            lead_days=str(row.get("lead_days", 30)), target="asset", asset_id=device.id, statutory=True,
            evidence_required=True, reference=reference.strip()[:200], skip_holidays=False))
        added += 1
    return added


def overdue_statutory():
    """The open tickets of statutory inspections whose day has passed, the longest overdue
    first, with their plan's title."""
    return (select(Ticket, MaintenancePlan.title).join(MaintenancePlan, MaintenancePlan.id == Ticket.plan_id)
            .where(MaintenancePlan.statutory.is_(True), Ticket.status.in_(OPEN), Ticket.plan_due_on < local_today())
            .order_by(Ticket.plan_due_on, Ticket.id))
