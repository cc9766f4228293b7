"""Rules of the asset register (loans are in loans.py). Every change to an asset is an event row
(append-only) and an audit entry; nothing is overwritten without a trace."""

from __future__ import annotations

import re
import secrets
from dataclasses import dataclass
from datetime import date, time, timedelta
from typing import Any

from flask import g, url_for
from flask_babel import get_locale
from flask_babel import lazy_gettext as _l
from flask_login import current_user
from sqlalchemy import func, or_, select
from sqlalchemy.orm import joinedload

from schoolhq.assets.catalogue import domain
from schoolhq.assets.models import (
    Asset,
    AssetCategory,
    AssetEvent,
    AssetKind,
    AssetStatus,
    Loan,
)
from schoolhq.core import audit, counters, settings
from schoolhq.core.database import locked
from schoolhq.core.errors import ServiceError
from schoolhq.core.timeutil import local_today, utcnow
from schoolhq.extensions import db

TOKEN_ALPHABET = "23456789abcdefghjkmnpqrstuvwxyz"
#: statuses a person sets by hand; on_loan, lost and disposed come from loans, audits, disposal
MANUAL_STATUSES = ("in_use", "in_storage", "under_repair", "pending_disposal")
STATUS_TONES = {
    "in_use": "plain", "in_storage": "plain", "on_loan": "info", "under_repair": "warn",
    "pending_disposal": "warn", "lost": "danger", "disposed": "danger",
}
EDITABLE_FIELDS = [
    "name", "category_id", "kind_id", "tier", "brand", "model", "spec", "serial", "unit", "quantity",
    "unit_price_fen", "funding_source", "acquisition_method", "purchased_on", "booked_on", "voucher_no",
    "invoice_no", "supplier", "warranty_until", "use_direction", "department_id", "loanable", "note",
]


# Settings ----------------------------------------------------------------------------

def money_setting(value: Any) -> int:
    try:
        fen = int(value)
    except (TypeError, ValueError):
        raise ServiceError(_l("Enter an amount in fen (whole number).")) from None
    if fen < 0:
        raise ServiceError(_l("An amount cannot be negative."))
    return fen


def pattern_setting(value: Any) -> str:
    pattern = (value or "").strip()
    if "{seq" not in pattern or len(pattern) > 40:
        raise ServiceError(_l("The number pattern needs {seq} (for example ZC{year}{seq:05d})."), "number_pattern")
    try:
        pattern.format(year=2026, seq=1, category="A02")
    except (KeyError, ValueError, IndexError, AttributeError):
        raise ServiceError(_l("The number pattern may use only {year}, {category} and {seq}."),
                           "number_pattern") from None
    return pattern


def time_setting(value: Any) -> str:
    try:
        return time.fromisoformat(str(value)).strftime("%H:%M")
    except ValueError:
        raise ServiceError(_l("Enter a time like 16:30."), "after_school") from None


# Names in the reader's language --------------------------------------------------------

def _zh() -> bool:
    locale = get_locale()
    return locale is None or locale.language == "zh"


def status_name(key: str) -> str:
    row = statuses().get(key)
    if row is None:
        return key
    return row.name_zh if _zh() else row.name_en


def statuses() -> dict[str, AssetStatus]:
    """The statuses, read once per request: lists ask for a name on every row."""
    if "schoolhq_asset_statuses" not in g:
        g.schoolhq_asset_statuses = {
            s.key: s for s in db.session.scalars(select(AssetStatus).order_by(AssetStatus.sort_order))}
    return g.schoolhq_asset_statuses


def on_register():
    """The condition "still on the active register", as a literal list of the retired
    statuses: with a subquery SQLite picks a poor plan for the big lists (bench/)."""
    retired = [key for key, row in statuses().items() if not row.on_register]
    return Asset.status.not_in(retired) if retired else Asset.status.is_not(None)


def tier_name(key: str) -> str:
    for tier in domain()["tiers"]:
        if tier["key"] == key:
            return tier["name"]["zh" if _zh() else "en"]
    return key


