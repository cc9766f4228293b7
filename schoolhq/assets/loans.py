"""Loans: the desk's due choices, checking out and in (one open loan per asset, held by the
database too), slips, and who holds what."""

from __future__ import annotations

import secrets
from datetime import date, datetime, time, timedelta
from typing import Any

from flask_babel import lazy_gettext as _l
from flask_login import current_user
from sqlalchemy import select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import joinedload

from schoolhq.assets.models import (
    Asset,
    Loan,
)
from schoolhq.assets.services import (
    MANUAL_STATUSES,
    _within_scope,
    get_asset,
    on_register,
    open_loan,
    record_event,
    status_name,
)
from schoolhq.core import audit, settings
from schoolhq.core.database import locked_all
from schoolhq.core.errors import ServiceError
from schoolhq.core.timeutil import local_today, school_zone, utcnow
from schoolhq.core.uploads import save_signature
from schoolhq.extensions import db


def due_choices() -> list[tuple[str, Any, datetime]]:
    """The due chips at the desk: (key, label, UTC instant)."""
    from schoolhq.core import calendar

    today = local_today()
    after_school = time.fromisoformat(settings.get("assets.after_school"))

    def at(day: date) -> datetime:
        return to_utc(datetime.combine(day, after_school))

    friday = today + timedelta(days=(4 - today.weekday()) % 7)
    choices = [("today", _l("Today after school"), at(today)),
               ("tomorrow", _l("Tomorrow"), at(today + timedelta(days=1))),
               ("friday", _l("This Friday"), at(friday))]
    term = calendar.term_for(today)
    if term is not None:
        choices.append(("term", _l("End of term"), at(term.ends_on)))
    now = utcnow()
    seen: set[datetime] = set()
    kept = []
    for key, label, instant in choices:  # no chip for a time already past, none twice
        if instant > now and instant not in seen:
            seen.add(instant)
            kept.append((key, label, instant))
    return kept


def to_local_text(instant: datetime) -> str:
    from schoolhq.core.timeutil import to_local

    return to_local(instant).strftime("%m-%d %H:%M")


def to_utc(local: datetime) -> datetime:
    from datetime import UTC

    return local.replace(tzinfo=school_zone()).astimezone(UTC).replace(tzinfo=None)


def due_from(choice: str, custom: date | None) -> datetime:
    if choice == "date":
        if custom is None:
            raise ServiceError(_l("Pick the due date."), "due_date")
        return to_utc(datetime.combine(custom, time.fromisoformat(settings.get("assets.after_school"))))
    for key, _label, instant in due_choices():
        if key == choice:
            return instant
    raise ServiceError(_l("Choose when the items are due back."), "due")


def why_not_lendable(asset: Asset):
    """None when the asset may go out now, else the message saying why not."""
    if not asset.loanable:
        return _l("%(number)s %(name)s is not for loan.", number=asset.number, name=asset.name)
    if asset.status == "on_loan" or open_loan(asset.id) is not None:
        return _l("%(number)s %(name)s is already on loan.", number=asset.number, name=asset.name)
    if not asset.status_row.can_loan and asset.status != "in_use":
        return _l("%(number)s %(name)s cannot be lent while it is %(status)s.", number=asset.number,
                  name=asset.name, status=status_name(asset.status))
    return None


def checkout(asset_ids: list[int], borrower_id: int, due_at: datetime, condition: str = "",
             signature_data_url: str | None = None, require_signature: bool = True) -> list[Loan]:
    """Lend one or several items on one slip. All or nothing: one item that cannot go
    out stops the whole checkout with a message naming it."""
    from schoolhq.people.services import get_person

    if not asset_ids:
        raise ServiceError(_l("Scan at least one item."), "tags")
    if len(set(asset_ids)) != len(asset_ids):
        raise ServiceError(_l("The same item is in the list twice."), "tags")
    borrower = get_person(borrower_id)
    if borrower.left_at is not None or (borrower.account is not None and not borrower.account.active):
        raise ServiceError(_l("%(name)s is no longer active and cannot borrow.", name=borrower.name), "borrower_id")
    if due_at <= utcnow():
        raise ServiceError(_l("The due time is already past."), "due")
    assets = []
    # locked: of fifty desks lending the same laptop, the others wait and then read it lent
    for asset in locked_all(Asset, asset_ids, _l("That asset does not exist.")):
        reason = why_not_lendable(asset)
        if reason is not None:
            raise ServiceError(reason, "tags")
        from schoolhq.assets.reservations import blocking_for_checkout

        booked = blocking_for_checkout(asset.id, borrower.id, due_at)
        if booked is not None:
            raise ServiceError(_l("%(number)s is reserved by %(name)s from %(start)s.", number=asset.number,
                                  name=booked.person.name,
                                  start=to_local_text(booked.starts_at)), "tags")
        assets.append(asset)
    signature = save_signature(signature_data_url, _l("The borrower has not signed.")) if (require_signature or signature_data_url) else None
    slip = _new_slip()
    loans = []
    for asset in assets:
        loan = Loan(asset_id=asset.id, borrower_id=borrower.id, slip=slip, due_at=due_at,
                    condition_out=(condition or "").strip()[:300], signature_id=signature.id if signature else None,
                    status_before=asset.status,
                    out_by_id=current_user.id if current_user and current_user.is_authenticated else None)
        db.session.add(loan)
        try:
            with db.session.begin_nested():
                db.session.flush()
        except IntegrityError:
            raise ServiceError(_l("%(number)s %(name)s was just lent at another desk.", number=asset.number,
                                  name=asset.name), "tags") from None
        asset.status = "on_loan"
        record_event(asset, "checked_out", {"loan_id": loan.id, "slip": slip, "borrower": borrower.name,
                                       "due_at": due_at.isoformat()})
        audit.record("assets", "loan.checked_out", loan, after={"asset": asset.number, "borrower": borrower.name,
                                                                 "due_at": due_at.isoformat()}, summary=slip)
        loans.append(loan)
    db.session.flush()
    return loans


