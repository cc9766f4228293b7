"""Repair rules: reporting, the ticket's flow, the school-hours clock, verification by the
reporter, and the one function the checks area calls when an inspection item fails."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import timedelta
from functools import cache
from pathlib import Path
from typing import Any

import yaml
from flask import url_for
from flask_babel import get_locale
from flask_babel import lazy_gettext as _l
from sqlalchemy import func, select
from sqlalchemy.orm import joinedload, selectinload

from schoolhq.core import audit, counters, messages, settings, workhours
from schoolhq.core.database import locked
from schoolhq.core.errors import NotFound, ServiceError, get_or_raise
from schoolhq.core.permissions import can
from schoolhq.core.timeutil import local_today, utcnow
from schoolhq.extensions import db
from schoolhq.repairs.models import (
    RepairCategory,
    RepairPriority,
    Ticket,
    TicketEvent,
    TicketHelper,
    TicketPhoto,
)

OPEN = ("pending", "assigned", "in_progress", "on_hold")
#: action -> the statuses it may start from; anything else is refused
FLOW = {
    "assign": ("pending", "assigned", "on_hold"),
    "start": ("assigned",),
    "hold": ("assigned", "in_progress"),
    "resume": ("on_hold",),
    "complete": ("assigned", "in_progress"),
    "verify": ("completed",),
    "decline": ("pending", "assigned"),
    "cancel": ("pending", "assigned"),
}
STATUS_LABELS = {
    "pending": _l("Waiting to be assigned"), "assigned": _l("Assigned"), "in_progress": _l("Being fixed"),
    "on_hold": _l("On hold"), "completed": _l("Fixed, waiting for confirmation"), "verified": _l("Confirmed"),
    "declined": _l("Declined"), "cancelled": _l("Withdrawn"),
}
STATUS_TONES = {
    "pending": "warn", "assigned": "info", "in_progress": "warn", "on_hold": "warn", "completed": "info",
    "verified": "ok", "declined": "muted", "cancelled": "muted",
}
EVENT_LABELS = {
    "reported": _l("Reported"), "assigned": _l("Assigned"), "started": _l("Work started"), "held": _l("Put on hold"),
    "resumed": _l("Resumed"), "completed": _l("Completed"), "verified": _l("Confirmed"), "declined": _l("Declined"),
    "cancelled": _l("Withdrawn"), "comment": _l("Comment"), "occurrence": _l("Reported again"),
}


@cache
def domain() -> dict:
    return yaml.safe_load((Path(__file__).parent / "data" / "repairs.yaml").read_text(encoding="utf-8"))


def seed() -> None:
    """Categories and priorities from data/repairs.yaml, once; the school edits them after."""
    if not db.session.scalar(select(func.count(RepairCategory.id))):
        for order, name in enumerate(domain()["categories"]):
            db.session.add(RepairCategory(name=name, sort_order=order))
    known = set(db.session.scalars(select(RepairPriority.key)))
    for order, row in enumerate(domain()["priorities"]):
        if row["key"] not in known:
            db.session.add(RepairPriority(key=row["key"], name_zh=row["zh"], name_en=row["en"],
                                          target_hours=row.get("target_hours"), sort_order=order))
    db.session.flush()


def positive_int(value) -> int:
    try:
        number = int(value)
    except (TypeError, ValueError):
        raise ServiceError(_l("Enter a whole number."), "repairs") from None
    if number < 0 or number > 1000:
        raise ServiceError(_l("Enter a number between 0 and 1000."), "repairs")
    return number



def status_label(status: str) -> str:
    return str(STATUS_LABELS.get(status, status))


def event_label(kind: str) -> str:
    return str(EVENT_LABELS.get(kind, kind))


def categories() -> list[RepairCategory]:
    return list(db.session.scalars(select(RepairCategory).where(RepairCategory.archived_at.is_(None))
                                   .order_by(RepairCategory.sort_order)))


def priorities() -> list[RepairPriority]:
    return list(db.session.scalars(select(RepairPriority).order_by(RepairPriority.sort_order)))


def priority_name(priority: RepairPriority) -> str:
    return priority.name_zh if str(get_locale() or "").startswith("zh") else priority.name_en


def save_category(name: str, category_id: int | None = None) -> RepairCategory:
    from schoolhq.core.catalogue import save_named

    return save_named(RepairCategory, "repairs", name, category_id)


def set_target_hours(key: str, hours_text: str) -> RepairPriority:
    """A priority's target in school hours; empty means no due time. New tickets use it."""
    priority = db.session.get(RepairPriority, key or "")
    if priority is None:
        raise NotFound(_l("No such priority."))
    text = (hours_text or "").strip()
    if text:
        try:
            hours = int(text)
        except ValueError:
            raise ServiceError(_l("Enter the target in whole school hours, or leave it empty."), "hours") from None
        if not 1 <= hours <= 2000:
            raise ServiceError(_l("Enter the target in whole school hours, or leave it empty."), "hours")
    else:
        hours = None
    before = {"target_hours": priority.target_hours}
    priority.target_hours = hours
    db.session.flush()
    audit.record("repairs", "priority.updated", priority, before=before, after={"target_hours": hours},
                 summary=priority.key)
    return priority