TIERS = ("fixed_asset", "low_value_durable")

EVENT_LABELS = {
    "registered": _l("Registered"), "edited": _l("Edited"), "moved": _l("Moved"),
    "custodian_changed": _l("Custodian changed"), "status_changed": _l("Status changed"),
    "checked_out": _l("Lent out"), "checked_in": _l("Returned"), "audited": _l("Audited"),
    "disposed": _l("Disposed"),
}


def event_label(kind: str):
    return EVENT_LABELS.get(kind, kind)


def kind_name(kind: AssetKind | None) -> str:
    if kind is None:
        return ""
    return kind.name_zh if _zh() or not kind.name_en else kind.name_en


def kinds() -> list[AssetKind]:
    return list(db.session.scalars(select(AssetKind).order_by(AssetKind.id)))


def categories() -> list[AssetCategory]:
    return list(db.session.scalars(select(AssetCategory).where(AssetCategory.archived_at.is_(None))
                                   .order_by(AssetCategory.code)))


def options(field: str) -> list[str]:
    """The choices the domain file lists for a card field (funding source, …)."""
    return list(domain().get(field, []))


# Tiers, numbers, tokens ----------------------------------------------------------------

def suggest_tier(unit_price_fen: int, special_equipment: bool = False) -> str:
    """固定资产 at or above the threshold (a higher one for special equipment)."""
    key = "assets.special_equipment_threshold_fen" if special_equipment else "assets.fixed_asset_threshold_fen"
    return "fixed_asset" if unit_price_fen >= settings.get(key) else "low_value_durable"


def _next_number(category: AssetCategory) -> str:
    year = local_today().year
    pattern = settings.get("assets.number_pattern")
    scope = f"assets.{year}" if "{year}" in pattern else "assets.all"
    value = counters.next_value(scope)
    for _ in range(1000):  # skip numbers taken by imported assets
        number = pattern.format(year=year, seq=value, category=category.code[:3])
        if db.session.scalar(select(Asset.id).where(Asset.number == number)) is None:
            return number
        value += 1
        counters.skip_to(scope, value)
    raise ServiceError(_l("No free asset number; check the number pattern."))


def new_token() -> str:
    return "".join(secrets.choice(TOKEN_ALPHABET) for _ in range(8))


# Reading -----------------------------------------------------------------------------

def get_asset(asset_id: int) -> Asset:
    asset = db.session.get(Asset, asset_id)
    if asset is None:
        raise ServiceError(_l("That asset does not exist."), "asset_id")
    return asset


def _to_change(asset_id: int) -> Asset:
    """The asset locked for a change: two desks changing it at once take turns, and the
    second sees what the first did (“already there”, “already has this status”)."""
    return locked(Asset, asset_id, _l("That asset does not exist."))


_TAG_URL = re.compile(r"/t/([0-9a-z]{4,16})/?$")


def resolve_tag(text: str) -> Asset | None:
    """An asset from what a scanner typed: its number, its label token, or the label's URL."""
    text = (text or "").strip()
    if not text or len(text) > 200:
        return None
    match = _TAG_URL.search(text.lower())
    token = match.group(1) if match else text.lower()
    # every scan next checks the scope (place, department), and a desk whether it may lend
    return db.session.scalar(select(Asset).where(or_(Asset.number == text, Asset.token == token)).options(
        joinedload(Asset.location), joinedload(Asset.department), joinedload(Asset.status_row)))


@dataclass
class Filters:
    text: str = ""
    category_id: int | None = None
    location_id: int | None = None
    status: str = ""
    custodian_id: int | None = None
    tier: str = ""
    include_retired: bool = False


