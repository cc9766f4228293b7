from __future__ import annotations

from datetime import date, datetime
from typing import Any

from sqlalchemy import JSON, Boolean, CheckConstraint, Float, ForeignKey, Index, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from schoolhq.core import messages
from schoolhq.core.timeutil import utcnow
from schoolhq.extensions import db


class AuditEntry(db.Model):
    """One row per service write: who changed what, from where. Never updated."""

    __tablename__ = "audit_entry"
    __table_args__ = (Index("ix_audit_entry_area_at", "area", "at"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    #: UTC instant of the write
    at: Mapped[datetime] = mapped_column(default=utcnow, index=True)
    account_id: Mapped[int | None] = mapped_column(ForeignKey("account.id"), index=True)
    #: the area word: auth, places, people, core, ...
    area: Mapped[str] = mapped_column(String(30))
    action: Mapped[str] = mapped_column(String(60))
    record_type: Mapped[str] = mapped_column(String(60))
    record_id: Mapped[int | None]
    summary: Mapped[str] = mapped_column(String(200), default="")
    before: Mapped[dict[str, Any] | None] = mapped_column(JSON)
    after: Mapped[dict[str, Any] | None] = mapped_column(JSON)
    #: client address, or "cli" for the command line
    client: Mapped[str] = mapped_column(String(64), default="")


class Setting(db.Model):
    """A setting the school edits itself; defaults live in core.settings."""

    __tablename__ = "setting"

    key: Mapped[str] = mapped_column(String(60), primary_key=True)
    value: Mapped[Any] = mapped_column(JSON)


class SchoolTerm(db.Model):
    __tablename__ = "school_term"
    __table_args__ = (CheckConstraint("ends_on >= starts_on", name="term_order"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(60))
    starts_on: Mapped[date]
    ends_on: Mapped[date]


class CalendarDay(db.Model):
    """An exception to the weekly rhythm: a holiday, or a make-up school day (调休)."""

    __tablename__ = "calendar_day"
    __table_args__ = (CheckConstraint("kind IN ('holiday', 'school_day')", name="kind"),)

    day: Mapped[date] = mapped_column(primary_key=True)
    kind: Mapped[str] = mapped_column(String(20))
    name: Mapped[str] = mapped_column(String(60), default="")


class Notification(db.Model):
    __tablename__ = "notification"
    __table_args__ = (Index("ix_notification_account_read", "account_id", "read_at"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    account_id: Mapped[int] = mapped_column(ForeignKey("account.id"))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    area: Mapped[str] = mapped_column(String(30))
    #: the text in the school's language when it was sent (all that older rows have)
    title: Mapped[str] = mapped_column(String(200))
    body: Mapped[str] = mapped_column(Text, default="")
    #: the same as a message (core.messages), shown in the reader's language; NULL for
    #: text a person typed and for older rows
    title_message: Mapped[Any] = messages.column()
    body_message: Mapped[Any] = messages.column()
    link: Mapped[str] = mapped_column(String(300), default="")
    read_at: Mapped[datetime | None]

    @property
    def shown_title(self) -> str:
        return messages.shown(self.title_message, self.title)

    @property
    def shown_body(self) -> str:
        return messages.shown(self.body_message, self.body)


class Attachment(db.Model):
    """An uploaded file kept under the upload folder with a random name."""

    __tablename__ = "attachment"

    id: Mapped[int] = mapped_column(primary_key=True)
    stored_name: Mapped[str] = mapped_column(String(80), unique=True)
    original_name: Mapped[str] = mapped_column(String(200))
    content_type: Mapped[str] = mapped_column(String(80))
    size: Mapped[int]
    uploaded_at: Mapped[datetime] = mapped_column(default=utcnow)
    uploaded_by_id: Mapped[int | None] = mapped_column(ForeignKey("account.id"))


class LabelLayout(db.Model):
    """An A4 sticker sheet: the grid, and the offsets that calibration nudged."""

    __tablename__ = "label_layout"
    __table_args__ = (
        CheckConstraint("columns BETWEEN 1 AND 10 AND rows BETWEEN 1 AND 30", name="grid"),
        CheckConstraint("label_width > 0 AND label_height > 0", name="size"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(60), unique=True)
    columns: Mapped[int]
    rows: Mapped[int]
    #: millimetres
    label_width: Mapped[float] = mapped_column(Float)
    label_height: Mapped[float] = mapped_column(Float)
    margin_top: Mapped[float] = mapped_column(Float, default=0)
    margin_left: Mapped[float] = mapped_column(Float, default=0)
    gap_x: Mapped[float] = mapped_column(Float, default=0)
    gap_y: Mapped[float] = mapped_column(Float, default=0)
    #: calibration: how far this printer shifts the sheet
    offset_x: Mapped[float] = mapped_column(Float, default=0)
    offset_y: Mapped[float] = mapped_column(Float, default=0)
    builtin: Mapped[bool] = mapped_column(Boolean, default=False)

    @property
    def per_sheet(self) -> int:
        return self.columns * self.rows


class Counter(db.Model):
    """Running numbers behind document numbers, one row per scope ("assets.2026",
    "stock.receipt.2026")."""

    __tablename__ = "counter"

    scope: Mapped[str] = mapped_column(String(60), primary_key=True)
    value: Mapped[int] = mapped_column(default=0)
