from __future__ import annotations

from datetime import date, datetime
from typing import TYPE_CHECKING, Any

from sqlalchemy import (
    JSON,
    Boolean,
    CheckConstraint,
    ForeignKey,
    Index,
    String,
    Text,
    text,
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


class AssetCategory(db.Model):
    """An accounting category: GB/T 14885-2022 codes seeded from data/assets.yaml."""

    __tablename__ = "asset_category"

    id: Mapped[int] = mapped_column(primary_key=True)
    #: "A02010105"; the school may add its own codes
    code: Mapped[str] = mapped_column(String(20), unique=True)
    name: Mapped[str] = mapped_column(String(100))
    parent_id: Mapped[int | None] = mapped_column(ForeignKey("asset_category.id"), index=True)
    path: Mapped[str] = mapped_column(String(255), index=True, default="")
    #: straight-line depreciation years; None inherits from the parent, 0 = not depreciated
    depreciation_years: Mapped[int | None]
    #: the class of the older GB/T 14885-2010 scheme, "1".."6"
    class_2010: Mapped[str] = mapped_column(String(2), default="")
    archived_at: Mapped[datetime | None]

    parent: Mapped[AssetCategory | None] = relationship(remote_side=[id])


class AssetKind(db.Model):
    """An operational kind (fridge, water point, projector …) with optional extra fields."""

    __tablename__ = "asset_kind"

    id: Mapped[int] = mapped_column(primary_key=True)
    key: Mapped[str] = mapped_column(String(40), unique=True)
    name_zh: Mapped[str] = mapped_column(String(60))
    name_en: Mapped[str] = mapped_column(String(60), default="")
    #: [{"key": "filter_model", "zh": "滤芯型号", "en": "Filter model", "type": "text"}]
    fields: Mapped[list[dict[str, Any]]] = mapped_column(JSON, default=list)
    #: [{"zh": "充电器已归还", "en": "Charger returned"}], asked at check-in
    return_checklist: Mapped[list[dict[str, Any]]] = mapped_column(JSON, default=list)
    loanable_default: Mapped[bool] = mapped_column(Boolean, default=False)


class AssetStatus(db.Model):
    """Statuses seeded from data/assets.yaml; names are editable, behaviour keys are not."""

    __tablename__ = "asset_status"

    key: Mapped[str] = mapped_column(String(30), primary_key=True)
    name_zh: Mapped[str] = mapped_column(String(30))
    name_en: Mapped[str] = mapped_column(String(40))
    can_loan: Mapped[bool] = mapped_column(Boolean, default=False)
    #: still on the active register (lost and disposed are not)
    on_register: Mapped[bool] = mapped_column(Boolean, default=True)
    sort_order: Mapped[int] = mapped_column(default=0)


class Asset(db.Model):
    """One item on the register: the fields of the 资产卡片."""

    __tablename__ = "asset"
    __table_args__ = (
        CheckConstraint("unit_price_fen >= 0", name="price_not_negative"),
        CheckConstraint("quantity >= 1", name="quantity_positive"),
        CheckConstraint("tier IN ('fixed_asset', 'low_value_durable')", name="tier"),
        Index("ix_asset_status_location", "status", "location_id"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    #: 资产编号, from the number pattern setting or imported; unique
    number: Mapped[str] = mapped_column(String(40), unique=True)
    #: short immutable token in the QR label (/t/<token>)
    token: Mapped[str] = mapped_column(String(16), unique=True)
    name: Mapped[str] = mapped_column(String(120), index=True)
    category_id: Mapped[int] = mapped_column(ForeignKey("asset_category.id"), index=True)
    kind_id: Mapped[int | None] = mapped_column(ForeignKey("asset_kind.id"), index=True)
    tier: Mapped[str] = mapped_column(String(20))
    brand: Mapped[str] = mapped_column(String(60), default="")
    model: Mapped[str] = mapped_column(String(80), default="")
    spec: Mapped[str] = mapped_column(String(120), default="")
    serial: Mapped[str] = mapped_column(String(80), default="", index=True)
    unit: Mapped[str] = mapped_column(String(10), default="台")
    quantity: Mapped[int] = mapped_column(default=1)
    #: 单价 in fen
    unit_price_fen: Mapped[int] = mapped_column(default=0)
    funding_source: Mapped[str] = mapped_column(String(30), default="")
    acquisition_method: Mapped[str] = mapped_column(String(30), default="")
    purchased_on: Mapped[date | None]
    booked_on: Mapped[date | None]
    #: indexed: the finance area finds the cards a purchase registered by their voucher
    voucher_no: Mapped[str] = mapped_column(String(40), default="", index=True)
    invoice_no: Mapped[str] = mapped_column(String(40), default="")
    supplier: Mapped[str] = mapped_column(String(100), default="")
    warranty_until: Mapped[date | None]
    use_direction: Mapped[str] = mapped_column(String(20), default="")
    #: 管理部门
    department_id: Mapped[int | None] = mapped_column(ForeignKey("department.id"), index=True)
    #: 使用人 / 保管人: the named person responsible for the item
    custodian_id: Mapped[int | None] = mapped_column(ForeignKey("person.id"), index=True)
    #: 存放地点
    location_id: Mapped[int] = mapped_column(ForeignKey("location.id"), index=True)
    status: Mapped[str] = mapped_column(ForeignKey("asset_status.key"), default="in_use")
    loanable: Mapped[bool] = mapped_column(Boolean, default=False)
    #: values of the kind's extra fields
    extra: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    photo_id: Mapped[int | None] = mapped_column(ForeignKey("attachment.id"))
    note: Mapped[str] = mapped_column(Text, default="")
    next_audit_on: Mapped[date | None]
    created_at: Mapped[datetime] = mapped_column(default=utcnow)

    category: Mapped[AssetCategory] = relationship()
    kind: Mapped[AssetKind | None] = relationship()
    location: Mapped[Location] = relationship()
    custodian: Mapped[Person | None] = relationship()
    department: Mapped[Department | None] = relationship()
    status_row: Mapped[AssetStatus] = relationship()

    @property
    def amount_fen(self) -> int:
        return self.unit_price_fen * self.quantity

    def access_scope(self) -> AccessScope:
        return AccessScope(location_path=self.location.path if self.location else None,
                           department_path=self.department.path if self.department else None)


class AssetEvent(db.Model):
    """The append-only history of an asset: never updated, never deleted (the database
    refuses both)."""

    __tablename__ = "asset_event"
    __table_args__ = (Index("ix_asset_event_asset_at", "asset_id", "at"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    asset_id: Mapped[int] = mapped_column(ForeignKey("asset.id"))
    at: Mapped[datetime] = mapped_column(default=utcnow)
    #: registered, edited, moved, custodian_changed, status_changed, checked_out, checked_in, audited, disposed
    kind: Mapped[str] = mapped_column(String(30))
    actor_id: Mapped[int | None] = mapped_column(ForeignKey("account.id"))
    #: what changed: {"from": ..., "to": ...} or the loan's details
    data: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    note: Mapped[str] = mapped_column(String(300), default="")

    actor: Mapped[Account | None] = relationship()


class Loan(db.Model):
    """A checkout. At most one open loan per asset: the partial unique index holds it
    even when two desks scan the same item at once."""

    __tablename__ = "loan"
    __table_args__ = (
        Index("uq_loan_open_asset", "asset_id", unique=True,
              sqlite_where=text("returned_at IS NULL"), postgresql_where=text("returned_at IS NULL")),
        Index("ix_loan_borrower_open", "borrower_id", "returned_at"),
        Index("ix_loan_due_open", "returned_at", "due_at"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    asset_id: Mapped[int] = mapped_column(ForeignKey("asset.id"), index=True)
    borrower_id: Mapped[int] = mapped_column(ForeignKey("person.id"))
    #: one checkout of several items shares a slip number
    slip: Mapped[str] = mapped_column(String(20), index=True)
    out_at: Mapped[datetime] = mapped_column(default=utcnow)
    out_by_id: Mapped[int | None] = mapped_column(ForeignKey("account.id"))
    due_at: Mapped[datetime]
    condition_out: Mapped[str] = mapped_column(String(300), default="")
    signature_id: Mapped[int | None] = mapped_column(ForeignKey("attachment.id"))
    #: the asset's status before the checkout, restored at check-in
    status_before: Mapped[str] = mapped_column(String(30), default="in_storage")
    returned_at: Mapped[datetime | None]
    returned_to_id: Mapped[int | None] = mapped_column(ForeignKey("account.id"))
    condition_in: Mapped[str] = mapped_column(String(300), default="")
    checklist_in: Mapped[dict[str, Any] | None] = mapped_column(JSON)
    damaged: Mapped[bool] = mapped_column(Boolean, default=False)
    photo_in_id: Mapped[int | None] = mapped_column(ForeignKey("attachment.id"))

    asset: Mapped[Asset] = relationship()
    borrower: Mapped[Person] = relationship()


# The database itself keeps the history append-only, on both engines.
append_only(AssetEvent.__table__, "asset history")


class AuditCampaign(db.Model):
    """A stocktake (资产清查) over a place subtree and/or a category, room by room."""

    __tablename__ = "audit_campaign"
    __table_args__ = (CheckConstraint("status IN ('open', 'closed', 'approved')", name="status"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(100))
    location_id: Mapped[int | None] = mapped_column(ForeignKey("location.id"))
    category_id: Mapped[int | None] = mapped_column(ForeignKey("asset_category.id"))
    #: open while rooms are counted; closed when moves are applied; approved when the
    #: missing items have been written off as lost
    status: Mapped[str] = mapped_column(String(20), default="open")
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    created_by_id: Mapped[int | None] = mapped_column(ForeignKey("account.id"))
    closed_at: Mapped[datetime | None]
    closed_by_id: Mapped[int | None] = mapped_column(ForeignKey("account.id"))
    approved_at: Mapped[datetime | None]
    approved_by_id: Mapped[int | None] = mapped_column(ForeignKey("account.id"))

    location: Mapped[Location | None] = relationship()
    category: Mapped[AssetCategory | None] = relationship()

    def access_scope(self) -> AccessScope:
        return AccessScope(location_path=self.location.path if self.location else None)


class AuditExpected(db.Model):
    """What the register said when the campaign started: this asset, in this room."""

    __tablename__ = "audit_expected"
    __table_args__ = (Index("uq_audit_expected_asset", "campaign_id", "asset_id", unique=True),
                      Index("ix_audit_expected_room", "campaign_id", "location_id"))

    id: Mapped[int] = mapped_column(primary_key=True)
    campaign_id: Mapped[int] = mapped_column(ForeignKey("audit_campaign.id"))
    asset_id: Mapped[int] = mapped_column(ForeignKey("asset.id"))
    location_id: Mapped[int] = mapped_column(ForeignKey("location.id"))
    amount_fen: Mapped[int] = mapped_column(default=0)

    asset: Mapped[Asset] = relationship()
    #: where the register had it then (the asset may have moved since)
    location: Mapped[Location] = relationship()


class AuditScan(db.Model):
    """One scan in a room: found, misplaced (expected elsewhere), unknown tag, or a
    duplicate that is kept for the record but never counted twice."""

    __tablename__ = "audit_scan"
    __table_args__ = (
        CheckConstraint("result IN ('found', 'misplaced', 'unknown', 'duplicate')", name="result"),
        Index("ix_audit_scan_room", "campaign_id", "location_id"),
        Index("uq_audit_scan_counted", "campaign_id", "asset_id", unique=True,
              sqlite_where=text("result IN ('found', 'misplaced')"),
              postgresql_where=text("result IN ('found', 'misplaced')")),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    campaign_id: Mapped[int] = mapped_column(ForeignKey("audit_campaign.id"))
    location_id: Mapped[int] = mapped_column(ForeignKey("location.id"))
    asset_id: Mapped[int | None] = mapped_column(ForeignKey("asset.id"))
    code: Mapped[str] = mapped_column(String(100))
    result: Mapped[str] = mapped_column(String(20))
    scanned_at: Mapped[datetime] = mapped_column(default=utcnow)
    scanned_by_id: Mapped[int | None] = mapped_column(ForeignKey("account.id"))
    #: for a misplaced item: the auditor confirmed "it lives here now"
    move_confirmed: Mapped[bool] = mapped_column(Boolean, default=False)
    note: Mapped[str] = mapped_column(String(200), default="")

    asset: Mapped[Asset | None] = relationship()
    location: Mapped[Location] = relationship()


class Disposal(db.Model):
    """A request to dispose of (报废) one or many assets: appraised, approved, and executed
    only once the education authority's approval document is on file (先报批、后处置)."""

    __tablename__ = "disposal"
    __table_args__ = (
        CheckConstraint("status IN ('submitted', 'appraised', 'approved', 'executed', 'rejected')", name="status"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    number: Mapped[str] = mapped_column(String(20), unique=True)
    reason: Mapped[str] = mapped_column(Text)
    status: Mapped[str] = mapped_column(String(20), default="submitted")
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    created_by_id: Mapped[int | None] = mapped_column(ForeignKey("account.id"))
    appraisal: Mapped[str] = mapped_column(Text, default="")
    appraised_by_id: Mapped[int | None] = mapped_column(ForeignKey("account.id"))
    #: the original value that decided who approves
    total_fen: Mapped[int] = mapped_column(default=0)
    approved_at: Mapped[datetime | None]
    approved_by_id: Mapped[int | None] = mapped_column(ForeignKey("account.id"))
    decision_note: Mapped[str] = mapped_column(Text, default="")
    #: the education authority's approval (批复), a PDF or photo
    document_id: Mapped[int | None] = mapped_column(ForeignKey("attachment.id"))
    document_ref: Mapped[str] = mapped_column(String(100), default="")
    executed_at: Mapped[datetime | None]
    executed_by_id: Mapped[int | None] = mapped_column(ForeignKey("account.id"))
    method: Mapped[str] = mapped_column(String(60), default="")

    items: Mapped[list[DisposalItem]] = relationship(order_by="DisposalItem.id")
    photos: Mapped[list[DisposalPhoto]] = relationship()
    created_by: Mapped[Account | None] = relationship(foreign_keys=[created_by_id])


class DisposalItem(db.Model):
    __tablename__ = "disposal_item"
    __table_args__ = (Index("uq_disposal_item", "disposal_id", "asset_id", unique=True),)

    id: Mapped[int] = mapped_column(primary_key=True)
    disposal_id: Mapped[int] = mapped_column(ForeignKey("disposal.id"))
    asset_id: Mapped[int] = mapped_column(ForeignKey("asset.id"), index=True)
    original_fen: Mapped[int] = mapped_column(default=0)
    net_fen: Mapped[int] = mapped_column(default=0)
    #: the status to return to if the request is rejected
    status_before: Mapped[str] = mapped_column(String(30), default="in_use")

    asset: Mapped[Asset] = relationship()


class DisposalPhoto(db.Model):
    __tablename__ = "disposal_photo"

    id: Mapped[int] = mapped_column(primary_key=True)
    disposal_id: Mapped[int] = mapped_column(ForeignKey("disposal.id"), index=True)
    attachment_id: Mapped[int] = mapped_column(ForeignKey("attachment.id"))


class Reservation(db.Model):
    """Shared kit booked for a lesson period (immediate), or a staff member's request to
    borrow for some days that the storekeeper approves. While approved it blocks lending
    the item to anyone else in that time."""

    __tablename__ = "reservation"
    __table_args__ = (
        CheckConstraint("ends_at > starts_at", name="order"),
        CheckConstraint("status IN ('requested', 'approved', 'rejected', 'cancelled')", name="status"),
        CheckConstraint("kind IN ('slot', 'request')", name="kind"),
        Index("ix_reservation_asset_time", "asset_id", "starts_at", "ends_at"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    asset_id: Mapped[int] = mapped_column(ForeignKey("asset.id"))
    person_id: Mapped[int] = mapped_column(ForeignKey("person.id"), index=True)
    kind: Mapped[str] = mapped_column(String(10))
    #: a lesson period's key for a slot, e.g. "3"
    period: Mapped[str] = mapped_column(String(10), default="")
    starts_at: Mapped[datetime]
    ends_at: Mapped[datetime]
    purpose: Mapped[str] = mapped_column(String(200), default="")
    status: Mapped[str] = mapped_column(String(20), default="approved")
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    created_by_id: Mapped[int | None] = mapped_column(ForeignKey("account.id"))
    decided_by_id: Mapped[int | None] = mapped_column(ForeignKey("account.id"))
    decided_at: Mapped[datetime | None]
    note: Mapped[str] = mapped_column(String(200), default="")

    asset: Mapped[Asset] = relationship()
    person: Mapped[Person] = relationship()


class AssetImportRow(db.Model):
    """One ledger row already imported, by a fingerprint of the row's cells: importing the
    same file again adds nothing even when its rows carry no asset number. The row's
    n-th repetition in the file is part of the key, so two identical lines (two chairs
    bought together) are two rows."""

    __tablename__ = "asset_import_row"

    id: Mapped[int] = mapped_column(primary_key=True)
    #: sha256 of the row's cells (hex, 40 characters) and ":<n>" for its n-th repetition
    key: Mapped[str] = mapped_column(String(60), unique=True)
    #: the first card made from the row (a split batch row made several)
    asset_id: Mapped[int] = mapped_column(ForeignKey("asset.id"), index=True)
    cards: Mapped[int] = mapped_column(default=1)
    #: the file's name and the row's number in it, for the asset's history
    source: Mapped[str] = mapped_column(String(200), default="")
    imported_at: Mapped[datetime] = mapped_column(default=utcnow)
    imported_by_id: Mapped[int | None] = mapped_column(ForeignKey("account.id"))