def search(filters: Filters, account=None):
    """The register filtered; a person with only scoped grants sees only their places."""
    from schoolhq.core.permissions import unscoped
    from schoolhq.people.models import Person
    from schoolhq.places.models import Location

    query = select(Asset).order_by(Asset.number)
    # Join the places only when they filter: the page count over the bare table is an
    # index scan, with the join it reads every row (bench/).
    if filters.location_id or (account is not None and not unscoped(account, "assets.view")):
        query = query.join(Location, Asset.location_id == Location.id)
    if filters.text:
        like = filters.text.strip()
        query = query.where(or_(Asset.number.contains(like), Asset.name.contains(like),
                                Asset.serial.contains(like), Asset.model.contains(like)))
    if filters.category_id:
        category = db.session.get(AssetCategory, filters.category_id)
        if category is not None:
            query = query.join(AssetCategory, Asset.category_id == AssetCategory.id).where(
                AssetCategory.path.startswith(category.path))
    if filters.location_id:
        location = db.session.get(Location, filters.location_id)
        if location is not None:
            query = query.where(Location.path.startswith(location.path))
    if filters.status:
        query = query.where(Asset.status == filters.status)
    elif not filters.include_retired:
        query = query.where(on_register())
    if filters.custodian_id:
        query = query.where(Asset.custodian_id == filters.custodian_id)
    if filters.tier:
        query = query.where(Asset.tier == filters.tier)
    if account is not None:
        query = _within_scope(query, account, Location, Person)
    return query


def _within_scope(query, account, location_model, _person_model, permission: str = "assets.view"):
    """Assets kept at a place in the person's scope, or of a department in it (the query
    joins the asset's place as `location_model`)."""
    from schoolhq.core.permissions import within_scopes

    return within_scopes(query, account, permission, location_path=location_model.path,
                         department_id=Asset.department_id)


def history(asset_id: int, limit: int | None = None) -> list[AssetEvent]:
    from schoolhq.auth.models import Account

    query = (select(AssetEvent).options(joinedload(AssetEvent.actor).joinedload(Account.person))
             .where(AssetEvent.asset_id == asset_id)
             .order_by(AssetEvent.at.desc(), AssetEvent.id.desc()))
    return list(db.session.scalars(query.limit(limit) if limit else query))


def history_count(asset_id: int) -> int:
    return db.session.scalar(select(func.count(AssetEvent.id)).where(AssetEvent.asset_id == asset_id)) or 0


def loans_of(asset_id: int) -> list[Loan]:
    return list(db.session.scalars(select(Loan).options(joinedload(Loan.borrower))
                                   .where(Loan.asset_id == asset_id).order_by(Loan.out_at.desc())))


def open_loan(asset_id: int) -> Loan | None:
    return db.session.scalar(select(Loan).options(joinedload(Loan.borrower))
                             .where(Loan.asset_id == asset_id, Loan.returned_at.is_(None)))


# Value -------------------------------------------------------------------------------

@dataclass
class Value:
    original_fen: int
    accumulated_fen: int
    years: int  # 0: not depreciated

    @property
    def net_fen(self) -> int:
        return self.original_fen - self.accumulated_fen


def depreciation_years(category: AssetCategory) -> int:
    """The category's years, or the nearest ancestor's; 0 means not depreciated."""
    node = category
    while node is not None:
        if node.depreciation_years is not None:
            return node.depreciation_years
        node = node.parent if node.parent_id else None
        if node is not None and node.parent_id and node.parent is None:
            node = db.session.get(AssetCategory, node.parent_id)
    return 0


def value_of(asset: Asset, on: date | None = None) -> Value:
    """Straight-line depreciation by month, starting in the month the asset was booked
    (当月增加，当月计提); low-value durables are expensed, not depreciated."""
    return value_from(asset.amount_fen, asset.tier, lambda: depreciation_years(asset.category),
                      asset.booked_on, asset.purchased_on, on)


def value_from(amount_fen: int, tier: str, category_years, booked_on: date | None, purchased_on: date | None,
               on: date | None = None) -> Value:
    """`value_of` from plain columns (reports read thousands of rows): `category_years`
    gives the category's depreciation years, asked only for a fixed asset."""
    years = category_years() if tier == "fixed_asset" else 0
    return straight_line(amount_fen, years, booked_on or purchased_on, on)