def get(ticket_id: int) -> Ticket:
    return get_or_raise(Ticket, ticket_id, _l("No such ticket."))


def _locked(ticket_id: int) -> Ticket:
    return locked(Ticket, ticket_id, _l("No such ticket."))


def _allowed(ticket: Ticket, action: str) -> None:
    if ticket.status not in FLOW[action]:
        raise ServiceError(_l("A ticket that is “%(status)s” cannot be %(action)s.",
                              status=status_label(ticket.status), action=ACTION_WORDS[action]))


ACTION_WORDS = {
    "assign": _l("assigned"), "start": _l("started"), "hold": _l("put on hold"), "resume": _l("resumed"),
    "complete": _l("completed"), "verify": _l("confirmed as fixed"), "decline": _l("declined"), "cancel": _l("withdrawn"),
}


def _event(ticket: Ticket, kind: str, account=None, note="", data: dict | None = None) -> TicketEvent:
    """One line of the timeline; `note` as a person typed it, or a message the system
    wrote (core.messages), shown in the reader's language."""
    text, message = messages.store(note)
    row = TicketEvent(ticket_id=ticket.id, kind=kind, actor_id=account.id if account is not None else None,
                      note=text[:2000], note_message=message, data=data)
    db.session.add(row)
    return row


def _due(priority: RepairPriority, start) -> object:
    if priority.target_hours is None:
        return None
    return workhours.add_working_minutes(start, priority.target_hours * 60)


def _notify_reporter(ticket: Ticket, account=None) -> None:
    """Tell the reporter what happened to their ticket (not when they did it themself)."""
    from schoolhq.core.notifications import notify

    if ticket.reported_by_id and (account is None or account.id != ticket.reported_by_id):
        notify(ticket.reported_by_id, "repairs",
               _l("Ticket %(number)s: %(status)s", number=ticket.number, status=STATUS_LABELS[ticket.status]),
               _told(ticket), url_for("repairs.ticket", ticket_id=ticket.id))


def _told(ticket: Ticket):
    """The ticket's description as a notification tells it: in the reader's language when
    the system wrote it, the reporter's words (the first 200 characters) when a person did."""
    return messages.kept(ticket.description_message, ticket.description[:200])


# Reporting ----------------------------------------------------------------------------

@dataclass
class Report:
    location_id: int | None
    category_id: int | None
    priority: str
    #: what a person typed, or a message the system wrote (core.messages: a failed check,
    #: a damaged return), kept as such and shown in the reader's language
    description: object
    asset_id: int | None = None
    set_under_repair: bool = False
    photos: list = field(default_factory=list)
    #: photos already stored (a failed check item's evidence)
    photo_ids: list[int] = field(default_factory=list)


