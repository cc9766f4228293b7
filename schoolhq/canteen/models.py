"""The canteen's records: its staff roster and the daily morning check (晨检)."""

from __future__ import annotations

from datetime import date, datetime
from typing import TYPE_CHECKING

from sqlalchemy import JSON, Boolean, CheckConstraint, ForeignKey, Index, String
from sqlalchemy.orm import Mapped, mapped_column, relationship

from schoolhq.core.timeutil import utcnow
from schoolhq.extensions import db

if TYPE_CHECKING:
    from schoolhq.auth.models import Account
    from schoolhq.people.models import Person


class CanteenStaff(db.Model):
    """Someone who works in the canteen (with or without a sign-in), on the morning
    check's roster while active."""

    __tablename__ = "canteen_staff"

    id: Mapped[int] = mapped_column(primary_key=True)
    person_id: Mapped[int] = mapped_column(ForeignKey("person.id"), unique=True)
    #: 岗位: 厨师, 切配, 面点, 洗消, 保洁 …
    post: Mapped[str] = mapped_column(String(40), default="")
    active: Mapped[bool] = mapped_column(Boolean, default=True)
    added_at: Mapped[datetime] = mapped_column(default=utcnow)

    person: Mapped[Person] = relationship()


class MorningSheet(db.Model):
    """One school day's 晨检 sheet: every check of that day hangs on it, writing to the
    day takes its row lock, and once signed nothing on it changes."""

    __tablename__ = "canteen_morning_sheet"

    id: Mapped[int] = mapped_column(primary_key=True)
    day: Mapped[date] = mapped_column(unique=True)
    signed_at: Mapped[datetime | None]
    signed_by_id: Mapped[int | None] = mapped_column(ForeignKey("account.id"))
    signature_id: Mapped[int | None] = mapped_column(ForeignKey("attachment.id"))

    signed_by: Mapped[Account | None] = relationship()


class MorningCheck(db.Model):
    """One person's morning check on one day (one per person per day): the columns of
    the 从业人员晨检记录 and whether the person works that day."""

    __tablename__ = "canteen_morning_check"
    __table_args__ = (
        Index("uq_canteen_morning_check_day_person", "day", "person_id", unique=True),
        CheckConstraint("temperature_dc IS NULL OR temperature_dc BETWEEN 340 AND 430", name="temperature"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    sheet_id: Mapped[int] = mapped_column(ForeignKey("canteen_morning_sheet.id"), index=True)
    day: Mapped[date]
    person_id: Mapped[int] = mapped_column(ForeignKey("person.id"), index=True)
    post: Mapped[str] = mapped_column(String(40), default="")
    #: 工作衣帽 and 个人卫生 as they were found (✓ or ✗)
    clothing_ok: Mapped[bool] = mapped_column(Boolean, default=True)
    hygiene_ok: Mapped[bool] = mapped_column(Boolean, default=True)
    #: keys of the data file's symptoms; empty: 无异常
    symptoms: Mapped[list[str]] = mapped_column(JSON, default=list)
    #: body temperature in tenths of a degree (365 = 36.5 ℃), when taken
    temperature_dc: Mapped[int | None]
    remarks: Mapped[str] = mapped_column(String(300), default="")
    fit: Mapped[bool] = mapped_column(Boolean, default=True)
    #: why the person is off duty, in words, and what was done (离岗、调岗、就医)
    reason: Mapped[str] = mapped_column(String(200), default="")
    action: Mapped[str] = mapped_column(String(100), default="")
    #: the health certificate's last day as it stood at the check
    certificate_until: Mapped[date | None]
    checked_at: Mapped[datetime] = mapped_column(default=utcnow)
    checked_by_id: Mapped[int | None] = mapped_column(ForeignKey("account.id"))

    person: Mapped[Person] = relationship()
    checked_by: Mapped[Account | None] = relationship()