def straight_line(original: int, years: int, start: date | None, on: date | None = None) -> Value:
    if not years or start is None:
        return Value(original, 0, years)
    on = on or local_today()
    months = (on.year - start.year) * 12 + (on.month - start.month) + 1
    months = max(0, min(months, years * 12))
    return Value(original, original * months // (years * 12), years)


# Writing -----------------------------------------------------------------------------

def record_event(asset: Asset, kind: str, data: dict[str, Any] | None = None, note: str = "") -> AssetEvent:
    actor = current_user.id if current_user and getattr(current_user, "is_authenticated", False) else None
    row = AssetEvent(asset_id=asset.id, kind=kind, actor_id=actor, data=data or {}, note=note[:300])
    db.session.add(row)
    return row


def clean_card(values: dict[str, Any]) -> dict[str, Any]:
    """A card's fields checked and trimmed; the importer checks each ledger row with it too."""
    from schoolhq.people.services import get_department

    clean = dict(values)
    clean["name"] = (clean.get("name") or "").strip()
    if not clean["name"]:
        raise ServiceError(_l("An asset needs a name."), "name")
    if len(clean["name"]) > 120:
        raise ServiceError(_l("A name is at most 120 characters."), "name")
    category = db.session.get(AssetCategory, clean.get("category_id") or 0)
    if category is None or category.archived_at is not None:
        raise ServiceError(_l("Choose a category."), "category_id")
    if clean.get("kind_id") and db.session.get(AssetKind, clean["kind_id"]) is None:
        raise ServiceError(_l("Unknown kind of asset."), "kind_id")
    price = clean.get("unit_price_fen")
    if not isinstance(price, int) or price < 0:
        raise ServiceError(_l("The price must be zero or more."), "unit_price")
    quantity = clean.get("quantity")
    quantity = 1 if quantity is None else quantity
    if not isinstance(quantity, int) or quantity < 1 or quantity > 100000:
        raise ServiceError(_l("The quantity must be a whole number of at least 1."), "quantity")
    clean["quantity"] = quantity
    clean["unit"] = (clean.get("unit") or "").strip() or "台"
    if clean.get("tier") not in TIERS:
        clean["tier"] = suggest_tier(price, special_equipment=category.class_2010 == "3")
    if clean.get("department_id"):
        get_department(clean["department_id"])
    for text_field, limit in (("brand", 60), ("model", 80), ("spec", 120), ("serial", 80), ("unit", 10),
                              ("voucher_no", 40), ("invoice_no", 40), ("supplier", 100),
                              ("funding_source", 30), ("acquisition_method", 30), ("use_direction", 20)):
        value = (clean.get(text_field) or "").strip()
        if len(value) > limit:
            raise ServiceError(_l("This field is at most %(n)s characters.", n=limit), text_field)
        clean[text_field] = value
    if clean.get("purchased_on") and clean["purchased_on"] > local_today():
        raise ServiceError(_l("The purchase date cannot be in the future."), "purchased_on")
    clean["loanable"] = bool(clean.get("loanable"))
    clean["note"] = (clean.get("note") or "").strip()
    return clean


def _check_extra(kind_id: int | None, extra: dict[str, Any] | None) -> dict[str, Any]:
    if not kind_id or not extra:
        return {}
    kind = db.session.get(AssetKind, kind_id)
    allowed = {f["key"]: f for f in kind.fields} if kind else {}
    clean = {}
    for key, value in extra.items():
        if key not in allowed or value in (None, ""):
            continue
        if allowed[key].get("type") == "number":
            try:
                value = float(value)
            except (TypeError, ValueError):
                raise ServiceError(_l("%(field)s must be a number.", field=allowed[key]["zh"]), key) from None
        elif allowed[key].get("type") == "date":
            try:
                value = date.fromisoformat(str(value)).isoformat()
            except ValueError:
                raise ServiceError(_l("%(field)s must be a date.", field=allowed[key]["zh"]), key) from None
        clean[key] = value if not isinstance(value, str) else value.strip()[:120]
    return clean


def register_asset(values: dict[str, Any], location_id: int, custodian_id: int | None = None,
                   status: str = "in_use", number: str | None = None, extra: dict[str, Any] | None = None,
                   source: str = "") -> Asset:
    """`source` names where the card came from (an imported ledger's file and row) in its history."""
    from schoolhq.people.services import get_person
    from schoolhq.places.services import get_location

    clean = clean_card(values)
    location = get_location(location_id)
    if custodian_id:
        get_person(custodian_id)
    if status not in MANUAL_STATUSES:
        raise ServiceError(_l("Choose a status."), "status")
    category = db.session.get(AssetCategory, clean["category_id"])
    if number:
        number = number.strip()
        if len(number) > 40:
            raise ServiceError(_l("An asset number is at most 40 characters."), "number")
        if db.session.scalar(select(Asset.id).where(Asset.number == number)) is not None:
            raise ServiceError(_l("Asset number %(n)s is already on the register.", n=number), "number")
    else:
        number = _next_number(category)
    if "loanable" not in values and clean.get("kind_id"):
        clean["loanable"] = db.session.get(AssetKind, clean["kind_id"]).loanable_default
    asset = Asset(number=number, token=new_token(), location_id=location.id, custodian_id=custodian_id or None,
                  status=status, extra=_check_extra(clean.get("kind_id"), extra), **clean)
    db.session.add(asset)
    db.session.flush()
    record_event(asset, "registered", {"number": number, "location": location.full_name}, note=source)
    audit.record("assets", "asset.registered", asset, after=audit.snapshot(asset, ["number", *EDITABLE_FIELDS]),
                 summary=f"{number} {asset.name}")
    return asset


def update_asset(asset_id: int, values: dict[str, Any], extra: dict[str, Any] | None = None) -> Asset:
    asset = _to_change(asset_id)
    _require_on_register(asset)
    clean = clean_card(values)
    before = audit.snapshot(asset, [*EDITABLE_FIELDS, "extra"])
    for key, value in clean.items():
        setattr(asset, key, value)
    asset.extra = _check_extra(asset.kind_id, extra) if extra is not None else asset.extra
    db.session.flush()
    after = audit.snapshot(asset, [*EDITABLE_FIELDS, "extra"])
    changes = {k: {"from": before[k], "to": after[k]} for k in after if before[k] != after[k]}
    if changes:
        record_event(asset, "edited", changes)
        audit.record("assets", "asset.updated", asset, before=before, after=after, summary=asset.number)
    return asset


def _require_on_register(asset: Asset) -> None:
    if not asset.status_row.on_register:
        raise ServiceError(_l("%(number)s is no longer on the register.", number=asset.number))


def move_asset(asset_id: int, location_id: int, note: str = "") -> Asset:
    from schoolhq.places.services import get_location

    asset = _to_change(asset_id)
    _require_on_register(asset)
    target = get_location(location_id)
    if target.id == asset.location_id:
        raise ServiceError(_l("The asset is already there."), "location_id")
    before = {"id": asset.location_id, "name": asset.location.full_name}
    asset.location_id = target.id
    asset.location = target
    db.session.flush()
    record_event(asset, "moved", {"from": before, "to": {"id": target.id, "name": target.full_name}}, note)
    audit.record("assets", "asset.moved", asset, before={"location_id": before["id"]},
                 after={"location_id": target.id}, summary=f"{asset.number} → {target.full_name}")
    return asset


def set_photo(asset_id: int, file) -> Asset:
    """A new photo of the item; the old file stays, as history does."""
    from schoolhq.core.uploads import save_upload

    asset = _to_change(asset_id)
    _require_on_register(asset)
    attachment = save_upload(file, images_only=True)
    before, asset.photo_id = asset.photo_id, attachment.id
    db.session.flush()
    record_event(asset, "edited", {"photo_id": {"from": before, "to": attachment.id}})
    audit.record("assets", "asset.photo", asset, before={"photo_id": before}, after={"photo_id": attachment.id},
                 summary=asset.number)
    return asset


def change_custodian(asset_id: int, person_id: int | None, note: str = "") -> Asset:
    from schoolhq.people.services import get_person

    asset = _to_change(asset_id)
    _require_on_register(asset)
    person = get_person(person_id) if person_id else None
    if (person.id if person else None) == asset.custodian_id:
        raise ServiceError(_l("This person already holds the asset."), "custodian_id")
    before = {"id": asset.custodian_id, "name": asset.custodian.name if asset.custodian else ""}
    asset.custodian_id = person.id if person else None
    asset.custodian = person
    db.session.flush()
    record_event(asset, "custodian_changed",
            {"from": before, "to": {"id": person.id if person else None, "name": person.name if person else ""}}, note)
    audit.record("assets", "asset.custodian_changed", asset, before={"custodian_id": before["id"]},
                 after={"custodian_id": asset.custodian_id}, summary=asset.number)
    return asset


def change_status(asset_id: int, status: str, note: str = "") -> Asset:
    asset = _to_change(asset_id)
    _require_on_register(asset)
    if status not in MANUAL_STATUSES:
        raise ServiceError(_l("This status is set by loans, audits or disposal, not by hand."), "status")
    if asset.status == "on_loan":
        raise ServiceError(_l("%(number)s is on loan: check it in first.", number=asset.number), "status")
    if status == asset.status:
        raise ServiceError(_l("The asset already has this status."), "status")
    before = asset.status
    asset.status = status
    db.session.flush()
    db.session.refresh(asset, ["status_row"])
    record_event(asset, "status_changed", {"from": before, "to": status}, note)
    audit.record("assets", "asset.status_changed", asset, before={"status": before}, after={"status": status},
                 summary=asset.number)
    return asset


# Counting ----------------------------------------------------------------------------

def count_on_register() -> int:
    return db.session.scalar(select(func.count(Asset.id)).where(on_register())) or 0


# Hooks for other parts of the app ------------------------------------------------------

def label_target(token: str):
    from schoolhq.core.tokens import LabelTarget, public_info_shown

    asset = db.session.scalar(select(Asset).where(Asset.token == token))
    if asset is None:
        return None
    facts = []
    if public_info_shown():
        facts = [(_l("Room"), asset.location.full_name), (_l("Status"), status_name(asset.status))]
    return LabelTarget(kind=_l("Asset"), name=asset.name if facts else asset.number,
                       url=url_for("assets.detail", asset_id=asset.id), public_facts=facts, record=("asset", asset.id))


def dashboard_items(account):
    """For the loan desk, its overdue loans and the requests to borrow it decides (at the
    places its grant reaches); the disposals and stocktake losses waiting for this
    person's step; a borrower's own overdue items. Each named, to its page."""
    # loans, disposals and stocktakes build on the register: imported late
    from schoolhq.assets import audits, disposals, loans
    from schoolhq.assets.models import Disposal, DisposalItem, Reservation
    from schoolhq.core.filters import local_date, money
    from schoolhq.core.permissions import can
    from schoolhq.dashboard.services import Entry, Item, first_rows, joined, late, waiting
    from schoolhq.people.models import Person
    from schoolhq.places.models import Location

    def named_loans(query) -> tuple:
        total, rows = first_rows(query.with_only_columns(Loan.slip, Loan.due_at, Asset.name, Asset.number,
                                                         Person.name.label("borrower"))
                                 .join(Person, Person.id == Loan.borrower_id))
        return total, [Entry(joined(row.borrower, row.name, row.number), url_for("assets.slip", slip=row.slip),
                             late(row.due_at)) for row in rows]

    items = []
    if can(account, "assets.loan"):
        overdue, entries = named_loans(loans.loans_query(None, account, overdue=True))
        items.append(Item("assets", _l("Overdue loans"), overdue, url_for("assets.loans", overdue=1), "danger",
                          entries))
        requests = _within_scope(
            select(Reservation.id, Reservation.starts_at, Reservation.ends_at, Reservation.created_at, Asset.name,
                   Person.name.label("person"))
            .join(Asset, Asset.id == Reservation.asset_id).join(Location, Location.id == Asset.location_id)
            .join(Person, Person.id == Reservation.person_id)
            .where(Reservation.status == "requested").order_by(Reservation.starts_at, Reservation.id),
            account, Location, None, "assets.loan")
        waiting_count, rows = first_rows(requests)

        def asked(row) -> Entry:
            days = _l("%(first)s to %(last)s", first=local_date(row.starts_at, "MM-dd"),
                      last=local_date(row.ends_at - timedelta(seconds=1), "MM-dd"))  # ends as the next day starts
            return Entry(joined(row.person, row.name, days),
                         url_for("assets.requests_pending", _anchor=f"request-{row.id}"), waiting(row.created_at))

        items.append(Item("assets", _l("Requests to borrow waiting"), waiting_count, url_for("assets.requests_pending"),
                          entries=[asked(row) for row in rows]))
    query = disposals.waiting_for(account)
    if query is not None:
        first_asset = (select(Asset.name).join(DisposalItem, DisposalItem.asset_id == Asset.id)
                       .where(DisposalItem.disposal_id == Disposal.id).order_by(DisposalItem.id).limit(1))
        size = select(func.count(DisposalItem.id)).where(DisposalItem.disposal_id == Disposal.id)
        count, rows = first_rows(query.with_only_columns(
            Disposal.id, Disposal.number, Disposal.status, Disposal.total_fen,
            first_asset.scalar_subquery().label("first"), size.scalar_subquery().label("size")))
        step = {"submitted": _l("to appraise"), "appraised": _l("to decide")}
        items.append(Item("assets", _l("Disposal requests waiting for you"), count, url_for("assets.disposals_index"),
                          "warning", [Entry(joined(row.number, _l("%(name)s and others, %(n)s items", name=row.first,
                                                                  n=row.size) if row.size > 1 else row.first,
                                                   money(row.total_fen)),
                                            url_for("assets.disposal_detail", disposal_id=row.id),
                                            str(step.get(row.status, ""))) for row in rows]))
    if can(account, "assets.approve"):
        count, rows = first_rows(audits.losses_to_approve(account))
        items.append(Item("assets", _l("Stocktake losses to approve"), count,
                          url_for("assets.audit_detail", campaign_id=rows[0].id) if count == 1 else "",
                          "warning", [Entry(joined(row.name, _l("%(n)s items missing, %(amount)s", n=row.missing,
                                                                amount=money(row.missing_fen))),
                                            url_for("assets.audit_detail", campaign_id=row.id),
                                            waiting(row.closed_at) if row.closed_at else "") for row in rows]))
    if account.person_id:
        mine, entries = named_loans(select(Loan).join(Asset, Asset.id == Loan.asset_id).where(
            Loan.borrower_id == account.person_id, Loan.returned_at.is_(None), Loan.due_at < utcnow())
            .order_by(Loan.due_at))
        items.append(Item("assets", _l("Items you borrowed that are overdue"), mine, url_for("assets.mine"), "danger",
                          entries))
    return items


def open_by_number(code: str) -> str | None:
    asset = resolve_tag(code)
    return url_for("assets.detail", asset_id=asset.id) if asset is not None else None


def attachment_rule(attachment, account):
    """A loan's signature and return photo: the desk that handles the asset, people who
    may view it, and the borrower."""
    from schoolhq.core.permissions import can

    loan = db.session.scalar(select(Loan).where(or_(Loan.signature_id == attachment.id,
                                                    Loan.photo_in_id == attachment.id)).limit(1))
    if loan is None:
        asset = db.session.scalar(select(Asset).where(Asset.photo_id == attachment.id).limit(1))
        return None if asset is None else can(account, "assets.view", asset)
    return (loan.borrower_id == account.person_id or can(account, "assets.loan", loan.asset)
            or can(account, "assets.view", loan.asset))