def report(account, data: Report, source_key: str | None = None, rate_limited: bool = True) -> Ticket:
    from schoolhq.places.services import get_location

    if not data.location_id:
        raise ServiceError(_l("Say where it is: choose the place."), "location_id")
    location = get_location(data.location_id)
    category = db.session.get(RepairCategory, data.category_id or 0)
    if category is None or category.archived_at is not None:
        raise ServiceError(_l("Choose what kind of repair it is."), "category_id")
    priority = db.session.get(RepairPriority, data.priority or "")
    if priority is None:
        raise ServiceError(_l("Choose how urgent it is."), "priority")
    description, description_message = messages.store(data.description)
    description = description.strip()
    if len(description) < 2:
        raise ServiceError(_l("Describe what is wrong."), "description")
    asset = None
    if data.asset_id:
        from schoolhq.assets.services import get_asset

        asset = get_asset(data.asset_id)
    if account is not None and rate_limited:
        limit = settings.get("repairs.reports_per_hour")
        from schoolhq.auth.services import locked_account

        locked_account(account.id)  # counted under the reporter's lock: a burst of reports takes turns
        recent = db.session.scalar(select(func.count(Ticket.id)).where(
            Ticket.reported_by_id == account.id, Ticket.reported_at >= utcnow() - timedelta(hours=1))) or 0
        if limit and recent >= limit:
            raise ServiceError(_l("You have reported %(n)s problems in the last hour; please wait a little or "
                                  "call the logistics office.", n=recent))
    now = utcnow()
    year = local_today().year
    ticket = Ticket(number=f"BX{year}-{counters.next_value(f'repairs.ticket.{year}'):05d}", location_id=location.id,
                    asset_id=asset.id if asset else None, category_id=category.id, priority=priority.key,
                    description=description[:4000], description_message=description_message,
                    reported_by_id=account.id if account is not None else None,
                    reported_at=now, due_at=_due(priority, now), source_key=source_key)
    db.session.add(ticket)
    db.session.flush()
    for photo in data.photos:
        if photo is not None and getattr(photo, "filename", ""):
            from schoolhq.core.uploads import save_upload

            db.session.add(TicketPhoto(ticket_id=ticket.id, attachment_id=save_upload(photo, images_only=True).id,
                                       stage="report"))
    for attachment_id in data.photo_ids:
        db.session.add(TicketPhoto(ticket_id=ticket.id, attachment_id=attachment_id, stage="report"))
    if asset is not None and data.set_under_repair and asset.status != "under_repair":
        from schoolhq.assets.services import record_event

        ticket.asset_status_before = asset.status
        asset.status = "under_repair"
        record_event(asset, "status_changed", {"from": ticket.asset_status_before, "to": "under_repair",
                                               "ticket": ticket.number})
    _event(ticket, "reported", account, data.description if description_message is not None else description)
    audit.record("repairs", "ticket.reported", ticket, after={"location": location.full_name,
                                                              "category": category.name}, summary=ticket.number)
    db.session.flush()
    return ticket


def open_or_add_occurrence(source_key: str, data: Report, account=None) -> tuple[Ticket, bool]:
    """For the checks area: a failed inspection item opens a ticket, unless the same item
    already has an open one at the same asset or place, which then counts one more
    occurrence. The inspector is the reporter (and confirms the fix), without the hourly
    limit: one round may fail many items. Returns (ticket, created)."""
    query = select(Ticket).where(Ticket.source_key == source_key, Ticket.status.in_(OPEN))
    query = query.where(Ticket.asset_id == data.asset_id) if data.asset_id else \
        query.where(Ticket.location_id == data.location_id)
    existing = db.session.scalar(query.order_by(Ticket.id).limit(1))
    if existing is not None:
        existing = _locked(existing.id)
        existing.occurrences += 1
        _event(existing, "occurrence", None, data.description, {"occurrences": existing.occurrences})
        db.session.flush()
        return existing, False
    return report(account, data, source_key=source_key, rate_limited=False), True


# The flow ------------------------------------------------------------------------------

def may_work_on(account, ticket: Ticket) -> bool:
    if can(account, "repairs.manage", ticket):
        return True
    if not account.person_id or not can(account, "repairs.work", ticket):
        return False
    if account.person_id == ticket.assignee_id:
        return True  # without loading the helpers: a list asks this of every row
    return account.person_id in {helper.person_id for helper in ticket.helpers}


def may_open(account, ticket: Ticket) -> bool:
    """Whether the ticket's page opens for this person: its reporter, its workers and the
    logistics office. Lists link a ticket only for them."""
    return ticket.reported_by_id == account.id or can(account, "repairs.manage", ticket) \
        or may_work_on(account, ticket)


def _require_worker(account, ticket: Ticket) -> None:
    if not may_work_on(account, ticket):
        raise ServiceError(_l("Only the assigned worker or the logistics office can do this."))


