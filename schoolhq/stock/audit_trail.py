"""How the audit page reads the stock area's entries: items, stores, receipts,
requisitions and counts by their names and numbers, linking to their pages where the
reader may open them."""

from __future__ import annotations

from flask_babel import lazy_gettext as _l
from sqlalchemy import select
from sqlalchemy.orm import joinedload

from schoolhq.core.audit import Named, page_of
from schoolhq.core.declare import AuditField, AuditTrail
from schoolhq.core.filters import local_date
from schoolhq.core.permissions import can
from schoolhq.extensions import db
from schoolhq.stock import requisitions as requisition_rules
from schoolhq.stock.models import (
    Requisition,
    StockCategory,
    StockCount,
    StockItem,
    StockMovement,
    StockReceipt,
    Store,
)
from schoolhq.stock.services import format_quantity, may_read


def items(ids: set[int], reader) -> dict[int, Named]:
    return {item.id: Named(item.name, page_of(reader, "stock.item", item_id=item.id))
            for item in db.session.scalars(select(StockItem).where(StockItem.id.in_(ids)))}


def movements(ids: set[int], reader) -> dict[int, Named]:
    rows = db.session.execute(select(StockMovement.id, StockItem.id.label("item_id"), StockItem.name)
                              .join(StockItem, StockItem.id == StockMovement.item_id).where(StockMovement.id.in_(ids)))
    return {row.id: Named(row.name, page_of(reader, "stock.item", item_id=row.item_id)) for row in rows}


def stores(ids: set[int], reader) -> dict[int, Named]:
    return {store.id: Named(store.name, page_of(reader, "stock.store_edit", store_id=store.id)
                            or page_of(reader, "stock.store_list"))
            for store in db.session.scalars(select(Store).where(Store.id.in_(ids)))}


def categories(ids: set[int], reader) -> dict[int, Named]:
    return {category.id: Named(category.name, page_of(reader, "stock.category_list"))
            for category in db.session.scalars(select(StockCategory).where(StockCategory.id.in_(ids)))}


def receipts(ids: set[int], reader) -> dict[int, Named]:
    rows = db.session.scalars(select(StockReceipt).options(joinedload(StockReceipt.store).joinedload(Store.location))
                              .where(StockReceipt.id.in_(ids)))
    return {receipt.id: Named(receipt.number, page_of(reader, "stock.receipt", may_read(reader, receipt.store),
                                                      receipt_id=receipt.id))
            for receipt in rows}


def requisitions(ids: set[int], reader) -> dict[int, Named]:
    """A requisition by its number; a cart never sent has none, and no page."""
    rows = db.session.scalars(select(Requisition).options(
        joinedload(Requisition.store).joinedload(Store.location), joinedload(Requisition.department))
        .where(Requisition.id.in_(ids)))
    out = {}
    for requisition in rows:
        opens = requisition.status != "draft" and (
            requisition.requester_id == reader.person_id or can(reader, "stock.issue", requisition.store)
            or can(reader, "stock.view", requisition))
        out[requisition.id] = Named(requisition.number or str(_l("A requisition not yet sent")),
                                    page_of(reader, "stock.requisition", opens, requisition_id=requisition.id))
    return out


def counts(ids: set[int], reader) -> dict[int, Named]:
    rows = db.session.scalars(select(StockCount).options(joinedload(StockCount.store).joinedload(Store.location))
                              .where(StockCount.id.in_(ids)))
    return {count.id: Named(f"{count.store.name} {local_date(count.started_at)}", page_of(
        reader, "stock.count", any(can(reader, p, count) for p in ("stock.issue", "stock.approve")), count_id=count.id))
            for count in rows}


def _quantity(value) -> str:
    return format_quantity(value) if isinstance(value, int) and not isinstance(value, bool) else str(value)


def _lines(value) -> str:
    """A requisition's lines: how many, or what went out of each item."""
    if isinstance(value, dict):
        return "、".join(f"{name} {quantity}" for name, quantity in value.items())
    return str(value)


AUDIT = AuditTrail(
    actions={
        "item.created": _l("Added a stock item"),
        "item.updated": _l("Changed a stock item"),
        "item.archived": _l("Archived a stock item"),
        "store.saved": _l("Saved a store"),
        "receipt.created": _l("Received goods into stock"),
        "transfer": _l("Moved stock between stores"),
        "write_off": _l("Wrote stock off"),
        "return": _l("Took stock back"),
        "reversal": _l("Reversed a stock movement"),
        "requisition.submitted": _l("Sent a requisition"),
        "requisition.approved.department": _l("Approved a requisition for the department"),
        "requisition.approved.reserve": _l("Released the emergency reserve for a requisition"),
        "requisition.rejected": _l("Rejected a requisition"),
        "requisition.cancelled": _l("Cancelled a requisition"),
        "requisition.issued": _l("Issued a requisition's goods"),
        "requisition.reserve_asked": _l("Asked to release the emergency reserve"),
        "requisition.closed": _l("Closed a requisition"),
        "count.started": _l("Started a stock count"),
        "count.submitted": _l("Submitted a stock count"),
        "count.approved": _l("Approved a stock count"),
        "count.sent_back": _l("Sent a stock count back"),
        "count.cancelled": _l("Cancelled a stock count"),
    },
    records={"stock_item": items, "stock_movement": movements, "store": stores, "stock_category": categories,
             "stock_receipt": receipts, "requisition": requisitions, "stock_count": counts},
    fields={
        "spec": AuditField(_l("Specification")),
        "unit": AuditField(_l("Unit")),
        "decimal_unit": AuditField(_l("Can be split")),
        "category_id": AuditField(_l("Category"), refers="stock_category"),
        "barcode": AuditField(_l("Barcode")),
        "min_level_milli": AuditField(_l("Minimum level"), shows=_quantity),
        "target_level_milli": AuditField(_l("Target level"), shows=_quantity),
        "reserve_level_milli": AuditField(_l("Emergency reserve"), shows=_quantity),
        "quota_person_milli": AuditField(_l("Monthly quota per person"), shows=_quantity),
        "quota_department_milli": AuditField(_l("Monthly quota per department"), shows=_quantity),
        "needs_approval": AuditField(_l("Special item")),
        "keeper_id": AuditField(_l("Keeper"), refers="person"),
        "location_id": AuditField(_l("Place"), refers="location"),
        "lines": AuditField(_l("Items"), shows=_lines),
        "status": AuditField(_l("Status"), shows=requisition_rules.status_label),
        "store": AuditField(_l("Store")),
        "supplier": AuditField(_l("Supplier")),
        "item": AuditField(_l("Item")),
        "from": AuditField(_l("From store")),
        "to": AuditField(_l("Into store")),
        "quantity": AuditField(_l("Quantity")),
        "person": AuditField(_l("Brought back by")),
        "reverses": AuditField(_l("Reverses"), refers="stock_movement"),
        "differences": AuditField(_l("Items that differ")),
    },
)
