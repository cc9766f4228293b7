"""Finance for a school without books of its own (会计集中核算): budget lines of a fiscal
year and their adjustments, purchase requests approved by amount, their acceptance (验收)
and the expenditures that pay for them (报账). Money is integer fen; nothing is deleted:
an adjustment or an expenditure is corrected by another row that reverses it."""

from __future__ import annotations

from datetime import date, datetime
from typing import TYPE_CHECKING

from sqlalchemy import BigInteger, CheckConstraint, ForeignKey, Index, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from schoolhq.core.database import append_only
from schoolhq.core.timeutil import utcnow
from schoolhq.extensions import db

if TYPE_CHECKING:
    from schoolhq.auth.models import Account
    from schoolhq.people.models import Department

#: pending 待审批 → approved 已审批（在途） → accepted 已验收 → paid 已报账; or rejected, cancelled
REQUEST_STATUSES = ("pending", "approved", "accepted", "paid", "rejected", "cancelled")
#: the approval steps, in order: the logistics head, the principal, a 行政会 decision
LEVELS = ("head", "principal", "meeting")
LINE_KINDS = ("stock", "asset", "other")


class BudgetLine(db.Model):
    """预算项目: one line of a fiscal year's budget; its current amount is the original plus
    its adjustments."""

    __tablename__ = "finance_budget_line"
    __table_args__ = (
        UniqueConstraint("fiscal_year", "code", name="one_code_a_year"),
        CheckConstraint("original_fen >= 0", name="original_not_negative"),
        CheckConstraint("fiscal_year BETWEEN 2000 AND 2100", name="fiscal_year"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    fiscal_year: Mapped[int] = mapped_column(index=True)
    code: Mapped[str] = mapped_column(String(30))
    name: Mapped[str] = mapped_column(String(100))
    department_id: Mapped[int | None] = mapped_column(ForeignKey("department.id"))
    original_fen: Mapped[int] = mapped_column(BigInteger)
    #: 应急资金: spending from it needs the principal whatever the amount
    emergency: Mapped[bool] = mapped_column(default=False)
    note: Mapped[str] = mapped_column(String(300), default="")
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    created_by_id: Mapped[int | None] = mapped_column(ForeignKey("account.id"))

    department: Mapped[Department | None] = relationship()


class BudgetAdjustment(db.Model):
    """预算调整: more or less on a line, with the reason and who approved it. Append-only."""

    __tablename__ = "finance_budget_adjustment"
    __table_args__ = (CheckConstraint("amount_fen <> 0", name="not_zero"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    line_id: Mapped[int] = mapped_column(ForeignKey("finance_budget_line.id"), index=True)
    amount_fen: Mapped[int] = mapped_column(BigInteger)
    reason: Mapped[str] = mapped_column(String(300))
    #: who decided it (the principal, a 行政会): named, as the accounting centre asks
    approved_by: Mapped[str] = mapped_column(String(100))
    made_on: Mapped[date]
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    created_by_id: Mapped[int | None] = mapped_column(ForeignKey("account.id"))

    created_by: Mapped[Account | None] = relationship()


append_only(BudgetAdjustment.__table__, "the budget adjustments")


class PurchaseRequest(db.Model):
    """采购申请: what is to be bought, from which line, why; approved step by step by amount."""

    __tablename__ = "finance_purchase_request"
    __table_args__ = (
        CheckConstraint("status IN ('pending', 'approved', 'accepted', 'paid', 'rejected', 'cancelled')",
                        name="status"),
        CheckConstraint("total_fen > 0", name="total_positive"),
        CheckConstraint("levels_needed BETWEEN 1 AND 3", name="levels_needed"),
        Index("ix_finance_purchase_request_line_status", "line_id", "status"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    number: Mapped[str] = mapped_column(String(30), unique=True)
    line_id: Mapped[int] = mapped_column(ForeignKey("finance_budget_line.id"))
    requester_id: Mapped[int] = mapped_column(ForeignKey("account.id"), index=True)
    title: Mapped[str] = mapped_column(String(100))
    justification: Mapped[str] = mapped_column(String(500))
    #: the lines' sum, kept with the request (a request's lines never change once made)
    total_fen: Mapped[int] = mapped_column(BigInteger)
    #: how many of LEVELS its amount (and line) need, fixed when it was made
    levels_needed: Mapped[int]
    status: Mapped[str] = mapped_column(String(10), default="pending")
    supplier: Mapped[str] = mapped_column(String(100), default="")
    decided_at: Mapped[datetime | None]
    accepted_at: Mapped[datetime | None]
    paid_at: Mapped[datetime | None]
    cancelled_reason: Mapped[str] = mapped_column(String(300), default="")
    created_at: Mapped[datetime] = mapped_column(default=utcnow)

    line: Mapped[BudgetLine] = relationship()
    requester: Mapped[Account] = relationship()
    lines: Mapped[list[PurchaseLine]] = relationship(order_by="PurchaseLine.id", back_populates="request")
    approvals: Mapped[list[Approval]] = relationship(order_by="Approval.id", viewonly=True)
    acceptances: Mapped[list[Acceptance]] = relationship(order_by="Acceptance.id", viewonly=True)

    @property
    def levels(self) -> tuple[str, ...]:
        return LEVELS[:self.levels_needed]


class PurchaseLine(db.Model):
    """One line of a request: a stock item (received into the store on acceptance), an
    asset category (registered as assets), or anything else."""

    __tablename__ = "finance_purchase_line"
    __table_args__ = (
        CheckConstraint("quantity > 0", name="quantity_positive"),
        CheckConstraint("unit_price_fen >= 0", name="price_not_negative"),
        CheckConstraint("kind IN ('stock', 'asset', 'other')", name="kind"),
        CheckConstraint("(kind = 'stock') = (stock_item_id IS NOT NULL)", name="stock_has_item"),
        CheckConstraint("(kind = 'asset') = (asset_category_id IS NOT NULL)", name="asset_has_category"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    request_id: Mapped[int] = mapped_column(ForeignKey("finance_purchase_request.id"), index=True)
    kind: Mapped[str] = mapped_column(String(6), default="other")
    description: Mapped[str] = mapped_column(String(200))
    quantity: Mapped[int]
    unit_price_fen: Mapped[int] = mapped_column(BigInteger)
    stock_item_id: Mapped[int | None] = mapped_column(ForeignKey("stock_item.id"))
    asset_category_id: Mapped[int | None] = mapped_column(ForeignKey("asset_category.id"))

    request: Mapped[PurchaseRequest] = relationship(back_populates="lines")

    @property
    def amount_fen(self) -> int:
        return self.quantity * self.unit_price_fen


class Approval(db.Model):
    """One step's decision on a request. One row a step: two approvers pressing at once
    leave one (the unique key), and nothing is changed afterwards."""

    __tablename__ = "finance_approval"
    __table_args__ = (
        UniqueConstraint("request_id", "level", name="one_decision_a_step"),
        CheckConstraint("level IN ('head', 'principal', 'meeting')", name="level"),
        CheckConstraint("decision IN ('approved', 'rejected')", name="decision"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    request_id: Mapped[int] = mapped_column(ForeignKey("finance_purchase_request.id"), index=True)
    level: Mapped[str] = mapped_column(String(10))
    decision: Mapped[str] = mapped_column(String(10))
    by_id: Mapped[int] = mapped_column(ForeignKey("account.id"))
    note: Mapped[str] = mapped_column(String(300), default="")
    #: a 行政会 decision: the meeting's date and minutes (会议纪要) reference
    minutes: Mapped[str] = mapped_column(String(200), default="")
    created_at: Mapped[datetime] = mapped_column(default=utcnow)

    by: Mapped[Account] = relationship()


append_only(Approval.__table__, "the approvals")


class Acceptance(db.Model):
    """验收: the goods or work looked at on arrival, passed or refused, by whom. A refused
    acceptance leaves the request approved (the supplier delivers again). Append-only."""

    __tablename__ = "finance_acceptance"
    __table_args__ = (CheckConstraint("result IN ('passed', 'refused')", name="result"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    request_id: Mapped[int] = mapped_column(ForeignKey("finance_purchase_request.id"), index=True)
    result: Mapped[str] = mapped_column(String(8))
    accepted_on: Mapped[date]
    by_id: Mapped[int] = mapped_column(ForeignKey("account.id"))
    #: the second person present (验收小组), named
    witness: Mapped[str] = mapped_column(String(100), default="")
    note: Mapped[str] = mapped_column(String(300), default="")
    #: the stock receipt its stock lines became
    receipt_id: Mapped[int | None] = mapped_column(ForeignKey("stock_receipt.id"))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)

    by: Mapped[Account] = relationship()


append_only(Acceptance.__table__, "the acceptances")


class Expenditure(db.Model):
    """支出: money paid from a line, with its invoice, and what it bought. A mistake is
    reversed by a second row of the opposite amount naming it. Append-only."""

    __tablename__ = "finance_expenditure"
    __table_args__ = (
        CheckConstraint("amount_fen <> 0", name="not_zero"),
        CheckConstraint("invoice_date IS NULL OR invoice_date <= paid_on", name="invoiced_before_paid"),
        CheckConstraint("(reverses_id IS NULL) = (amount_fen > 0)", name="only_reversals_negative"),
        Index("ix_finance_expenditure_line_paid", "line_id", "paid_on"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    number: Mapped[str] = mapped_column(String(30), unique=True)
    line_id: Mapped[int] = mapped_column(ForeignKey("finance_budget_line.id"))
    paid_on: Mapped[date] = mapped_column(index=True)
    amount_fen: Mapped[int] = mapped_column(BigInteger)
    supplier: Mapped[str] = mapped_column(String(100), default="")
    invoice_no: Mapped[str] = mapped_column(String(40), default="")
    invoice_date: Mapped[date | None]
    purpose: Mapped[str] = mapped_column(String(300))
    request_id: Mapped[int | None] = mapped_column(ForeignKey("finance_purchase_request.id"), index=True)
    ticket_id: Mapped[int | None] = mapped_column(ForeignKey("ticket.id"), index=True)
    maintenance_plan_id: Mapped[int | None] = mapped_column(ForeignKey("maintenance_plan.id"))
    receipt_id: Mapped[int | None] = mapped_column(ForeignKey("stock_receipt.id"))
    asset_id: Mapped[int | None] = mapped_column(ForeignKey("asset.id"))
    invoice_scan_id: Mapped[int | None] = mapped_column(ForeignKey("attachment.id"))
    #: the expenditure this row cancels (with the opposite amount), and why
    reverses_id: Mapped[int | None] = mapped_column(ForeignKey("finance_expenditure.id"), unique=True)
    reason: Mapped[str] = mapped_column(String(300), default="")
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    created_by_id: Mapped[int | None] = mapped_column(ForeignKey("account.id"))

    line: Mapped[BudgetLine] = relationship()
    request: Mapped[PurchaseRequest | None] = relationship()
    created_by: Mapped[Account | None] = relationship()


append_only(Expenditure.__table__, "the expenditure journal")