def assign(account, ticket_id: int, assignee_id: int | None, helper_ids: list[int] | None = None,
           contractor: str = "", note: str = "") -> Ticket:
    ticket = _locked(ticket_id)
    if not can(account, "repairs.manage", ticket):
        raise ServiceError(_l("Only the logistics office assigns tickets."))
    _allowed(ticket, "assign")
    contractor = (contractor or "").strip()[:100]
    if not assignee_id and not contractor:
        raise ServiceError(_l("Choose the responsible worker, or name the outside contractor."), "assignee_id")
    from schoolhq.people.services import get_person

    assignee = get_person(assignee_id) if assignee_id else None
    helpers = [get_person(pid) for pid in dict.fromkeys(helper_ids or []) if pid != assignee_id]
    if ticket.status != "pending" and (ticket.assignee_id, ticket.contractor, {h.person_id for h in ticket.helpers}) \
            == (assignee.id if assignee else None, contractor, {h.id for h in helpers}):
        return ticket  # the same people again (a second click): nothing to record or tell anyone
    ticket.assignee_id = assignee.id if assignee else None
    ticket.contractor = contractor
    ticket.helpers = [TicketHelper(person_id=helper.id) for helper in helpers]
    if ticket.status == "pending":
        ticket.status = "assigned"
    _event(ticket, "assigned", account, note, {"assignee": assignee.name if assignee else "", "contractor": contractor,
                                               "helpers": [h.name for h in helpers]})
    db.session.flush()
    _notify_reporter(ticket, account)
    if assignee is not None and assignee.account is not None:
        from schoolhq.core.notifications import notify

        notify(assignee.account.id, "repairs", _l("New ticket %(number)s for you", number=ticket.number),
               _told(ticket), url_for("repairs.ticket", ticket_id=ticket.id))
    return ticket


def assignee_warning(ticket: Ticket) -> str:
    """Why the person responsible may not be fit for this kind of work (an electrician's
    certificate or a safety training run out, for 电工/照明), as the areas that know say;
    "" when nothing is known against them or the work is done."""
    from schoolhq.areas import duty_problems

    if ticket.assignee_id is None or ticket.status not in ("assigned", "in_progress", "on_hold"):
        return ""
    return duty_problems(f"repairs:{ticket.category.name}", [ticket.assignee_id], local_today()).get(
        ticket.assignee_id, "")


def start(account, ticket_id: int) -> Ticket:
    ticket = _locked(ticket_id)
    _require_worker(account, ticket)
    _allowed(ticket, "start")
    ticket.status = "in_progress"
    _event(ticket, "started", account)
    db.session.flush()
    _notify_reporter(ticket, account)
    return ticket


def hold(account, ticket_id: int, reason: str) -> Ticket:
    """On hold stops the clock: what is left of the target is kept and resumes with it."""
    ticket = _locked(ticket_id)
    _require_worker(account, ticket)
    _allowed(ticket, "hold")
    reason = (reason or "").strip()
    if not reason:
        raise ServiceError(_l("Say why the work is on hold (waiting for parts, money, information …)."),
                           "reason")
    now = utcnow()
    ticket.held_minutes_left = workhours.working_minutes_between(now, ticket.due_at) if ticket.due_at else None
    ticket.status, ticket.hold_reason = "on_hold", reason[:100]
    _event(ticket, "held", account, reason)
    db.session.flush()
    _notify_reporter(ticket, account)
    return ticket


def resume(account, ticket_id: int) -> Ticket:
    ticket = _locked(ticket_id)
    _require_worker(account, ticket)
    _allowed(ticket, "resume")
    if ticket.held_minutes_left is not None:
        ticket.due_at = workhours.add_working_minutes(utcnow(), ticket.held_minutes_left)
    ticket.status, ticket.held_minutes_left, ticket.hold_reason = "in_progress", None, ""
    _event(ticket, "resumed", account)
    db.session.flush()
    _notify_reporter(ticket, account)
    return ticket


@dataclass
class Completion:
    work_done: str
    labour_minutes: str
    parts_used: str = ""
    outside_cost: str = ""
    after_photo: object = None
    #: parts taken from a store: (stock item id, quantity) — issued through the stock
    #: ledger to the worker, so the store's quantities stay true
    parts: list = field(default_factory=list)
    store_id: int | None = None
    #: the inspection report (PDF or photo) a statutory plan requires
    evidence: object = None


