"""Consumables on an append-only ledger.

Quantities are integers in thousandths of the item's unit (`*_milli`: 2.5 kg is 2500),
so decimal units add and compare exactly on both engines. Money is integer fen."""

from __future__ import annotations

from datetime import date, datetime
from typing import TYPE_CHECKING

from sqlalchemy import (
    DDL,
    BigInteger,
    Boolean,
    CheckConstraint,
    ForeignKey,
    Index,
    String,
    Text,
    UniqueConstraint,
    event,
)
from sqlalchemy.orm import Mapped, mapped_column, relationship

from schoolhq.core.database import append_only
from schoolhq.core.permissions import AccessScope
from schoolhq.core.timeutil import utcnow
from schoolhq.extensions import db

if TYPE_CHECKING:
    from schoolhq.auth.models import Account
    from schoolhq.people.models import Department, Person
    from schoolhq.places.models import Location

MOVEMENT_KINDS = ("receipt", "issue", "return", "transfer_out", "transfer_in", "adjustment", "write_off",
                  "reversal")


class StockCategory(db.Model):
    __tablename__ = "stock_category"

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(60), unique=True)
    sort_order: Mapped[int] = mapped_column(default=0)
    archived_at: Mapped[datetime | None]


class StockItem(db.Model):
    """A kind of consumable: A4 paper 70 g, 84 disinfectant 500 ml, AA batteries."""

    __tablename__ = "stock_item"
    __table_args__ = (
        CheckConstraint("min_level_milli >= 0 AND target_level_milli >= 0 AND reserve_level_milli >= 0",
                        name="levels_not_negative"),
        Index("ix_stock_item_initials", "pinyin_initials"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(100), index=True)
    spec: Mapped[str] = mapped_column(String(100), default="")
    unit: Mapped[str] = mapped_column(String(10), default="个")
    #: whether the unit may be split (kg, litre); boxes and reams may not
    decimal_unit: Mapped[bool] = mapped_column(Boolean, default=False)
    category_id: Mapped[int] = mapped_column(ForeignKey("stock_category.id"), index=True)
    barcode: Mapped[str | None] = mapped_column(String(40), unique=True)
    photo_id: Mapped[int | None] = mapped_column(ForeignKey("attachment.id"))
    pinyin: Mapped[str] = mapped_column(String(200), default="")
    pinyin_initials: Mapped[str] = mapped_column(String(60), default="")
    #: at or below: on the storekeeper's purchase list
    min_level_milli: Mapped[int] = mapped_column(default=0)
    #: the purchase list buys up to this level
    target_level_milli: Mapped[int] = mapped_column(default=0)
    #: 应急储备: issuing below it needs the logistics head's approval
    reserve_level_milli: Mapped[int] = mapped_column(default=0)
    #: soft monthly quotas; None means no quota
    quota_person_milli: Mapped[int | None]
    quota_department_milli: Mapped[int | None]
    #: special items need the department head's approval on a requisition
    needs_approval: Mapped[bool] = mapped_column(Boolean, default=False)
    note: Mapped[str] = mapped_column(Text, default="")
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    archived_at: Mapped[datetime | None]

    category: Mapped[StockCategory] = relationship()


class Store(db.Model):
    """A store (the main store, a floor cupboard): a place in the location tree with a keeper."""

    __tablename__ = "store"

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(60), unique=True)
    location_id: Mapped[int] = mapped_column(ForeignKey("location.id"), index=True)
    keeper_id: Mapped[int | None] = mapped_column(ForeignKey("person.id"), index=True)
    archived_at: Mapped[datetime | None]

    location: Mapped[Location] = relationship()
    keeper: Mapped[Person | None] = relationship()

    def access_scope(self) -> AccessScope:
        return AccessScope(location_path=self.location.path)


class StockBalance(db.Model):
    """Quantity and value on hand per item and store. Written only by the database's
    trigger on stock_movement, so it always equals the sum of the ledger; its check
    constraint is what refuses a negative balance."""

    __tablename__ = "stock_balance"
    __table_args__ = (CheckConstraint("quantity_milli >= 0", name="never_negative"),)

    item_id: Mapped[int] = mapped_column(ForeignKey("stock_item.id"), primary_key=True)
    store_id: Mapped[int] = mapped_column(ForeignKey("store.id"), primary_key=True, index=True)
    quantity_milli: Mapped[int] = mapped_column(BigInteger, default=0)
    #: moving-average value of what is on hand
    value_fen: Mapped[int] = mapped_column(BigInteger, default=0)