def checkin(asset_id: int, condition: str = "", checklist: dict[str, bool] | None = None,
            damaged: bool = False, photo=None) -> Loan:
    asset = get_asset(asset_id)
    loan = open_loan(asset.id)
    if loan is None:
        raise ServiceError(_l("%(number)s %(name)s is not on loan.", number=asset.number, name=asset.name), "tags")
    wanted = [item["zh"] for item in (asset.kind.return_checklist if asset.kind else [])]
    answers = {item: bool((checklist or {}).get(item)) for item in wanted}
    if damaged and not (condition or "").strip():
        raise ServiceError(_l("Describe the damage."), "condition")
    # Two desks returning the same item at once: only the first closes the loan.
    closed = db.session.execute(update(Loan).where(Loan.id == loan.id, Loan.returned_at.is_(None))
                                .values(returned_at=utcnow()).execution_options(synchronize_session=False))
    if closed.rowcount != 1:
        raise ServiceError(_l("%(number)s %(name)s is not on loan.", number=asset.number, name=asset.name), "tags")
    db.session.refresh(loan)
    loan.returned_to_id = current_user.id if current_user and current_user.is_authenticated else None
    loan.condition_in = (condition or "").strip()[:300]
    loan.checklist_in = answers or None
    loan.damaged = bool(damaged)
    if photo is not None:
        from schoolhq.core.uploads import save_upload

        loan.photo_in_id = save_upload(photo, images_only=True).id
    asset.status = loan.status_before if loan.status_before in MANUAL_STATUSES else "in_storage"
    db.session.flush()
    record_event(asset, "checked_in", {"loan_id": loan.id, "slip": loan.slip, "damaged": loan.damaged,
                                  "checklist": answers}, loan.condition_in)
    audit.record("assets", "loan.checked_in", loan, after={"asset": asset.number, "damaged": loan.damaged},
                 summary=loan.slip)
    if damaged:
        from schoolhq.repairs import services as repairs  # repairs builds on assets: imported late

        repairs.open_for_damaged_return(loan, loan.condition_in)
    return loan


def _new_slip() -> str:
    """JY261127-4F3A: the school's date and four random hex digits, never reused."""
    prefix = local_today().strftime("JY%y%m%d") + "-"
    for _ in range(50):
        slip = prefix + secrets.token_hex(2).upper()
        if db.session.scalar(select(Loan.id).where(Loan.slip == slip).limit(1)) is None:
            return slip
    return prefix + secrets.token_hex(4).upper()


def slip_loans(slip: str) -> list[Loan]:
    return list(db.session.scalars(select(Loan).options(joinedload(Loan.asset), joinedload(Loan.borrower))
                                   .where(Loan.slip == slip).order_by(Loan.id)))


def loans_query(borrower_id: int | None, account, overdue: bool):
    """Open loans; for a desk account only those of assets kept within its scope."""
    from schoolhq.places.models import Location

    query = (select(Loan).options(joinedload(Loan.asset), joinedload(Loan.borrower))
             .where(Loan.returned_at.is_(None)).order_by(Loan.due_at))
    if overdue:
        query = query.where(Loan.due_at < utcnow())
    if borrower_id:
        query = query.where(Loan.borrower_id == borrower_id)
    if account is not None:
        query = query.join(Asset, Loan.asset_id == Asset.id).join(Location, Asset.location_id == Location.id)
        query = _within_scope(query, account, Location, None, "assets.loan")
    return query


def overdue_loans(borrower_id: int | None = None, account=None) -> list[Loan]:
    return list(db.session.scalars(loans_query(borrower_id, account, overdue=True)))


def open_loans(borrower_id: int | None = None, account=None) -> list[Loan]:
    return list(db.session.scalars(loans_query(borrower_id, account, overdue=False)))


def held_by(person_id: int) -> list[Asset]:
    """What a person is custodian of."""
    return list(db.session.scalars(select(Asset).options(joinedload(Asset.location)).where(
        Asset.custodian_id == person_id,
        on_register()).order_by(Asset.number)))