def complete(account, ticket_id: int, data: Completion) -> Ticket:
    from schoolhq.core.money import parse_yuan

    ticket = _locked(ticket_id)
    _require_worker(account, ticket)
    _allowed(ticket, "complete")
    work_done = (data.work_done or "").strip()
    if not work_done:
        raise ServiceError(_l("Say what was done."), "work_done")
    try:
        minutes = int(str(data.labour_minutes or "").strip())
    except ValueError:
        raise ServiceError(_l("Enter the labour time in whole minutes."), "labour_minutes") from None
    if not 0 < minutes <= 100 * 60:
        raise ServiceError(_l("Enter the labour time in whole minutes."), "labour_minutes")
    cost = parse_yuan(data.outside_cost, "outside_cost") if str(data.outside_cost or "").strip() else 0
    if cost < 0:
        raise ServiceError(_l("The cost cannot be negative."), "outside_cost")
    from schoolhq.core.uploads import save_upload

    needs_report = ticket.plan is not None and ticket.plan.evidence_required
    has = {name: value is not None and bool(getattr(value, "filename", ""))
           for name, value in (("after_photo", data.after_photo), ("evidence", data.evidence))}
    if needs_report and not has["evidence"]:
        raise ServiceError(_l("Upload the inspection report (PDF or photo)."), "evidence")
    if not needs_report and not has["after_photo"]:
        raise ServiceError(_l("Take a photo of the finished work."), "after_photo")
    if has["evidence"]:
        ticket.evidence_id = save_upload(data.evidence).id
    if has["after_photo"]:
        photo = save_upload(data.after_photo, images_only=True)
        ticket.after_photo_id = photo.id
        db.session.add(TicketPhoto(ticket_id=ticket.id, attachment_id=photo.id, stage="after"))
    parts = [(item_id, str(quantity).strip()) for item_id, quantity in data.parts if item_id and str(quantity).strip()]
    if parts:
        ticket.parts_cost_fen, names = _issue_parts(account, ticket, parts, data.store_id)
        data.parts_used = data.parts_used or names
    ticket.work_done, ticket.parts_used = work_done[:4000], (data.parts_used or "").strip()[:300]
    ticket.labour_minutes, ticket.outside_cost_fen = minutes, cost
    ticket.status, ticket.completed_at = "completed", utcnow()
    if ticket.asset_id and ticket.asset_status_before:
        asset = ticket.asset
        if asset.status == "under_repair":
            from schoolhq.assets.services import record_event

            asset.status = ticket.asset_status_before
            record_event(asset, "status_changed", {"from": "under_repair", "to": asset.status,
                                                   "ticket": ticket.number})
    _event(ticket, "completed", account, work_done, {"labour_minutes": minutes, "outside_cost_fen": cost,
                                                     "parts": ticket.parts_used})
    if ticket.plan_id:
        from schoolhq.repairs.plans import after_completion

        after_completion(ticket)
    db.session.flush()
    _notify_reporter(ticket, account)
    return ticket


def spare_parts(text: str = "", item_ids: list[int] | None = None, limit: int = 12,
                in_stock_only: bool = True) -> list[tuple[Any, int]]:
    """(stock item, quantity on hand) of the parts matching what was typed or scanned
    (name, spec, pinyin, initials, barcode), or of the given ids; those in stock first
    come only, unless `in_stock_only` is off (a refused form's chosen parts)."""
    from schoolhq.stock import services as stock
    from schoolhq.stock.models import StockItem

    query = stock.item_rows(stock.ItemFilters(text=text))
    if item_ids is not None:
        query = query.where(StockItem.id.in_(item_ids))
    rows = db.session.execute(query.limit(limit * 5 if in_stock_only else limit)).all()
    return [(item, quantity) for item, quantity, _value in rows if quantity or not in_stock_only][:limit]


def _issue_parts(account, ticket: Ticket, parts: list[tuple[int, str]], store_id: int | None) -> tuple[int, str]:
    """Spare parts go out of the store on the stock ledger, charged to the worker, with
    the ticket as the purpose; returns their value at cost and a list of their names."""
    from schoolhq.stock import requisitions
    from schoolhq.stock.models import RequisitionLine, StockMovement

    if not account.person_id:
        raise ServiceError(_l("Your account has no staff profile; ask the administrator to link one."))
    requisition = requisitions.issue_at_counter(
        account, store_id, account.person_id, [requisitions.CounterLine(item_id, quantity) for item_id, quantity in parts],
        str(_l("Repair %(number)s", number=ticket.number)), on_paper=True)
    ticket.parts_requisition_id = requisition.id
    value = db.session.scalar(select(func.coalesce(func.sum(StockMovement.value_fen), 0))
                              .join(RequisitionLine, RequisitionLine.id == StockMovement.requisition_line_id)
                              .where(RequisitionLine.requisition_id == requisition.id)) or 0
    from schoolhq.stock.services import format_quantity

    names = "、".join(f"{line.item.name}{line.item.spec} {format_quantity(line.quantity_milli)}{line.item.unit}"
                     for line in requisition.lines)
    return int(-value), names


