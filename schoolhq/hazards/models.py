"""The hazard register (隐患排查整改台账): one row per hazard with its current state, and an
append-only history of what was done to it (a re-check that failed and the second
rectification stay on record)."""

from __future__ import annotations

from datetime import date, datetime
from typing import TYPE_CHECKING, Any

from sqlalchemy import JSON, CheckConstraint, ForeignKey, Index, String, Text
from sqlalchemy.orm import Mapped, mapped_column, relationship

from schoolhq.core import messages
from schoolhq.core.database import append_only
from schoolhq.core.timeutil import utcnow
from schoolhq.extensions import db

if TYPE_CHECKING:
    from schoolhq.assets.models import Asset
    from schoolhq.auth.models import Account
    from schoolhq.people.models import Person
    from schoolhq.places.models import Location

LEVELS = ("general", "major")
#: open 待整改 → rectified 已整改待复查 → closed 已销号; a failed re-check: reopened 复查不合格
STATUSES = ("open", "rectified", "closed", "reopened")
SOURCES = ("check", "patrol", "report", "inspection", "other")


class Hazard(db.Model):
    __tablename__ = "hazard"
    __table_args__ = (
        CheckConstraint("level IN ('general', 'major')", name="level"),
        CheckConstraint("status IN ('open', 'rectified', 'closed', 'reopened')", name="status"),
        CheckConstraint("source IN ('check', 'patrol', 'report', 'inspection', 'other')", name="source"),
        CheckConstraint("deadline >= found_on", name="deadline_after_found"),
        # the re-check is never the fixer's own: the database refuses it too
        CheckConstraint("rechecked_by_id IS NULL OR rectified_by_id IS NULL OR rechecked_by_id <> rectified_by_id",
                        name="recheck_by_another"),
        CheckConstraint("status <> 'closed' OR (recheck_result = 'pass' AND closed_at IS NOT NULL)",
                        name="closed_after_passing_recheck"),
        Index("ix_hazard_status_deadline", "status", "deadline"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    found_on: Mapped[date]
    found_by_id: Mapped[int | None] = mapped_column(ForeignKey("person.id"))
    source: Mapped[str] = mapped_column(String(12), default="other")
    location_id: Mapped[int] = mapped_column(ForeignKey("location.id"), index=True)
    asset_id: Mapped[int | None] = mapped_column(ForeignKey("asset.id"))
    description: Mapped[str] = mapped_column(String(500))
    #: the description the system wrote from a check finding (core.messages)
    description_message: Mapped[Any] = messages.column()
    level: Mapped[str] = mapped_column(String(8), default="general")
    responsible_id: Mapped[int] = mapped_column(ForeignKey("person.id"), index=True)
    deadline: Mapped[date]
    #: the measures, interim ones included (整改前的临时防范措施)
    measures: Mapped[str] = mapped_column(String(500), default="")
    photo_id: Mapped[int | None] = mapped_column(ForeignKey("attachment.id"))
    status: Mapped[str] = mapped_column(String(10), default="open")
    rectified_on: Mapped[date | None]
    rectified_by_id: Mapped[int | None] = mapped_column(ForeignKey("account.id"))
    rectification: Mapped[str] = mapped_column(String(500), default="")
    rectified_photo_id: Mapped[int | None] = mapped_column(ForeignKey("attachment.id"))
    rechecked_at: Mapped[datetime | None]
    rechecked_by_id: Mapped[int | None] = mapped_column(ForeignKey("account.id"))
    recheck_result: Mapped[str | None] = mapped_column(String(4))
    recheck_note: Mapped[str] = mapped_column(String(500), default="")
    recheck_signature_id: Mapped[int | None] = mapped_column(ForeignKey("attachment.id"))
    closed_at: Mapped[datetime | None]
    #: the failed check item it came from, and the repair ticket that item opened
    finding_id: Mapped[int | None] = mapped_column(ForeignKey("check_finding.id"), unique=True)
    ticket_id: Mapped[int | None] = mapped_column(ForeignKey("ticket.id"), index=True)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    created_by_id: Mapped[int | None] = mapped_column(ForeignKey("account.id"))

    location: Mapped[Location] = relationship()
    asset: Mapped[Asset | None] = relationship()
    responsible: Mapped[Person] = relationship(foreign_keys=[responsible_id])
    found_by: Mapped[Person | None] = relationship(foreign_keys=[found_by_id])
    rectified_by: Mapped[Account | None] = relationship(foreign_keys=[rectified_by_id])
    rechecked_by: Mapped[Account | None] = relationship(foreign_keys=[rechecked_by_id])
    events: Mapped[list[HazardEvent]] = relationship(order_by="HazardEvent.id", viewonly=True)

    @property
    def shown_description(self) -> str:
        return messages.shown(self.description_message, self.description)


class HazardEvent(db.Model):
    """What happened to a hazard: registered, changed, rectified, re-checked (passed or not)."""

    __tablename__ = "hazard_event"

    id: Mapped[int] = mapped_column(primary_key=True)
    hazard_id: Mapped[int] = mapped_column(ForeignKey("hazard.id"), index=True)
    at: Mapped[datetime] = mapped_column(default=utcnow)
    actor_id: Mapped[int | None] = mapped_column(ForeignKey("account.id"))
    #: registered, changed, rectified, rechecked
    kind: Mapped[str] = mapped_column(String(12))
    note: Mapped[str] = mapped_column(Text, default="")
    data: Mapped[dict[str, Any] | None] = mapped_column(JSON)

    actor: Mapped[Account | None] = relationship()


append_only(HazardEvent.__table__, "the hazard history")
