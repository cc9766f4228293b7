"""Reservations of shared kit by lesson period (periods and times are a setting), and
staff requests to borrow for a date range that the storekeeper approves. An approved
reservation keeps the item from being lent to anyone else in its time."""

from __future__ import annotations

from datetime import date, datetime, time, timedelta
from typing import Any

from flask_babel import lazy_gettext as _l
from flask_login import current_user
from sqlalchemy import select
from sqlalchemy.orm import joinedload

from schoolhq.assets import loans
from schoolhq.assets.models import Asset, Reservation
from schoolhq.core import audit, settings
from schoolhq.core.database import locked
from schoolhq.core.errors import ServiceError, get_or_raise
from schoolhq.core.timeutil import local_today, utcnow
from schoolhq.extensions import db

DEFAULT_PERIODS = [["1", "08:00", "08:40"], ["2", "08:50", "09:30"], ["3", "10:00", "10:40"],
                   ["4", "10:50", "11:30"], ["5", "14:00", "14:40"], ["6", "14:50", "15:30"],
                   ["7", "15:40", "16:20"]]
ACTIVE = ("requested", "approved")
STATUS_TONES = {"requested": "warn", "approved": "ok", "rejected": "muted",
                                            "cancelled": "muted"}


def periods_setting(value: Any) -> list[list[str]]:
    try:
        rows = [[str(key).strip(), time.fromisoformat(start).strftime("%H:%M"), time.fromisoformat(end).strftime("%H:%M")]
                for key, start, end in value]
    except (TypeError, ValueError):
        raise ServiceError(_l("Each period needs a name, a start and an end like 08:00."), "periods") from None
    if not rows or any(not key or start >= end for key, start, end in rows):
        raise ServiceError(_l("Each period needs a name, a start and an end like 08:00."), "periods")
    if len({key for key, _s, _e in rows}) != len(rows):
        raise ServiceError(_l("Two periods have the same name."), "periods")
    return rows



def periods() -> list[list[str]]:
    return settings.get("assets.periods")


def _actor_id():
    return current_user.id if current_user and getattr(current_user, "is_authenticated", False) else None


def conflicts(asset_id: int, starts_at: datetime, ends_at: datetime, exclude_id: int | None = None,
              statuses=ACTIVE) -> list[Reservation]:
    query = select(Reservation).where(Reservation.asset_id == asset_id, Reservation.status.in_(statuses),
                                      Reservation.starts_at < ends_at, Reservation.ends_at > starts_at)
    if exclude_id:
        query = query.where(Reservation.id != exclude_id)
    return list(db.session.scalars(query.order_by(Reservation.starts_at)))


def _lock_asset(asset_id: int) -> Asset:
    """Serialise bookings of one asset (PostgreSQL row lock; SQLite writers already queue)."""
    # Lock the bare row: PostgreSQL refuses FOR UPDATE across the eager outer joins.
    locked = db.session.scalar(select(Asset.id).where(Asset.id == asset_id).with_for_update())
    asset = db.session.get(Asset, locked) if locked is not None else None
    if asset is None:
        raise ServiceError(_l("That asset does not exist."), "asset_id")
    if not asset.loanable:
        raise ServiceError(_l("%(number)s %(name)s is not for loan.", number=asset.number, name=asset.name), "asset_id")
    return asset


def _check_person(person_id: int):
    from schoolhq.people.services import get_person

    person = get_person(person_id)
    if person.left_at is not None or (person.account is not None and not person.account.active):
        raise ServiceError(_l("%(name)s is no longer active and cannot borrow.", name=person.name), "person_id")
    return person


def _refuse_overlap(asset: Asset, starts_at: datetime, ends_at: datetime) -> None:
    clash = conflicts(asset.id, starts_at, ends_at)
    if clash:
        raise ServiceError(_l("%(number)s is already booked by %(name)s then.", number=asset.number,
                              name=clash[0].person.name), "slot")


def reserve_slot(asset_id: int, person_id: int, day: date, period_key: str, purpose: str = "") -> Reservation:
    asset = _lock_asset(asset_id)
    person = _check_person(person_id)
    period = next((p for p in periods() if p[0] == period_key), None)
    if period is None:
        raise ServiceError(_l("Unknown lesson period."), "slot")
    starts_at = loans.to_utc(datetime.combine(day, time.fromisoformat(period[1])))
    ends_at = loans.to_utc(datetime.combine(day, time.fromisoformat(period[2])))
    if ends_at <= utcnow():
        raise ServiceError(_l("That period is already over."), "slot")
    _refuse_overlap(asset, starts_at, ends_at)
    reservation = Reservation(asset_id=asset.id, person_id=person.id, kind="slot", period=period_key,
                              starts_at=starts_at, ends_at=ends_at, purpose=(purpose or "").strip()[:200],
                              status="approved", created_by_id=_actor_id())
    db.session.add(reservation)
    db.session.flush()
    audit.record("assets", "reservation.booked", reservation,
                 after={"asset": asset.number, "person": person.name, "day": day.isoformat(), "period": period_key},
                 summary=asset.number)
    return reservation


