"""盘点: count one store on a tablet. What the ledger expected is snapshotted when the
count starts; goods that move while people count are accounted for line by line, and
the differences reach the ledger only when someone else approves them, each with a reason."""

from __future__ import annotations

from dataclasses import dataclass

from flask_babel import lazy_gettext as _l
from sqlalchemy import and_, func, select
from sqlalchemy.orm import contains_eager, joinedload

from schoolhq.auth.models import Account
from schoolhq.core import audit
from schoolhq.core.database import locked
from schoolhq.core.errors import NotFound, ServiceError, get_or_raise
from schoolhq.core.permissions import can
from schoolhq.core.timeutil import utcnow
from schoolhq.extensions import db
from schoolhq.stock import services
from schoolhq.stock.models import (
    StockBalance,
    StockCount,
    StockCountLine,
    StockItem,
    StockMovement,
    Store,
)
from schoolhq.stock.services import UNIT, ledger_sum, parse_quantity

STATUS_LABELS = {"open": _l("Counting"), "submitted": _l("Waiting for approval"), "approved": _l("Approved"),
                 "cancelled": _l("Cancelled")}
#: a count waiting for approval still needs someone: it is not yet "done" green
STATUS_TONES = {"open": "plain", "submitted": "warn", "approved": "ok",
                                           "cancelled": "muted"}


def status_label(status: str) -> str:
    return str(STATUS_LABELS.get(status, status))


def get(count_id: int) -> StockCount:
    return get_or_raise(StockCount, count_id, _l("No such stock count."))


def _last_movement_id() -> int:
    return db.session.scalar(select(func.max(StockMovement.id))) or 0


def _locked(count_id: int) -> StockCount:
    return locked(StockCount, count_id, _l("No such stock count."))


def _lock_store(store_id: int, item_id: int | None = None) -> None:
    """Lock the store's balance rows (or one item's) before reading the ledger's last
    row: every movement still in flight there has then committed, so the mark cannot
    skip one (PostgreSQL hands out ids before commit)."""
    query = select(StockBalance.item_id).where(StockBalance.store_id == store_id)
    if item_id is not None:
        query = query.where(StockBalance.item_id == item_id)
    db.session.execute(query.order_by(StockBalance.item_id).with_for_update()).all()


def start(account, store_id: int | None) -> StockCount:
    store = services.get_store(store_id)
    locked(Store, store.id, _l("Choose a store."))  # one count of a store at a time, however many click
    if db.session.scalar(select(StockCount.id).where(StockCount.store_id == store.id,
                                                     StockCount.status.in_(("open", "submitted")))):
        raise ServiceError(_l("A count of %(store)s is already under way; finish it first.", store=store.name),
                           "store_id")
    _lock_store(store.id)
    count = StockCount(store_id=store.id, start_mark=_last_movement_id(), started_by_id=account.id)
    db.session.add(count)
    db.session.flush()
    balances = db.session.execute(select(StockBalance.item_id, StockBalance.quantity_milli)
                                  .join(StockItem, StockItem.id == StockBalance.item_id)
                                  .where(StockBalance.store_id == store.id, StockItem.archived_at.is_(None)))
    db.session.add_all([StockCountLine(count_id=count.id, item_id=item_id, expected_milli=quantity)
                        for item_id, quantity in balances])
    db.session.flush()
    audit.record("stock", "count.started", count, after={"store": store.name}, summary=store.name)
    return count


def _open(count: StockCount) -> StockCount:
    if count.status != "open":
        raise ServiceError(_l("This count is %(status)s and can no longer be changed.",
                              status=status_label(count.status)))
    return count


def line_for(count: StockCount, item: StockItem | None) -> StockCountLine:
    if item is None:
        raise ServiceError(_l("No stock item has that barcode."), "code")
    line = db.session.scalar(select(StockCountLine).where(StockCountLine.count_id == count.id,
                                                          StockCountLine.item_id == item.id))
    if line is None:
        raise ServiceError(_l("%(item)s is not stocked in %(store)s.", item=item.name, store=count.store.name), "code")
    return line


def record(account, count_id: int, item_id: int | None, counted_text: str) -> StockCountLine:
    count = _open(_locked(count_id))
    line = line_for(count, db.session.get(StockItem, item_id or 0))
    line.counted_milli = parse_quantity(counted_text, line.item, f"counted-{line.id}", allow_zero=True)
    _lock_store(count.store_id, line.item_id)
    line.counted_mark = _last_movement_id()
    line.counted_at, line.counted_by_id = utcnow(), account.id
    db.session.flush()
    return line


def set_reason(count_id: int, line_id: int, reason: str) -> StockCountLine:
    count = _open(_locked(count_id))
    line = db.session.get(StockCountLine, line_id)
    if line is None or line.count_id != count.id:
        raise NotFound(_l("No such line in this count."))
    line.reason = (reason or "").strip()[:200]
    db.session.flush()
    return line


@dataclass
class Variance:
    line: StockCountLine
    #: what the ledger held at the moment the line was counted
    expected_milli: int
    variance_milli: int
    value_fen: int