class StockReceipt(db.Model):
    """入库单: goods received into a store; its lines are receipt movements."""

    __tablename__ = "stock_receipt"

    id: Mapped[int] = mapped_column(primary_key=True)
    number: Mapped[str] = mapped_column(String(30), unique=True)
    store_id: Mapped[int] = mapped_column(ForeignKey("store.id"), index=True)
    supplier: Mapped[str] = mapped_column(String(100), default="")
    invoice_no: Mapped[str] = mapped_column(String(40), default="")
    received_on: Mapped[date]
    note: Mapped[str] = mapped_column(String(300), default="")
    #: the finance area's purchase request whose acceptance received these goods (no foreign
    #: key: adding one to a table this size would rebuild it on SQLite; finance writes it)
    purchase_request_id: Mapped[int | None] = mapped_column(index=True)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    created_by_id: Mapped[int | None] = mapped_column(ForeignKey("account.id"))

    store: Mapped[Store] = relationship()
    created_by: Mapped[Account | None] = relationship()


class Requisition(db.Model):
    """领用单: what a person asks for, for themself or their department."""

    __tablename__ = "requisition"
    __table_args__ = (
        CheckConstraint("status IN ('draft', 'pending', 'ready', 'partly_issued', 'issued', 'rejected', "
                        "'cancelled')", name="status"),
        Index("ix_requisition_status", "status", "submitted_at"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    number: Mapped[str | None] = mapped_column(String(30), unique=True)
    requester_id: Mapped[int] = mapped_column(ForeignKey("person.id"), index=True)
    #: the department charged; set when it is for the department, else the requester's own
    department_id: Mapped[int | None] = mapped_column(ForeignKey("department.id"), index=True)
    for_department: Mapped[bool] = mapped_column(Boolean, default=False)
    purpose: Mapped[str] = mapped_column(String(200), default="")
    store_id: Mapped[int] = mapped_column(ForeignKey("store.id"), index=True)
    #: draft (the cart) → pending (waiting for approval) → ready → partly_issued → issued;
    #: or rejected / cancelled
    status: Mapped[str] = mapped_column(String(20), default="draft")
    #: issued straight over the counter by the storekeeper
    at_counter: Mapped[bool] = mapped_column(Boolean, default=False)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    submitted_at: Mapped[datetime | None]
    needs_department_approval: Mapped[bool] = mapped_column(Boolean, default=False)
    department_approved_by_id: Mapped[int | None] = mapped_column(ForeignKey("account.id"))
    department_approved_at: Mapped[datetime | None]
    needs_reserve_approval: Mapped[bool] = mapped_column(Boolean, default=False)
    reserve_approved_by_id: Mapped[int | None] = mapped_column(ForeignKey("account.id"))
    reserve_approved_at: Mapped[datetime | None]
    decided_note: Mapped[str] = mapped_column(String(300), default="")
    rejected_by_id: Mapped[int | None] = mapped_column(ForeignKey("account.id"))
    closed_at: Mapped[datetime | None]

    requester: Mapped[Person] = relationship()
    department: Mapped[Department | None] = relationship()
    store: Mapped[Store] = relationship()
    department_approver: Mapped[Account | None] = relationship(foreign_keys=[department_approved_by_id])
    reserve_approver: Mapped[Account | None] = relationship(foreign_keys=[reserve_approved_by_id])
    lines: Mapped[list[RequisitionLine]] = relationship(back_populates="requisition", order_by="RequisitionLine.id", cascade="all, delete-orphan")

    def access_scope(self) -> AccessScope:
        return AccessScope(location_path=self.store.location.path,
                           department_path=self.department.path if self.department else None)


class RequisitionLine(db.Model):
    __tablename__ = "requisition_line"
    __table_args__ = (
        UniqueConstraint("requisition_id", "item_id", name="uq_requisition_line_item"),
        CheckConstraint("quantity_milli > 0", name="quantity_positive"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    requisition_id: Mapped[int] = mapped_column(ForeignKey("requisition.id"), index=True)
    item_id: Mapped[int] = mapped_column(ForeignKey("stock_item.id"), index=True)
    #: what was asked for; what went out is in the ledger
    quantity_milli: Mapped[int]

    requisition: Mapped[Requisition] = relationship(back_populates="lines")
    item: Mapped[StockItem] = relationship()


class StockIssue(db.Model):
    """One hand-over at the window: who took the goods, and their signature."""

    __tablename__ = "stock_issue"

    id: Mapped[int] = mapped_column(primary_key=True)
    requisition_id: Mapped[int] = mapped_column(ForeignKey("requisition.id"), index=True)
    issued_at: Mapped[datetime] = mapped_column(default=utcnow, index=True)
    issued_by_id: Mapped[int | None] = mapped_column(ForeignKey("account.id"))
    recipient_id: Mapped[int] = mapped_column(ForeignKey("person.id"), index=True)
    #: the recipient's signature on the tablet; None when they sign the printed 领用登记表
    signature_id: Mapped[int | None] = mapped_column(ForeignKey("attachment.id"))

    requisition: Mapped[Requisition] = relationship()
    recipient: Mapped[Person] = relationship()


class StockCount(db.Model):
    """盘点: one store counted; expected quantities snapshotted when it starts."""

    __tablename__ = "stock_count"
    __table_args__ = (
        CheckConstraint("status IN ('open', 'submitted', 'approved', 'cancelled')", name="status"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    store_id: Mapped[int] = mapped_column(ForeignKey("store.id"), index=True)
    status: Mapped[str] = mapped_column(String(20), default="open")
    #: the last ledger row when counting started: later movements are accounted for
    start_mark: Mapped[int] = mapped_column(default=0)
    started_at: Mapped[datetime] = mapped_column(default=utcnow)
    started_by_id: Mapped[int | None] = mapped_column(ForeignKey("account.id"))
    submitted_at: Mapped[datetime | None]
    decided_at: Mapped[datetime | None]
    decided_by_id: Mapped[int | None] = mapped_column(ForeignKey("account.id"))

    store: Mapped[Store] = relationship()
    started_by: Mapped[Account | None] = relationship(foreign_keys=[started_by_id])

    def access_scope(self) -> AccessScope:
        return self.store.access_scope()


class StockCountLine(db.Model):
    __tablename__ = "stock_count_line"
    __table_args__ = (
        UniqueConstraint("count_id", "item_id", name="uq_stock_count_line_item"),
        CheckConstraint("counted_milli IS NULL OR counted_milli >= 0", name="counted_not_negative"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    count_id: Mapped[int] = mapped_column(ForeignKey("stock_count.id"), index=True)
    item_id: Mapped[int] = mapped_column(ForeignKey("stock_item.id"))
    expected_milli: Mapped[int] = mapped_column(BigInteger)
    counted_milli: Mapped[int | None] = mapped_column(BigInteger)
    #: the last ledger row when this line was counted
    counted_mark: Mapped[int | None]
    counted_at: Mapped[datetime | None]
    counted_by_id: Mapped[int | None] = mapped_column(ForeignKey("account.id"))
    reason: Mapped[str] = mapped_column(String(200), default="")

    item: Mapped[StockItem] = relationship()


class StockMovement(db.Model):
    """One row of the ledger. Never updated or deleted (the database refuses); a
    mistake is put right by a reversal row."""

    __tablename__ = "stock_movement"
    __table_args__ = (
        CheckConstraint("kind IN ('receipt', 'issue', 'return', 'transfer_out', 'transfer_in', 'adjustment', "
                        "'write_off', 'reversal')", name="kind"),
        CheckConstraint("(kind IN ('receipt', 'return', 'transfer_in') AND quantity_milli > 0) OR "
                        "(kind IN ('issue', 'write_off', 'transfer_out') AND quantity_milli < 0) OR "
                        "(kind IN ('adjustment', 'reversal') AND quantity_milli <> 0)", name="sign_matches_kind"),
        Index("ix_stock_movement_item_store", "item_id", "store_id", "id"),
        # an item's ledger newest first, page by page
        Index("ix_stock_movement_item_id", "item_id", "id"),
        # this month's consumption of an item (quotas), without reading its whole history
        Index("ix_stock_movement_item_time", "item_id", "occurred_at"),
        Index("ix_stock_movement_store_id", "store_id", "id"),
        Index("ix_stock_movement_kind_time", "kind", "occurred_at"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    item_id: Mapped[int] = mapped_column(ForeignKey("stock_item.id"))
    store_id: Mapped[int] = mapped_column(ForeignKey("store.id"))
    kind: Mapped[str] = mapped_column(String(20))
    #: signed: positive comes in, negative goes out
    quantity_milli: Mapped[int] = mapped_column(BigInteger)
    #: signed value at cost (receipt price in, moving average out)
    value_fen: Mapped[int] = mapped_column(BigInteger, default=0)
    occurred_at: Mapped[datetime] = mapped_column(default=utcnow)
    actor_id: Mapped[int | None] = mapped_column(ForeignKey("account.id"))
    #: who received (an issue) or brought back (a return)
    person_id: Mapped[int | None] = mapped_column(ForeignKey("person.id"), index=True)
    #: the department charged with the consumption
    department_id: Mapped[int | None] = mapped_column(ForeignKey("department.id"), index=True)
    receipt_id: Mapped[int | None] = mapped_column(ForeignKey("stock_receipt.id"), index=True)
    issue_id: Mapped[int | None] = mapped_column(ForeignKey("stock_issue.id"), index=True)
    requisition_line_id: Mapped[int | None] = mapped_column(ForeignKey("requisition_line.id"), index=True)
    count_id: Mapped[int | None] = mapped_column(ForeignKey("stock_count.id"), index=True)
    #: the other half of a transfer
    transfer_store_id: Mapped[int | None] = mapped_column(ForeignKey("store.id"))
    #: a reversal names the row it undoes; each row can be undone once
    reverses_id: Mapped[int | None] = mapped_column(ForeignKey("stock_movement.id"), unique=True)
    reason: Mapped[str] = mapped_column(String(300), default="")

    item: Mapped[StockItem] = relationship()
    store: Mapped[Store] = relationship(foreign_keys=[store_id])
    person: Mapped[Person | None] = relationship()
    department: Mapped[Department | None] = relationship()
    actor: Mapped[Account | None] = relationship()

    @property
    def unit_cost_fen(self) -> int:
        return round(abs(self.value_fen) * 1000 / abs(self.quantity_milli)) if self.quantity_milli else 0


# The ledger keeps the balance: each new row adds to its item's balance in its store, in
# the same statement, where the check constraint refuses a negative result. The rows
# themselves are append-only.
append_only(StockMovement.__table__, "the stock ledger")
SQLITE_TRIGGERS = [
    "CREATE TRIGGER stock_movement_balance AFTER INSERT ON stock_movement BEGIN "
    "INSERT OR IGNORE INTO stock_balance (item_id, store_id, quantity_milli, value_fen) "
    "VALUES (NEW.item_id, NEW.store_id, 0, 0); "
    "UPDATE stock_balance SET quantity_milli = quantity_milli + NEW.quantity_milli, "
    "value_fen = value_fen + NEW.value_fen WHERE item_id = NEW.item_id AND store_id = NEW.store_id; END",
]
PG_TRIGGERS = [
    # UPDATE first: an INSERT … ON CONFLICT would check the constraint on the row it
    # proposes (a negative first row) before finding the conflict.
    "CREATE OR REPLACE FUNCTION stock_movement_balance() RETURNS trigger AS $$ BEGIN "
    "UPDATE stock_balance SET quantity_milli = quantity_milli + NEW.quantity_milli, "
    "value_fen = value_fen + NEW.value_fen WHERE item_id = NEW.item_id AND store_id = NEW.store_id; "
    "IF NOT FOUND THEN "
    "INSERT INTO stock_balance (item_id, store_id, quantity_milli, value_fen) "
    "VALUES (NEW.item_id, NEW.store_id, NEW.quantity_milli, NEW.value_fen) "
    "ON CONFLICT (item_id, store_id) DO UPDATE SET "
    "quantity_milli = stock_balance.quantity_milli + EXCLUDED.quantity_milli, "
    "value_fen = stock_balance.value_fen + EXCLUDED.value_fen; END IF; RETURN NEW; END; $$ LANGUAGE plpgsql",
    "CREATE TRIGGER stock_movement_balance AFTER INSERT ON stock_movement "
    "FOR EACH ROW EXECUTE FUNCTION stock_movement_balance()",
]
for _statement in SQLITE_TRIGGERS:
    event.listen(StockMovement.__table__, "after_create", DDL(_statement).execute_if(dialect="sqlite"))
for _statement in PG_TRIGGERS:
    # DDL() formats its text with %: the literal % of RAISE is doubled.
    event.listen(StockMovement.__table__, "after_create",
                 DDL(_statement.replace("%", "%%")).execute_if(dialect="postgresql"))