def verify(account, ticket_id: int, rating, comment: str = "") -> Ticket:
    """The reporter confirms the fix with one tap and a 1–3 rating; the lowest needs a comment."""
    ticket = _locked(ticket_id)
    if account is None or account.id != ticket.reported_by_id:
        raise ServiceError(_l("Only the person who reported it can confirm the fix."))
    _allowed(ticket, "verify")
    try:
        rating = int(rating)
    except (TypeError, ValueError):
        rating = 0
    if rating not in (1, 2, 3):
        raise ServiceError(_l("Choose how satisfied you are (1 to 3)."), "rating")
    comment = (comment or "").strip()
    if rating == 1 and not comment:
        raise ServiceError(_l("Say what was not right."), "comment")
    ticket.status, ticket.rating, ticket.rating_comment = "verified", rating, comment[:300]
    ticket.verified_at = ticket.closed_at = utcnow()
    ticket.verified_by_id = account.id
    _event(ticket, "verified", account, comment, {"rating": rating})
    db.session.flush()
    return ticket


#: how far back auto-confirmation looks for its school days before giving up
AUTO_VERIFY_LOOKBACK_DAYS = 400


def auto_verify() -> int:
    """Completed tickets nobody confirmed within the set number of school days count as
    verified by the system. Safe to run any number of times."""
    from schoolhq.core.calendar import is_school_day

    days = settings.get("repairs.auto_verify_school_days")
    cutoff, counted = local_today(), 0
    while counted < days:
        cutoff -= timedelta(days=1)
        if is_school_day(cutoff):
            counted += 1
        elif cutoff < local_today() - timedelta(days=AUTO_VERIFY_LOOKBACK_DAYS):
            return 0  # no terms in the calendar yet: no school days to count, nobody to confirm for
    from schoolhq.core.timeutil import local_day_bounds_utc

    limit = local_day_bounds_utc(cutoff)[0]
    done = 0
    for ticket_id in db.session.scalars(select(Ticket.id).where(Ticket.status == "completed",
                                                                Ticket.completed_at < limit)):
        ticket = _locked(ticket_id)
        if ticket.status != "completed":
            continue
        ticket.status, ticket.verified_at, ticket.closed_at = "verified", utcnow(), utcnow()
        _event(ticket, "verified", None, str(_l("Confirmed automatically after %(n)s school days.", n=days)))
        done += 1
    db.session.flush()
    return done


def decline(account, ticket_id: int, reason: str) -> Ticket:
    ticket = _locked(ticket_id)
    if not can(account, "repairs.manage", ticket):
        raise ServiceError(_l("Only the logistics office can decline a ticket."))
    _allowed(ticket, "decline")
    reason = (reason or "").strip()
    if not reason:
        raise ServiceError(_l("Say why the ticket is declined."), "reason")
    ticket.status, ticket.declined_reason, ticket.closed_at = "declined", reason[:300], utcnow()
    _event(ticket, "declined", account, reason)
    db.session.flush()
    _notify_reporter(ticket, account)
    return ticket


def cancel(account, ticket_id: int) -> Ticket:
    ticket = _locked(ticket_id)
    if account.id != ticket.reported_by_id and not can(account, "repairs.manage", ticket):
        raise ServiceError(_l("Only the person who reported it or the logistics office can withdraw it."))
    _allowed(ticket, "cancel")
    ticket.status, ticket.closed_at = "cancelled", utcnow()
    _event(ticket, "cancelled", account)
    db.session.flush()
    _notify_reporter(ticket, account)
    return ticket


def comment(account, ticket_id: int, text: str) -> TicketEvent:
    ticket = get(ticket_id)
    text = (text or "").strip()
    if not text:
        raise ServiceError(_l("Write the comment first."), "text")
    row = _event(ticket, "comment", account, text)
    db.session.flush()
    return row


# Reading -------------------------------------------------------------------------------

def timeline(ticket_id: int) -> list[TicketEvent]:
    from schoolhq.auth.models import Account

    return list(db.session.scalars(select(TicketEvent).where(TicketEvent.ticket_id == ticket_id)
                                   .options(joinedload(TicketEvent.actor).joinedload(Account.person))
                                   .order_by(TicketEvent.id)))


def photos(ticket_id: int) -> list[TicketPhoto]:
    return list(db.session.scalars(select(TicketPhoto).where(TicketPhoto.ticket_id == ticket_id)
                                   .order_by(TicketPhoto.id)))