def variances(count: StockCount, line_id: int | None = None) -> list[Variance]:
    """Every line with its expected quantity at counting time (the snapshot plus what
    moved between the start and the count) and the difference; one query."""
    moved = (select(func.coalesce(ledger_sum(StockMovement.quantity_milli), 0))
             .where(StockMovement.store_id == count.store_id, StockMovement.item_id == StockCountLine.item_id,
                    StockMovement.id > count.start_mark,
                    StockMovement.id <= func.coalesce(StockCountLine.counted_mark, count.start_mark))
             .correlate(StockCountLine).scalar_subquery())
    # valued at the store's own average, as the adjustment will be booked
    value = (select(func.coalesce(ledger_sum(StockBalance.value_fen), 0))
             .where(StockBalance.item_id == StockCountLine.item_id, StockBalance.store_id == count.store_id)
             .correlate(StockCountLine).scalar_subquery())
    held = (select(func.coalesce(ledger_sum(StockBalance.quantity_milli), 0))
            .where(StockBalance.item_id == StockCountLine.item_id, StockBalance.store_id == count.store_id)
            .correlate(StockCountLine).scalar_subquery())
    rows = db.session.execute(select(StockCountLine, moved, value, held).join(StockItem, and_(
        StockItem.id == StockCountLine.item_id)).where(StockCountLine.count_id == count.id,
                                                       *([StockCountLine.id == line_id] if line_id else []))
        .order_by(StockItem.category_id, StockItem.pinyin, StockItem.name).options(contains_eager(StockCountLine.item)))
    rows = rows.all()
    fallback = services.average_costs([line.item_id for line, _m, _v, held in rows if not held])
    result = []
    for line, moved_milli, value_fen, held_milli in rows:
        expected = line.expected_milli + (moved_milli or 0)
        variance = (line.counted_milli - expected) if line.counted_milli is not None else 0
        average = value_fen * UNIT / held_milli if held_milli else fallback[line.item_id]
        result.append(Variance(line, expected, variance, round(variance * average / UNIT)))
    return result


def submit(account, count_id: int) -> StockCount:
    count = _open(_locked(count_id))
    rows = variances(count)
    missing = [row.line.item.name for row in rows if row.line.counted_milli is None]
    if missing:
        raise ServiceError(_l("%(n)s items are not counted yet, for example %(item)s.", n=len(missing),
                              item=missing[0]))
    unexplained = [row.line.item.name for row in rows if row.variance_milli and not row.line.reason]
    if unexplained:
        raise ServiceError(_l("Give a reason for each difference, for example %(item)s.", item=unexplained[0]))
    count.status, count.submitted_at = "submitted", utcnow()
    db.session.flush()
    audit.record("stock", "count.submitted", count, after={"differences": sum(1 for r in rows if r.variance_milli)},
                 summary=count.store.name)
    return count


def approve(account, count_id: int) -> StockCount:
    """Apply the differences as adjustment rows. The approver must be someone other than
    whoever started the count; a loss larger than what is left now is refused."""
    count = _locked(count_id)
    if count.status != "submitted":
        raise ServiceError(_l("Only a submitted count can be approved."))
    if not can(account, "stock.approve", count):
        raise ServiceError(_l("You cannot approve stock counts."))
    counted_by = set(db.session.scalars(select(StockCountLine.counted_by_id).where(StockCountLine.count_id == count.id)))
    if account.id == count.started_by_id or account.id in counted_by:
        raise ServiceError(_l("Someone other than the person who ran the count must approve it."))
    rows = variances(count)
    services.lock_items([row.line.item_id for row in rows if row.variance_milli], count.store_id)
    for row in rows:
        if not row.variance_milli:
            continue
        item = row.line.item
        if row.variance_milli > 0:
            services.put(item, count.store, row.variance_milli, row.value_fen, "adjustment", count_id=count.id,
                         reason=row.line.reason)
        else:
            services.take(item, count.store, -row.variance_milli, "adjustment", count_id=count.id,
                          reason=row.line.reason)
    count.status, count.decided_at, count.decided_by_id = "approved", utcnow(), account.id
    db.session.flush()
    audit.record("stock", "count.approved", count, summary=count.store.name)
    return count


def send_back(account, count_id: int) -> StockCount:
    """Return a submitted count for recounting."""
    count = _locked(count_id)
    if count.status != "submitted":
        raise ServiceError(_l("Only a submitted count can be sent back."))
    if not can(account, "stock.approve", count):
        raise ServiceError(_l("You cannot approve stock counts."))
    count.status = "open"
    db.session.flush()
    audit.record("stock", "count.sent_back", count, summary=count.store.name)
    return count


def cancel(account, count_id: int) -> StockCount:
    count = _locked(count_id)
    if count.status not in ("open", "submitted"):
        raise ServiceError(_l("This count is %(status)s and can no longer be changed.",
                              status=status_label(count.status)))
    count.status, count.decided_at, count.decided_by_id = "cancelled", utcnow(), account.id
    db.session.flush()
    audit.record("stock", "count.cancelled", count, summary=count.store.name)
    return count


#: who opens the counts: each sees the counts of the stores their grants of these reach
PERMISSIONS = ("stock.issue", "stock.approve")


def recent(limit: int = 50, account=None) -> list[StockCount]:
    """The latest counts: of every store, or of the stores `account` counts or approves."""
    query = select(StockCount).options(joinedload(StockCount.store),
                                       joinedload(StockCount.started_by).joinedload(Account.person))
    query = services.within_stores(query, StockCount.store_id, account, PERMISSIONS)
    return list(db.session.scalars(query.order_by(StockCount.id.desc()).limit(limit)))


def progress(count: StockCount) -> tuple[int, int]:
    counted, total = db.session.execute(select(func.count(StockCountLine.counted_milli), func.count(StockCountLine.id))
                                        .where(StockCountLine.count_id == count.id)).one()
    return counted, total

