"""Stock rules: items, stores and the ledger. Every change of a quantity is a movement
row; the balance follows from the rows (a database trigger adds each row to it) and the
database refuses a negative balance. Requisitions and counts build on `take` and `put`."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, timedelta
from decimal import Decimal, InvalidOperation
from functools import cache
from pathlib import Path

import yaml
from flask_babel import lazy_gettext as _l
from flask_login import current_user
from sqlalchemy import BigInteger, cast, func, or_, select
from sqlalchemy.exc import IntegrityError

from schoolhq.core import audit, counters
from schoolhq.core.errors import NotFound, ServiceError, get_or_raise
from schoolhq.core.money import parse_yuan
from schoolhq.core.timeutil import local_day_bounds_utc, local_today, utcnow
from schoolhq.extensions import db
from schoolhq.stock.models import (
    StockBalance,
    StockCategory,
    StockItem,
    StockMovement,
    StockReceipt,
    Store,
)

#: a unit is 1000 thousandths
UNIT = 1000
#: a million units: quantities and levels fit PostgreSQL's integer; values are big integers
MAX_QUANTITY = 1_000_000 * UNIT

KIND_LABELS = {
    "receipt": _l("Received"), "issue": _l("Issued out"), "return": _l("Returned to store"),
    "transfer_out": _l("Transferred out"), "transfer_in": _l("Transferred in"),
    "adjustment": _l("Count adjustment"), "write_off": _l("Written off"), "reversal": _l("Reversal"),
}


@cache
def domain() -> dict:
    return yaml.safe_load((Path(__file__).parent / "data" / "stock.yaml").read_text(encoding="utf-8"))


def seed() -> None:
    """Categories from data/stock.yaml, once: the school edits them afterwards."""
    if db.session.scalar(select(func.count(StockCategory.id))):
        return
    for order, name in enumerate(domain()["categories"]):
        db.session.add(StockCategory(name=name, sort_order=order))
    db.session.flush()


# Quantities ---------------------------------------------------------------------------

def ledger_sum(column):
    """SUM of a big-integer column as an integer on both engines (PostgreSQL's is numeric)."""
    return cast(func.sum(column), BigInteger)


def actor_id() -> int | None:
    return current_user.id if current_user and current_user.is_authenticated else None


def parse_quantity(text, item: StockItem | None = None, field: str = "quantity", allow_zero: bool = False) -> int:
    """'2.5' → 2500 thousandths; refuses letters, zero or less, and fractions of a unit
    that cannot be split (a box of chalk is counted whole)."""
    raw = str(text if text is not None else "").strip().replace("，", ",").replace(",", "").replace("．", ".")
    if not raw:
        raise ServiceError(_l("Enter a quantity."), field)
    try:
        number = Decimal(raw)
    except InvalidOperation:
        raise ServiceError(_l("“%(text)s” is not a number.", text=raw[:20]), field) from None
    if not number.is_finite():
        raise ServiceError(_l("“%(text)s” is not a number.", text=raw[:20]), field)
    if number < 0 or (number == 0 and not allow_zero):
        raise ServiceError(_l("The quantity must be more than zero.") if not allow_zero
                           else _l("The quantity cannot be negative."), field)
    if number > MAX_QUANTITY:  # before the multiplication, which 1e999999 would overflow
        raise ServiceError(_l("That quantity is too large."), field)
    milli = number * UNIT
    if milli != milli.to_integral_value():
        raise ServiceError(_l("Use at most three decimal places."), field)
    if item is not None and not item.decimal_unit and number != number.to_integral_value():
        raise ServiceError(_l("%(item)s is counted in whole %(unit)s.", item=item.name, unit=item.unit), field)
    if milli > MAX_QUANTITY:
        raise ServiceError(_l("That quantity is too large."), field)
    return int(milli)


def format_quantity(milli: int | None) -> str:
    if milli is None:
        return ""
    whole, part = divmod(abs(milli), UNIT)
    sign = "-" if milli < 0 else ""
    if not part:
        return f"{sign}{whole:,}"
    return f"{sign}{whole:,}." + f"{part:03d}".rstrip("0")


def _level(text, field: str, item: StockItem | None) -> int:
    if text is None or str(text).strip() == "":
        return 0
    return parse_quantity(text, item, field, allow_zero=True)


# Items and stores ---------------------------------------------------------------------

def categories(include_archived: bool = False) -> list[StockCategory]:
    query = select(StockCategory).order_by(StockCategory.sort_order, StockCategory.name)
    if not include_archived:
        query = query.where(StockCategory.archived_at.is_(None))
    return list(db.session.scalars(query))


def save_category(name: str, category_id: int | None = None) -> StockCategory:
    from schoolhq.core.catalogue import save_named

    return save_named(StockCategory, "stock", name, category_id)


def get_item(item_id: int) -> StockItem:
    return get_or_raise(StockItem, item_id, _l("No such stock item."))


ITEM_FIELDS = ["name", "spec", "unit", "decimal_unit", "category_id", "barcode", "min_level_milli",
               "target_level_milli", "reserve_level_milli", "quota_person_milli", "quota_department_milli",
               "needs_approval", "note"]


@dataclass
class ItemData:
    name: str
    category_id: int | None
    unit: str
    spec: str = ""
    decimal_unit: bool = False
    barcode: str = ""
    min_level: str = ""
    target_level: str = ""
    reserve_level: str = ""
    quota_person: str = ""
    quota_department: str = ""
    needs_approval: bool = False
    note: str = ""


def save_item(data: ItemData, item_id: int | None = None, photo=None) -> StockItem:
    from schoolhq.people.services import pinyin_of

    name = (data.name or "").strip()
    if not name:
        raise ServiceError(_l("Give the item a name."), "name")
    unit = (data.unit or "").strip()
    if not unit or len(unit) > 10:
        raise ServiceError(_l("Give the unit, such as 包 or 瓶."), "unit")
    category = db.session.get(StockCategory, data.category_id or 0)
    if category is None:
        raise ServiceError(_l("Choose a category."), "category_id")
    barcode = (data.barcode or "").strip() or None
    if barcode:
        clash = db.session.scalar(select(StockItem).where(StockItem.barcode == barcode))
        if clash is not None and clash.id != item_id:
            raise ServiceError(_l("The barcode %(code)s already belongs to %(item)s.", code=barcode,
                                  item=clash.name), "barcode")
    probe = StockItem(name=name, unit=unit, decimal_unit=bool(data.decimal_unit))
    levels = {
        "min_level_milli": _level(data.min_level, "min_level", probe),
        "target_level_milli": _level(data.target_level, "target_level", probe),
        "reserve_level_milli": _level(data.reserve_level, "reserve_level", probe),
    }
    if levels["target_level_milli"] and levels["target_level_milli"] < levels["min_level_milli"]:
        raise ServiceError(_l("The target level cannot be below the minimum level."), "target_level")
    if levels["reserve_level_milli"] and levels["min_level_milli"] and \
            levels["reserve_level_milli"] > levels["min_level_milli"]:
        raise ServiceError(_l("The emergency reserve should not be above the minimum level: the item "
                              "would be reordered only after the reserve is touched."), "reserve_level")
    quotas = {
        "quota_person_milli": _level(data.quota_person, "quota_person", probe) or None,
        "quota_department_milli": _level(data.quota_department, "quota_department", probe) or None,
    }
    if item_id:
        item = get_item(item_id)
        before = audit.snapshot(item, ITEM_FIELDS)
        if item.decimal_unit and not data.decimal_unit and _has_fractions(item.id):
            raise ServiceError(_l("Some quantities of this item are fractions; the unit must stay divisible."),
                               "decimal_unit")
    else:
        item = StockItem()
        db.session.add(item)
        before = {}
    item.name, item.spec, item.unit = name[:100], (data.spec or "").strip()[:100], unit
    item.decimal_unit, item.category_id, item.barcode = bool(data.decimal_unit), category.id, barcode
    item.pinyin, item.pinyin_initials = pinyin_of(name)
    item.needs_approval, item.note = bool(data.needs_approval), (data.note or "").strip()[:2000]
    for key, value in {**levels, **quotas}.items():
        setattr(item, key, value)
    if photo is not None and getattr(photo, "filename", ""):
        from schoolhq.core.uploads import save_upload

        item.photo_id = save_upload(photo, images_only=True).id
    db.session.flush()
    audit.record("stock", "item.updated" if before else "item.created", item, before=before,
                 after=audit.snapshot(item, ITEM_FIELDS), summary=item.name)
    return item


def _has_fractions(item_id: int) -> bool:
    return db.session.scalar(select(func.count(StockMovement.id)).where(
        StockMovement.item_id == item_id, StockMovement.quantity_milli % UNIT != 0)) > 0


def archive_item(item_id: int) -> StockItem:
    item = get_item(item_id)
    if on_hand(item.id):
        raise ServiceError(_l("%(item)s is still in stock; issue, transfer or write it off first.", item=item.name))
    item.archived_at = utcnow()
    audit.record("stock", "item.archived", item, summary=item.name)
    return item


def find_by_barcode(code: str) -> StockItem | None:
    code = (code or "").strip()
    if not code or len(code) > 40:
        return None
    return db.session.scalar(select(StockItem).where(StockItem.barcode == code, StockItem.archived_at.is_(None)))


#: who reads a store's stock: its balances and ledger, its receipts, its shelf sheet, the
#: registers and reports over it. A grant scoped to a place reaches the stores kept there.
READ = ("stock.view", "stock.issue")


def store_condition(column, account, permissions: tuple[str, ...] = READ):
    """The SQL condition keeping rows whose store (`column`) is kept at a place the
    person's grants of `permissions` reach; None when they reach every store (a
    school-wide grant), or for no account (the scheduler, the rules themselves)."""
    from schoolhq.core.permissions import scope_condition

    if account is None:
        return None
    condition = scope_condition(account, permissions, location_id=Store.location_id)
    return None if condition is None else column.in_(select(Store.id).where(condition))


def within_stores(query, column, account, permissions: tuple[str, ...] = READ):
    """`query` kept to the rows of the stores the person reads (store_condition)."""
    condition = store_condition(column, account, permissions)
    return query if condition is None else query.where(condition)


def may_read(account, store: Store) -> bool:
    """Whether this person may read this store's stock, receipts and shelf sheet."""
    from schoolhq.core.permissions import can

    return any(can(account, permission, store) for permission in READ)


def stores(include_archived: bool = False, account=None, permissions: tuple[str, ...] = READ) -> list[Store]:
    """The stores; with `account`, those it reaches with `permissions`."""
    query = within_stores(select(Store).order_by(Store.id), Store.id, account, permissions)
    if not include_archived:
        query = query.where(Store.archived_at.is_(None))
    return list(db.session.scalars(query))


def get_store(store_id: int | None, field: str = "store_id") -> Store:
    store = db.session.get(Store, store_id or 0)
    if store is None or store.archived_at is not None:
        raise ServiceError(_l("Choose a store."), field)
    return store


def save_store(name: str, location_id: int | None, keeper_id: int | None, store_id: int | None = None) -> Store:
    from schoolhq.places.services import get_location

    name = (name or "").strip()
    if not name or len(name) > 60:
        raise ServiceError(_l("Give the store a name of at most 60 characters."), "name")
    if not location_id:
        raise ServiceError(_l("Choose where the store is."), "location_id")
    location = get_location(location_id)
    if keeper_id:
        from schoolhq.people.services import get_person

        get_person(keeper_id)
    clash = db.session.scalar(select(Store.id).where(Store.name == name))
    if clash is not None and clash != store_id:
        raise ServiceError(_l("There is already a store called %(name)s.", name=name), "name")
    store = db.session.get(Store, store_id) if store_id else Store()
    if store is None:
        raise NotFound(_l("No such store."))
    before = audit.snapshot(store, ["name", "location_id", "keeper_id"]) if store_id else {}
    store.name, store.location_id, store.keeper_id = name, location.id, keeper_id or None
    db.session.add(store)
    db.session.flush()
    audit.record("stock", "store.saved", store, before=before,
                 after=audit.snapshot(store, ["name", "location_id", "keeper_id"]), summary=name)
    return store


# Balances -----------------------------------------------------------------------------

def on_hand(item_id: int, store_id: int | None = None, account=None) -> int:
    """What is on hand in one store, or in all (with `account`: all it reads)."""
    query = select(func.coalesce(ledger_sum(StockBalance.quantity_milli), 0)).where(StockBalance.item_id == item_id)
    if store_id is not None:
        query = query.where(StockBalance.store_id == store_id)
    return db.session.scalar(within_stores(query, StockBalance.store_id, account)) or 0


def on_hand_in(store_id: int, item_ids: list[int]) -> dict[int, int]:
    """Quantity of each item in one store (0 when never there), one query."""
    found = dict(db.session.execute(select(StockBalance.item_id, StockBalance.quantity_milli).where(
        StockBalance.store_id == store_id, StockBalance.item_id.in_(item_ids))).all()) if item_ids else {}
    return {item_id: found.get(item_id, 0) for item_id in item_ids}


def balances_of(item_id: int, account=None) -> list[tuple[Store, int, int]]:
    """(store, quantity, value) of an item in every store, or in those `account` reads."""
    rows = db.session.execute(within_stores(select(Store, StockBalance.quantity_milli, StockBalance.value_fen)
                                            .join(StockBalance, StockBalance.store_id == Store.id)
                                            .where(StockBalance.item_id == item_id).order_by(Store.id),
                                            StockBalance.store_id, account))
    return [(store, quantity, value) for store, quantity, value in rows]


def average_cost_fen(item_id: int, account=None) -> int:
    """Moving-average cost of one unit over all stores (with `account`: the stores it
    reads); the last receipt price when none is left."""
    quantity, value = db.session.execute(within_stores(
        select(func.coalesce(ledger_sum(StockBalance.quantity_milli), 0), func.coalesce(ledger_sum(StockBalance.value_fen), 0))
        .where(StockBalance.item_id == item_id), StockBalance.store_id, account)).one()
    if quantity:
        return round(value * UNIT / quantity)
    last = db.session.execute(within_stores(select(StockMovement.value_fen, StockMovement.quantity_milli).where(
        StockMovement.item_id == item_id, StockMovement.kind == "receipt").order_by(StockMovement.id.desc()).limit(1),
        StockMovement.store_id, account)).first()
    return round(last[0] * UNIT / last[1]) if last else 0


def average_costs(item_ids: list[int], store_id: int | None = None, account=None) -> dict[int, int]:
    """average_cost_fen for many items (in one store, or all `account` reads) in two queries."""
    if not item_ids:
        return {}
    query = (select(StockBalance.item_id, ledger_sum(StockBalance.quantity_milli), ledger_sum(StockBalance.value_fen))
             .where(StockBalance.item_id.in_(item_ids)).group_by(StockBalance.item_id))
    query = within_stores(query, StockBalance.store_id, account)
    if store_id is not None:
        query = query.where(StockBalance.store_id == store_id)
    costs = {item_id: round(value * UNIT / quantity) for item_id, quantity, value in db.session.execute(query)
             if quantity}
    empty = [item_id for item_id in item_ids if item_id not in costs]
    if empty:
        last = within_stores(select(func.max(StockMovement.id)).where(StockMovement.item_id.in_(empty),
                                                                      StockMovement.kind == "receipt")
                             .group_by(StockMovement.item_id), StockMovement.store_id, account)
        for item_id, value, quantity in db.session.execute(
                select(StockMovement.item_id, StockMovement.value_fen, StockMovement.quantity_milli)
                .where(StockMovement.id.in_(last))):
            costs[item_id] = round(value * UNIT / quantity)
    return {item_id: costs.get(item_id, 0) for item_id in item_ids}


@dataclass
class ItemFilters:
    text: str = ""
    category_id: int | None = None
    store_id: int | None = None
    #: "" all, "low" at or below minimum, "reserve" below the emergency reserve
    level: str = ""
    include_archived: bool = False


def item_rows(filters: ItemFilters, account=None):
    """Items with their quantity and value on hand (in one store or all): one query, a
    grouped subquery over the balances, however many items the page shows. With an
    `account` that reads only some stores: the items those stores have held, with what
    they hold."""
    totals = select(StockBalance.item_id, ledger_sum(StockBalance.quantity_milli).label("quantity"),
                    ledger_sum(StockBalance.value_fen).label("value")).group_by(StockBalance.item_id)
    reach = store_condition(StockBalance.store_id, account)
    if reach is not None:
        totals = totals.where(reach)
    if filters.store_id:
        totals = totals.where(StockBalance.store_id == filters.store_id)
    totals = totals.subquery()
    quantity = func.coalesce(totals.c.quantity, 0)
    query = (select(StockItem, quantity.label("quantity"), func.coalesce(totals.c.value, 0).label("value"))
             .outerjoin(totals, totals.c.item_id == StockItem.id).order_by(StockItem.category_id, StockItem.pinyin, StockItem.name))
    if filters.store_id or reach is not None:
        query = query.where(totals.c.item_id.is_not(None))
    if not filters.include_archived:
        query = query.where(StockItem.archived_at.is_(None))
    if filters.category_id:
        query = query.where(StockItem.category_id == filters.category_id)
    text = filters.text.strip().lower()
    if text:
        like = f"%{text}%"
        query = query.where(or_(StockItem.name.ilike(like), StockItem.spec.ilike(like), StockItem.pinyin.like(like),
                                StockItem.pinyin_initials.like(f"{text}%"), StockItem.barcode == filters.text.strip()))
    if filters.level == "low":
        query = query.where(StockItem.min_level_milli > 0, quantity <= StockItem.min_level_milli)
    elif filters.level == "reserve":
        query = query.where(StockItem.reserve_level_milli > 0, quantity < StockItem.reserve_level_milli)
    return query


def level_of(item: StockItem, quantity: int) -> str:
    """'reserve' below the emergency reserve, 'low' at or below minimum, else ''."""
    if item.reserve_level_milli and quantity < item.reserve_level_milli:
        return "reserve"
    if item.min_level_milli and quantity <= item.min_level_milli:
        return "low"
    return ""


def purchase_list(account=None) -> list[tuple[StockItem, int, int, int]]:
    """Items at or below minimum: (item, on hand, to buy up to target, estimated cost),
    over every store or the stores `account` reads."""
    rows = db.session.execute(item_rows(ItemFilters(level="low"), account)).all()
    costs = average_costs([item.id for item, _q, _v in rows], account=account)
    result = []
    for item, quantity, _value in rows:
        target = max(item.target_level_milli, item.min_level_milli)
        to_buy = max(target - quantity, 0)
        if item.decimal_unit is False and to_buy % UNIT:
            to_buy += UNIT - to_buy % UNIT
        result.append((item, quantity, to_buy, round(costs[item.id] * to_buy / UNIT)))
    return result


# The ledger ---------------------------------------------------------------------------

def lock_items(item_ids, store_id: int | None = None) -> None:
    """Lock the balance rows of these items (in one store, or all) until the transaction
    ends, always in (item, store) order, so two desks touching the same items queue
    instead of deadlocking, and checks made now (reserve, outstanding) still hold when
    the rows are written. Document rows are locked before balances, never after."""
    ids = sorted(set(item_ids))
    if not ids:
        return
    query = select(StockBalance.item_id).where(StockBalance.item_id.in_(ids))
    if store_id is not None:
        query = query.where(StockBalance.store_id == store_id)
    db.session.execute(query.order_by(StockBalance.item_id, StockBalance.store_id).with_for_update()).all()


def _balance_for_update(item_id: int, store_id: int) -> tuple[int, int]:
    """The balance row, locked until the end of the transaction (PostgreSQL); SQLite
    already holds the database's write lock."""
    row = db.session.execute(select(StockBalance.quantity_milli, StockBalance.value_fen)
                             .where(StockBalance.item_id == item_id, StockBalance.store_id == store_id)
                             .with_for_update()).first()
    return (row[0], row[1]) if row else (0, 0)


def _not_enough(item: StockItem, store: Store, have: int):
    return ServiceError(_l("Only %(have)s %(unit)s of %(item)s left in %(store)s.", have=format_quantity(have),
                           unit=item.unit, item=item.name, store=store.name), "quantity")


def _post(item: StockItem, store: Store, kind: str, quantity_milli: int, value_fen: int, **refs) -> StockMovement:
    refs.setdefault("occurred_at", utcnow())
    movement = StockMovement(item_id=item.id, store_id=store.id, kind=kind, quantity_milli=quantity_milli,
                             value_fen=value_fen, actor_id=actor_id(), **refs)
    db.session.add(movement)
    try:
        with db.session.begin_nested():
            db.session.flush()
    except IntegrityError:
        if refs.get("reverses_id"):
            raise ServiceError(_l("This entry has already been reversed.")) from None
        # The database refused a negative balance: someone took the last units first.
        raise _not_enough(item, store, on_hand(item.id, store.id)) from None
    return movement


def take(item: StockItem, store: Store, quantity_milli: int, kind: str = "issue", **refs) -> StockMovement:
    """Take stock out at its moving-average value."""
    if item.archived_at is not None:
        raise ServiceError(_l("%(item)s is archived.", item=item.name), "item_id")
    have, value = _balance_for_update(item.id, store.id)
    if quantity_milli > have:
        raise _not_enough(item, store, have)
    out_value = value if quantity_milli == have else round(value * quantity_milli / have)
    return _post(item, store, kind, -quantity_milli, -out_value, **refs)


def put(item: StockItem, store: Store, quantity_milli: int, value_fen: int | None = None,
        kind: str = "receipt", **refs) -> StockMovement:
    """Bring stock in; without a value it comes in at the item's average cost."""
    if item.archived_at is not None:
        raise ServiceError(_l("%(item)s is archived.", item=item.name), "item_id")
    _balance_for_update(item.id, store.id)
    if value_fen is None:
        value_fen = round(average_cost_fen(item.id) * quantity_milli / UNIT)
    return _post(item, store, kind, quantity_milli, value_fen, **refs)


@dataclass
class ReceiptLine:
    item_id: int | None
    quantity: str
    unit_price: str


def receive(store_id: int | None, lines: list[ReceiptLine], supplier: str = "", invoice_no: str = "",
            received_on: date | None = None, note: str = "", purchase_request_id: int | None = None) -> StockReceipt:
    """入库: one receipt note, one receipt movement per line, all or nothing.
    `purchase_request_id` links the finance area's purchase request when it exists."""
    store = get_store(store_id)
    lines = [line for line in lines if line.item_id or str(line.quantity).strip()]
    if not lines:
        raise ServiceError(_l("Add at least one line."), "lines")
    received_on = received_on or local_today()
    if received_on > local_today():
        raise ServiceError(_l("The receiving date cannot be in the future."), "received_on")
    if received_on < local_today() - timedelta(days=400):
        raise ServiceError(_l("The receiving date is more than a year ago; receive the goods today and say "
                              "so in the note."), "received_on")
    seen = set()
    parsed = []
    for number, line in enumerate(lines, 1):
        item = db.session.get(StockItem, line.item_id or 0)
        if item is None or item.archived_at is not None:
            raise ServiceError(_l("Line %(n)s: choose an item.", n=number), "lines")
        if item.id in seen:
            raise ServiceError(_l("%(item)s is on two lines; put it on one.", item=item.name), "lines")
        seen.add(item.id)
        try:
            quantity = parse_quantity(line.quantity, item)
            price = parse_yuan(line.unit_price, "lines")
        except ServiceError as error:
            raise ServiceError(_l("Line %(n)s: %(problem)s", n=number, problem=error.message), "lines") from None
        if price < 0:
            raise ServiceError(_l("Line %(n)s: the price cannot be negative.", n=number), "lines")
        parsed.append((item, quantity, price))
    receipt = StockReceipt(number=f"RK{received_on.year}-{counters.next_value(f'stock.receipt.{received_on.year}'):04d}",
                           store_id=store.id, supplier=(supplier or "").strip()[:100],
                           invoice_no=(invoice_no or "").strip()[:40], received_on=received_on,
                           note=(note or "").strip()[:300], purchase_request_id=purchase_request_id,
                           created_by_id=actor_id())
    db.session.add(receipt)
    db.session.flush()
    lock_items([item.id for item, _q, _p in parsed])
    # The ledger dates a late-entered receipt note on its receiving day.
    occurred_at = utcnow() if received_on == local_today() else local_day_bounds_utc(received_on)[0] + timedelta(hours=10)
    for item, quantity, price in parsed:
        put(item, store, quantity, round(price * quantity / UNIT), "receipt", receipt_id=receipt.id,
            occurred_at=occurred_at)
    audit.record("stock", "receipt.created", receipt, after={"store": store.name, "lines": len(parsed),
                                                              "supplier": receipt.supplier}, summary=receipt.number)
    return receipt


def receipts_query(account=None):
    """Receipt notes newest first: of every store, or of the stores `account` reads."""
    from sqlalchemy.orm import joinedload

    from schoolhq.auth.models import Account

    return within_stores(select(StockReceipt).order_by(StockReceipt.id.desc()).options(
        joinedload(StockReceipt.store), joinedload(StockReceipt.created_by).joinedload(Account.person)),
        StockReceipt.store_id, account)


def receipt_lines(receipt_id: int) -> list[StockMovement]:
    from sqlalchemy.orm import joinedload

    return list(db.session.scalars(select(StockMovement).where(StockMovement.receipt_id == receipt_id)
                                   .options(joinedload(StockMovement.item)).order_by(StockMovement.id)))


def reversed_ids(movement_ids: list[int]) -> set[int]:
    """Which of these ledger rows have been reversed."""
    if not movement_ids:
        return set()
    return set(db.session.scalars(select(StockMovement.reverses_id).where(StockMovement.reverses_id.in_(movement_ids))))


def transfer(item_id: int, from_store_id: int | None, to_store_id: int | None, quantity_text: str,
             reason: str = "") -> tuple[StockMovement, StockMovement]:
    item = get_item(item_id)
    source = get_store(from_store_id, "from_store_id")
    target = get_store(to_store_id, "to_store_id")
    if source.id == target.id:
        raise ServiceError(_l("Choose a different store to transfer to."), "to_store_id")
    quantity = parse_quantity(quantity_text, item)
    lock_items([item.id])
    out = take(item, source, quantity, "transfer_out", transfer_store_id=target.id, reason=(reason or "")[:300])
    into = _post(item, target, "transfer_in", quantity, -out.value_fen, transfer_store_id=source.id,
                 reason=(reason or "")[:300])
    audit.record("stock", "transfer", out, after={"item": item.name, "from": source.name, "to": target.name,
                                                  "quantity": format_quantity(quantity)}, summary=item.name)
    return out, into


def write_off(item_id: int, store_id: int | None, quantity_text: str, reason: str) -> StockMovement:
    item = get_item(item_id)
    store = get_store(store_id)
    reason = (reason or "").strip()
    if not reason:
        raise ServiceError(_l("Say why it is written off (expired, damaged …)."), "reason")
    quantity = parse_quantity(quantity_text, item)
    movement = take(item, store, quantity, "write_off", reason=reason[:300])
    audit.record("stock", "write_off", movement, after={"item": item.name, "store": store.name,
                                                        "quantity": format_quantity(quantity), "reason": reason},
                 summary=item.name)
    return movement


def return_to_store(item_id: int, store_id: int | None, quantity_text: str, person_id: int | None,
                    reason: str = "") -> StockMovement:
    """Unused goods brought back; they come in at today's average cost."""
    item = get_item(item_id)
    store = get_store(store_id)
    if not person_id:
        raise ServiceError(_l("Choose who brings it back."), "person_id")
    from schoolhq.people.services import get_person

    person = get_person(person_id)
    quantity = parse_quantity(quantity_text, item)
    movement = put(item, store, quantity, None, "return", person_id=person.id, department_id=person.department_id,
                   reason=(reason or "").strip()[:300])
    audit.record("stock", "return", movement, after={"item": item.name, "person": person.name,
                                                     "quantity": format_quantity(quantity)}, summary=item.name)
    return movement


def reverse(movement_id: int, reason: str) -> StockMovement:
    """Undo a ledger row with an opposite row; the original stays. A receipt whose goods
    have already gone out cannot be undone (the balance would go negative)."""
    original = db.session.get(StockMovement, movement_id)
    if original is None:
        raise NotFound(_l("No such ledger entry."))
    reason = (reason or "").strip()
    if not reason:
        raise ServiceError(_l("Say why the entry is reversed."), "reason")
    if original.kind == "reversal":
        raise ServiceError(_l("A reversal cannot itself be reversed; record the movement again instead."))
    if original.kind in ("transfer_out", "transfer_in"):
        raise ServiceError(_l("Transfer the goods back instead of reversing a transfer."))
    item, store = get_item(original.item_id), db.session.get(Store, original.store_id)
    lock_items([item.id])  # first: two clicks on 冲销 take turns, and the second reads it done
    if db.session.scalar(select(StockMovement.id).where(StockMovement.reverses_id == original.id)) is not None:
        raise ServiceError(_l("This entry has already been reversed."))
    value_back = -original.value_fen
    if original.quantity_milli > 0:
        # Goods taken back out of stock leave at what the stock is worth now (moving
        # average), so the value on hand never goes below zero.
        have, value = _balance_for_update(item.id, store.id)
        if have < original.quantity_milli:
            raise _not_enough(item, store, have)
        value_back = -(value if have == original.quantity_milli else round(value * original.quantity_milli / have))
    movement = _post(item, store, "reversal", -original.quantity_milli, value_back,
                     reverses_id=original.id, person_id=original.person_id, department_id=original.department_id,
                     requisition_line_id=original.requisition_line_id, reason=reason[:300])
    audit.record("stock", "reversal", movement, after={"item": item.name, "reverses": original.id,
                                                       "reason": reason}, summary=item.name)
    if original.requisition_line_id:
        from schoolhq.stock.requisitions import reopen_after_reversal

        reopen_after_reversal(original.requisition_line_id)
    return movement


def _ledger_filter(item_id: int, store_id: int | None, account=None):
    where = [StockMovement.item_id == item_id]
    if store_id:
        where.append(StockMovement.store_id == store_id)
    reach = store_condition(StockMovement.store_id, account)
    if reach is not None:
        where.append(reach)
    return where


def ledger_query(item_id: int, store_id: int | None = None, account=None):
    """An item's ledger rows newest first, with the numbers of the documents behind them;
    with `account`, the rows of the stores it reads."""
    from sqlalchemy.orm import joinedload

    from schoolhq.auth.models import Account
    from schoolhq.stock.models import Requisition, RequisitionLine

    return (select(StockMovement, StockReceipt.number, Requisition.id, Requisition.number)
            .where(*_ledger_filter(item_id, store_id, account))
            .outerjoin(StockReceipt, StockReceipt.id == StockMovement.receipt_id)
            .outerjoin(RequisitionLine, RequisitionLine.id == StockMovement.requisition_line_id)
            .outerjoin(Requisition, Requisition.id == RequisitionLine.requisition_id)
            .options(joinedload(StockMovement.person), joinedload(StockMovement.store),
                     joinedload(StockMovement.actor).joinedload(Account.person))
            .order_by(StockMovement.id.desc()))


def ledger_ids(item_id: int, store_id: int | None = None, account=None):
    return select(StockMovement.id).where(*_ledger_filter(item_id, store_id, account)).order_by(StockMovement.id.desc())


def with_balances(rows, item_id: int, store_id: int | None = None, account=None) -> list[tuple]:
    """(movement, balance after it, receipt no., requisition id, requisition no.) for
    rows newest first. The balance after the newest row is what is on hand now less
    whatever came later; each older one follows by subtraction, so a page costs one
    small sum instead of a running total over the item's whole history."""
    rows = list(rows)
    if not rows:
        return []
    later = db.session.scalar(select(func.coalesce(ledger_sum(StockMovement.quantity_milli), 0)).where(
        *_ledger_filter(item_id, store_id, account), StockMovement.id > rows[0][0].id)) or 0
    balance = on_hand(item_id, store_id, account) - later
    result = []
    for movement, receipt_number, requisition_id, requisition_number in rows:
        result.append((movement, balance, receipt_number, requisition_id, requisition_number))
        balance -= movement.quantity_milli
    return result


def kind_label(kind: str) -> str:
    return str(KIND_LABELS.get(kind, kind))


# Hooks into the rest of the system ----------------------------------------------------

def dashboard_items(account):
    """For the store, the items at or below minimum and what waits at the window; for the
    keeper of the emergency reserve, the items below it, named; for anyone, the
    requisitions waiting for their approval, named."""
    from flask import url_for

    from schoolhq.core.permissions import can
    from schoolhq.dashboard.services import SHOWN, Entry, Item, first_rows, joined
    from schoolhq.stock import reports, requisitions

    items = []
    if can(account, "stock.issue"):
        low, _reserve = reports.low_counts(account)
        items.append(Item("stock", _l("Stock items at or below minimum"), low,
                          url_for("stock.index", level="low"), "warning"))
        items.append(Item("stock", _l("Requisitions to hand out"), requisitions.window_count(account),
                          url_for("stock.window")))
    if can(account, "stock.reserve"):
        reserve, rows = first_rows(item_rows(ItemFilters(level="reserve"), account))
        items.append(Item("stock", _l("Emergency reserves breached"), reserve, url_for("stock.index", level="reserve"),
                          "danger", [Entry(joined(item.name, item.spec), url_for("stock.item", item_id=item.id),
                                           str(_l("%(quantity)s on hand, reserve %(reserve)s",
                                                  quantity=f"{format_quantity(quantity)} {item.unit}",
                                                  reserve=f"{format_quantity(item.reserve_level_milli)} {item.unit}")))
                                     for item, quantity, _value, _total in rows]))
    if account.person_id:
        # who may approve is the requisitions' rule, in Python over the few pending ones
        waiting = requisitions.waiting_for(account)
        items.append(Item("stock", _l("Requisitions waiting for your approval"), len(waiting),
                          url_for("stock.approvals"), "warning",
                          [_approval_entry(account, requisition) for requisition in waiting[:SHOWN]]))
    return items


def _approval_entry(account, requisition):
    """"LY2026-0012 · 王芳 · 语文组 · A4复印纸 ×5, 白板笔 ×10": who asks for what, and which approval waits."""
    from flask import url_for

    from schoolhq.dashboard.services import Entry, joined, waiting
    from schoolhq.stock import requisitions

    lines = [f"{line.item.name} ×{format_quantity(line.quantity_milli)}" for line in requisition.lines[:2]]
    what = "、".join(lines) + ("…" if len(requisition.lines) > 2 else "")
    if requisition.needs_reserve_approval and not requisition.reserve_approved_by_id \
            and requisitions.may_release_reserve(account, requisition):
        note = str(_l("emergency reserve"))
    else:
        note = waiting(requisition.submitted_at) if requisition.submitted_at else ""
    return Entry(joined(requisition.number, requisition.requester.name,
                        requisition.department.name if requisition.department else "", what),
                 url_for("stock.requisition", requisition_id=requisition.id), note)


def open_by_barcode(code: str) -> str | None:
    from flask import url_for

    item = find_by_barcode(code)
    return url_for("stock.item", item_id=item.id) if item is not None else None


def attachment_rule(attachment, account):
    """An item's photo: anyone who may ask for stock; a recipient's signature: the store
    and the recipient."""
    from schoolhq.core.permissions import can
    from schoolhq.stock.models import StockIssue

    if db.session.scalar(select(StockItem.id).where(StockItem.photo_id == attachment.id).limit(1)):
        return can(account, "stock.request") or can(account, "stock.view")
    hand_over = db.session.scalar(select(StockIssue).where(StockIssue.signature_id == attachment.id).limit(1))
    if hand_over is None:
        return None
    requisition = hand_over.requisition
    return (account.person_id in (hand_over.recipient_id, requisition.requester_id)
            or can(account, "stock.issue", requisition.store) or can(account, "stock.view", requisition))