def for_asset(asset_id: int) -> list[Ticket]:
    """An asset's tickets, newest first, for its page and its cost of ownership."""
    return list(db.session.scalars(select(Ticket).where(Ticket.asset_id == asset_id).order_by(Ticket.id.desc())))


def at_location(location_id: int, limit: int = 20) -> list[Ticket]:
    """A room's recent tickets, newest first, with what they cost."""
    return list(db.session.scalars(select(Ticket).where(Ticket.location_id == location_id)
                                   .order_by(Ticket.id.desc()).limit(limit)))


def is_overdue(ticket: Ticket) -> bool:
    return ticket.status in ("pending", "assigned", "in_progress") and ticket.due_at is not None \
        and ticket.due_at < utcnow()


def queue_for(account):
    """A worker's open tickets, soonest due first (no due time last)."""
    helped = select(TicketHelper.ticket_id).where(TicketHelper.person_id == account.person_id)
    return (select(Ticket).where(Ticket.status.in_(OPEN),
                                 (Ticket.assignee_id == account.person_id) | Ticket.id.in_(helped))
            .order_by(Ticket.due_at.is_(None), Ticket.due_at, Ticket.id))


def reported_by(account):
    return select(Ticket).where(Ticket.reported_by_id == account.id).order_by(Ticket.id.desc())


#: who opens the list of all tickets, the repeat places and the summary: each sees the
#: tickets of the places their grants of these reach (a school-wide grant: every ticket)
LIST_PERMISSIONS = ("repairs.manage", "repairs.work")


def within_scope(query, account, permissions=LIST_PERMISSIONS):
    """Tickets at the places the person's grants of `permissions` reach; `account` None:
    every ticket (the scheduler, the school-wide dashboard)."""
    from schoolhq.core.permissions import within_scopes

    return query if account is None else within_scopes(query, account, permissions, location_id=Ticket.location_id)


def all_tickets(status: str = "", overdue: bool = False, account=None):
    # the helpers with the page: each row asks may_open, which a worker answers from them
    query = within_scope(select(Ticket).options(selectinload(Ticket.helpers)), account)
    if status == "open":
        query = query.where(Ticket.status.in_(OPEN))
    elif status:
        query = query.where(Ticket.status == status)
    if overdue:
        query = query.where(Ticket.status.in_(("pending", "assigned", "in_progress")), Ticket.due_at < utcnow())
    if overdue or status == "open" or status in OPEN:
        # work still to do: soonest due first (a few dozen rows)
        return query.order_by(Ticket.due_at.is_(None), Ticket.due_at, Ticket.id.desc())
    # the history: newest first, straight down the primary key however long it is
    return query.order_by(Ticket.id.desc())


def repeat_places(days: int = 90, times: int = 3, account=None, permissions=LIST_PERMISSIONS) -> list[tuple]:
    """(place, category, count) reported `times` or more in the last `days` days, at the
    places `account` reaches."""
    from schoolhq.core.permissions import within_scopes
    from schoolhq.places.models import Location

    since = utcnow() - timedelta(days=days)
    query = (select(Location, RepairCategory, func.count(Ticket.id))
             .join(Ticket, Ticket.location_id == Location.id).join(RepairCategory, RepairCategory.id == Ticket.category_id)
             .where(Ticket.reported_at >= since, Ticket.status != "cancelled")
             .group_by(Location.id, RepairCategory.id).having(func.count(Ticket.id) >= times))
    if account is not None:
        query = within_scopes(query, account, permissions, location_path=Location.path)
    rows = db.session.execute(query)
    return [(location, category, count) for location, category, count in rows]


# Hooks into the rest of the system ----------------------------------------------------

def open_for_damaged_return(loan, note: str) -> None:
    """An item came back damaged at the returns desk: a ticket for it, at its room."""
    from flask_login import current_user

    category = db.session.scalar(select(RepairCategory).where(RepairCategory.name == "信息化设备")) \
        or (categories() or [None])[0]
    if category is None:
        return
    account = current_user if current_user and current_user.is_authenticated else None
    report(account, Report(location_id=loan.asset.location_id, category_id=category.id, priority="normal",
                           description=_l("Returned damaged: %(note)s", note=note or ""), asset_id=loan.asset_id,
                           set_under_repair=True))