def request_borrow(asset_id: int, person_id: int, first_day: date | None, last_day: date | None,
                   purpose: str) -> Reservation:
    asset = _lock_asset(asset_id)
    person = _check_person(person_id)
    if first_day is None or last_day is None:
        raise ServiceError(_l("Choose the first and the last day."), "first_day")
    if first_day < local_today():
        raise ServiceError(_l("The first day is already past."), "first_day")
    if last_day < first_day:
        raise ServiceError(_l("The last day cannot come before the first."), "last_day")
    if (last_day - first_day).days > 120:
        raise ServiceError(_l("Ask for at most 120 days."), "last_day")
    if not (purpose or "").strip():
        raise ServiceError(_l("Say what it is for."), "purpose")
    starts_at = loans.to_utc(datetime.combine(first_day, time(0, 0)))
    ends_at = loans.to_utc(datetime.combine(last_day + timedelta(days=1), time(0, 0)))
    _refuse_overlap(asset, starts_at, ends_at)
    reservation = Reservation(asset_id=asset.id, person_id=person.id, kind="request", starts_at=starts_at,
                              ends_at=ends_at, purpose=purpose.strip()[:200], status="requested",
                              created_by_id=_actor_id())
    db.session.add(reservation)
    db.session.flush()
    audit.record("assets", "reservation.requested", reservation,
                 after={"asset": asset.number, "person": person.name, "from": first_day.isoformat(),
                        "to": last_day.isoformat()}, summary=asset.number)
    return reservation


def get(reservation_id: int) -> Reservation:
    return get_or_raise(Reservation, reservation_id, _l("That reservation does not exist."))


def _locked(reservation_id: int) -> Reservation:
    return locked(Reservation, reservation_id, _l("That reservation does not exist."))


def decide(reservation_id: int, approve: bool, note: str = "") -> Reservation:
    reservation = _locked(reservation_id)
    if reservation.status != "requested":
        raise ServiceError(_l("This request has already been answered."))
    if not approve and not (note or "").strip():
        raise ServiceError(_l("Say why the request is rejected."), "note")
    reservation.status = "approved" if approve else "rejected"
    reservation.note = (note or "").strip()[:200]
    reservation.decided_by_id, reservation.decided_at = _actor_id(), utcnow()
    db.session.flush()
    if reservation.person.account is not None:
        from flask import url_for

        from schoolhq.core.notifications import notify

        notify(reservation.person.account.id, "assets",
               _l("Your request to borrow %(name)s was approved.", name=reservation.asset.name) if approve
               else _l("Your request to borrow %(name)s was declined.", name=reservation.asset.name),
               reservation.note, url_for("assets.mine"))
    audit.record("assets", "reservation.approved" if approve else "reservation.rejected", reservation,
                 after={"note": reservation.note}, summary=reservation.asset.number)
    return reservation


def cancel(reservation_id: int) -> Reservation:
    reservation = _locked(reservation_id)
    if reservation.status not in ACTIVE:
        raise ServiceError(_l("This reservation is no longer active."))
    reservation.status = "cancelled"
    db.session.flush()
    audit.record("assets", "reservation.cancelled", reservation, summary=reservation.asset.number)
    return reservation


def blocking_for_checkout(asset_id: int, borrower_id: int, until: datetime) -> Reservation | None:
    """An approved booking by someone else between now and the due time."""
    for reservation in conflicts(asset_id, utcnow(), until, statuses=("approved",)):
        if reservation.person_id != borrower_id:
            return reservation
    return None


def week(asset_id: int, monday: date) -> dict[tuple[date, str], Reservation]:
    """The slots of one asset in one week: (day, period) -> reservation."""
    start = loans.to_utc(datetime.combine(monday, time(0, 0)))
    end = loans.to_utc(datetime.combine(monday + timedelta(days=7), time(0, 0)))
    grid: dict[tuple[date, str], Reservation] = {}
    from schoolhq.core.timeutil import to_local

    for reservation in conflicts(asset_id, start, end):
        local_start, local_end = to_local(reservation.starts_at), to_local(reservation.ends_at)
        for offset in range(7):
            day = monday + timedelta(days=offset)
            for key, p_start, p_end in periods():
                slot_start = datetime.combine(day, time.fromisoformat(p_start)).replace(tzinfo=local_start.tzinfo)
                slot_end = datetime.combine(day, time.fromisoformat(p_end)).replace(tzinfo=local_start.tzinfo)
                if local_start < slot_end and local_end > slot_start:
                    grid[(day, key)] = reservation
    return grid


def pending() -> list[Reservation]:
    return list(db.session.scalars(select(Reservation).options(joinedload(Reservation.asset), joinedload(Reservation.person))
                                   .where(Reservation.status == "requested")
                                   .order_by(Reservation.starts_at)))


def of_person(person_id: int) -> list[Reservation]:
    return list(db.session.scalars(select(Reservation).options(joinedload(Reservation.asset)).where(
        Reservation.person_id == person_id, Reservation.status.in_(ACTIVE), Reservation.ends_at > utcnow())
        .order_by(Reservation.starts_at)))