@cache
def _ticket_names() -> tuple:
    """What the dashboard reads beside a ticket (its place and kind) and the joins that read
    it, made once: building these expressions is most of a small query's cost."""
    from schoolhq.places.models import Location

    return ((Ticket.id, Ticket.number, Ticket.description, Ticket.due_at, Ticket.reported_at, Ticket.plan_due_on,
             Location.name.label("place"), RepairCategory.name.label("category")),
            ((Location, Location.id == Ticket.location_id), (RepairCategory, RepairCategory.id == Ticket.category_id)))


def _named_tickets(query, note=None, columns=(), what=None) -> tuple:
    """How many tickets `query` (a select of Ticket) holds, and the first few by name:
    number, place and what (`what(row)`, else the kind and the description), with
    `note(row)`, each to its page; one statement. `columns`: more to read of its joins."""
    from schoolhq.dashboard.services import Entry, first_rows, joined

    names, joins = _ticket_names()
    query = query.with_only_columns(*names, *columns)
    for target, onclause in joins:
        query = query.join(target, onclause)
    total, rows = first_rows(query)
    entries = []
    for row in rows:
        description = row.description.splitlines()[0] if row.description else ""
        words = what(row) if what else joined(row.category, description[:24] + ("…" if len(description) > 24 else ""))
        entries.append(Entry(joined(row.number, row.place, words), url_for("repairs.ticket", ticket_id=row.id),
                             note(row) if note else ""))
    return total, entries


def dashboard_items(account):
    """A worker's queue; the office's unassigned and overdue tickets, at the places its
    grant of repairs.manage reaches, and for the whole school's office the places with
    repeated faults and the overdue statutory inspections; the reporter's repairs to
    confirm. Each ticket named, to its page."""
    from schoolhq.core.permissions import unscoped
    from schoolhq.core.timeutil import local_day_bounds_utc
    from schoolhq.dashboard.services import Item, late, waiting

    def late_if_due(row) -> str:
        return late(row.due_at) if row.due_at is not None and row.due_at < utcnow() else ""

    items = []
    if account.person_id and can(account, "repairs.work"):
        mine, entries = _named_tickets(queue_for(account), late_if_due)
        items.append(Item("repairs", _l("Repair tickets for you"), mine, url_for("repairs.queue"), entries=entries))
    if can(account, "repairs.manage"):
        def office(query):
            return within_scope(query, account, ("repairs.manage",))

        waiting_count, entries = _named_tickets(office(all_tickets("pending")), lambda row: waiting(row.reported_at))
        items.append(Item("repairs", _l("Repair tickets waiting to be assigned"), waiting_count,
                          url_for("repairs.index", status="pending"), "warning", entries))
        overdue, entries = _named_tickets(office(all_tickets(overdue=True)), lambda row: late(row.due_at))
        items.append(Item("repairs", _l("Overdue repair tickets"), overdue, url_for("repairs.index", overdue=1),
                          "danger", entries))
    if unscoped(account, "repairs.manage"):
        items.append(Item("repairs", _l("Places with repeated faults (3 in 90 days)"), len(repeat_places()),
                          url_for("repairs.index", repeats=1), "warning"))
        from schoolhq.repairs.models import MaintenancePlan
        from schoolhq.repairs.plans import overdue_statutory

        def day_late(row) -> str:
            return late(local_day_bounds_utc(row.plan_due_on)[0]) if row.plan_due_on else ""

        statutory, entries = _named_tickets(overdue_statutory(), day_late, (MaintenancePlan.title.label("plan"),),
                                            what=lambda row: row.plan)
        items.append(Item("repairs", _l("Statutory inspections overdue"), statutory, url_for("repairs.plan_list"),
                          "danger", entries))
    to_confirm, entries = _named_tickets(select(Ticket).where(Ticket.reported_by_id == account.id,
                                                              Ticket.status == "completed").order_by(Ticket.id))
    items.append(Item("repairs", _l("Repairs to confirm"), to_confirm, url_for("repairs.mine"), "warning", entries))
    return items


def attachment_rule(attachment, account):
    row = db.session.scalar(select(TicketPhoto.ticket_id).where(TicketPhoto.attachment_id == attachment.id).limit(1))
    if row is None:
        row = db.session.scalar(select(Ticket.id).where(Ticket.evidence_id == attachment.id).limit(1))
    if row is None:
        return None
    ticket = get(row)
    return account.id == ticket.reported_by_id or may_work_on(account, ticket) or can(account, "repairs.manage", ticket)


def materialise_plans() -> int:
    from schoolhq.repairs.plans import materialise

    return materialise()
