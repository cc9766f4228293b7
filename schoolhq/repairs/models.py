"""Repair tickets: one record from the report to the verified fix, with an append-only
timeline of everything that happened to it."""

from __future__ import annotations

from datetime import date, datetime
from typing import TYPE_CHECKING, Any

from sqlalchemy import (
    JSON,
    BigInteger,
    CheckConstraint,
    ForeignKey,
    Index,
    String,
    Text,
)
from sqlalchemy.orm import Mapped, mapped_column, relationship

from schoolhq.core import messages
from schoolhq.core.database import append_only
from schoolhq.core.permissions import AccessScope
from schoolhq.core.timeutil import utcnow
from schoolhq.extensions import db

if TYPE_CHECKING:
    from schoolhq.assets.models import Asset
    from schoolhq.auth.models import Account
    from schoolhq.people.models import Person
    from schoolhq.places.models import Location

STATUSES = ("pending", "assigned", "in_progress", "on_hold", "completed", "verified", "declined", "cancelled")


class RepairCategory(db.Model):
    __tablename__ = "repair_category"

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(40), unique=True)
    sort_order: Mapped[int] = mapped_column(default=0)
    archived_at: Mapped[datetime | None]


class RepairPriority(db.Model):
    """Priorities with their target time in working hours (None: no due time)."""

    __tablename__ = "repair_priority"

    key: Mapped[str] = mapped_column(String(20), primary_key=True)
    name_zh: Mapped[str] = mapped_column(String(20))
    name_en: Mapped[str] = mapped_column(String(40))
    target_hours: Mapped[int | None]
    sort_order: Mapped[int] = mapped_column(default=0)


class Ticket(db.Model):
    """报修单: always at a place; once assigned, exactly one responsible person (or an
    outside contractor named on the job sheet)."""

    __tablename__ = "ticket"
    __table_args__ = (
        CheckConstraint("status IN ('pending', 'assigned', 'in_progress', 'on_hold', 'completed', 'verified', "
                        "'declined', 'cancelled')", name="status"),
        CheckConstraint("status IN ('pending', 'declined', 'cancelled') OR assignee_id IS NOT NULL "
                        "OR contractor <> ''", name="assigned_has_a_responsible"),
        CheckConstraint("rating IS NULL OR rating BETWEEN 1 AND 3", name="rating_range"),
        Index("ix_ticket_status_due", "status", "due_at"),
        Index("ix_ticket_location_category", "location_id", "category_id", "reported_at"),
        # a worker's queue, and a month's summary
        Index("ix_ticket_assignee_status", "assignee_id", "status"),
        Index("ix_ticket_reported_at", "reported_at"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    number: Mapped[str] = mapped_column(String(30), unique=True)
    location_id: Mapped[int] = mapped_column(ForeignKey("location.id"))
    asset_id: Mapped[int | None] = mapped_column(ForeignKey("asset.id"), index=True)
    category_id: Mapped[int] = mapped_column(ForeignKey("repair_category.id"), index=True)
    priority: Mapped[str] = mapped_column(ForeignKey("repair_priority.key"))
    #: as the reporter typed it; written by a check or a damaged return, the same text in
    #: the school's language, with the message itself in description_message
    description: Mapped[str] = mapped_column(Text)
    #: a description the system wrote (core.messages), shown in the reader's language
    description_message: Mapped[Any] = messages.column()
    status: Mapped[str] = mapped_column(String(20), default="pending")
    reported_by_id: Mapped[int | None] = mapped_column(ForeignKey("account.id"), index=True)
    reported_at: Mapped[datetime] = mapped_column(default=utcnow)
    #: the one responsible worker; helpers are in ticket_helper
    assignee_id: Mapped[int | None] = mapped_column(ForeignKey("person.id"), index=True)
    #: an outside contractor instead of (or besides) a worker, printed on the job sheet
    contractor: Mapped[str] = mapped_column(String(100), default="")
    #: when the target time runs out, in working hours; None for "during the holidays"
    due_at: Mapped[datetime | None]
    #: working minutes of the target left when the ticket went on hold (the clock stops)
    held_minutes_left: Mapped[int | None]
    hold_reason: Mapped[str] = mapped_column(String(100), default="")
    completed_at: Mapped[datetime | None]
    work_done: Mapped[str] = mapped_column(Text, default="")
    parts_used: Mapped[str] = mapped_column(String(300), default="")
    labour_minutes: Mapped[int | None]
    outside_cost_fen: Mapped[int] = mapped_column(BigInteger, default=0)
    #: spare parts taken from the store for this ticket (their stock requisition) and their value at cost
    parts_requisition_id: Mapped[int | None] = mapped_column(ForeignKey("requisition.id"))
    parts_cost_fen: Mapped[int] = mapped_column(BigInteger, default=0)
    after_photo_id: Mapped[int | None] = mapped_column(ForeignKey("attachment.id"))
    verified_at: Mapped[datetime | None]
    #: the reporter, or None when the system verified it after the waiting days
    verified_by_id: Mapped[int | None] = mapped_column(ForeignKey("account.id"))
    rating: Mapped[int | None]
    rating_comment: Mapped[str] = mapped_column(String(300), default="")
    declined_reason: Mapped[str] = mapped_column(String(300), default="")
    closed_at: Mapped[datetime | None]
    #: the asset's status before the ticket set it under repair, restored on completion
    asset_status_before: Mapped[str | None] = mapped_column(String(30))
    #: how many times the same fault was reported again (or a check failed) while open
    occurrences: Mapped[int] = mapped_column(default=1)
    #: what raised it when not a person: "check-item:<id>" from a failed inspection item;
    #: a second failure of the same item adds an occurrence instead of a new ticket
    source_key: Mapped[str | None] = mapped_column(String(80), index=True)
    #: a ticket made from a maintenance plan: the plan, the day it is due, and a key
    #: unique per plan, target and due day, so materialising twice creates nothing twice
    plan_id: Mapped[int | None] = mapped_column(ForeignKey("maintenance_plan.id"), index=True)
    plan_due_on: Mapped[date | None]
    plan_key: Mapped[str | None] = mapped_column(String(80), unique=True)
    #: the inspection report a statutory plan requires (PDF or photo)
    evidence_id: Mapped[int | None] = mapped_column(ForeignKey("attachment.id"))

    location: Mapped[Location] = relationship()
    asset: Mapped[Asset | None] = relationship()
    category: Mapped[RepairCategory] = relationship()
    assignee: Mapped[Person | None] = relationship()
    reported_by: Mapped[Account | None] = relationship(foreign_keys=[reported_by_id])
    helpers: Mapped[list[TicketHelper]] = relationship(cascade="all, delete-orphan")
    plan: Mapped[MaintenancePlan | None] = relationship()

    def access_scope(self) -> AccessScope:
        return AccessScope(location_path=self.location.path)

    @property
    def shown_description(self) -> str:
        return messages.shown(self.description_message, self.description)


class MaintenancePlan(db.Model):
    """预防性维护计划: recurring work on an asset, every asset of a kind, or a place,
    materialised into tickets as it comes due. Statutory inspections are plans too,
    with a legal reference and a required report."""

    __tablename__ = "maintenance_plan"
    __table_args__ = (
        CheckConstraint("unit IN ('day', 'week', 'month', 'term')", name="unit"),
        CheckConstraint("mode IN ('fixed', 'floating')", name="mode"),
        CheckConstraint("target IN ('asset', 'kind', 'location')", name="target"),
        CheckConstraint("every >= 1 AND lead_days >= 0", name="interval_positive"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    title: Mapped[str] = mapped_column(String(120))
    category_id: Mapped[int] = mapped_column(ForeignKey("repair_category.id"))
    target: Mapped[str] = mapped_column(String(10), default="location")
    asset_id: Mapped[int | None] = mapped_column(ForeignKey("asset.id"))
    kind_key: Mapped[str] = mapped_column(String(40), default="")
    location_id: Mapped[int | None] = mapped_column(ForeignKey("location.id"))
    steps: Mapped[list[str]] = mapped_column(JSON, default=list)
    every: Mapped[int] = mapped_column(default=1)
    unit: Mapped[str] = mapped_column(String(10), default="month")
    #: fixed: by the calendar; floating: counted from the last completion
    mode: Mapped[str] = mapped_column(String(10), default="fixed")
    #: a due day that is not a school day moves to the next school day
    skip_holidays: Mapped[bool] = mapped_column(default=True)
    lead_days: Mapped[int] = mapped_column(default=7)
    #: every task has one named person
    assignee_id: Mapped[int] = mapped_column(ForeignKey("person.id"))
    statutory: Mapped[bool] = mapped_column(default=False)
    evidence_required: Mapped[bool] = mapped_column(default=False)
    reference: Mapped[str] = mapped_column(String(200), default="")
    next_due_on: Mapped[date]
    active: Mapped[bool] = mapped_column(default=True)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)

    category: Mapped[RepairCategory] = relationship()
    assignee: Mapped[Person] = relationship()
    location: Mapped[Location | None] = relationship()
    asset: Mapped[Asset | None] = relationship()


class TicketHelper(db.Model):
    __tablename__ = "ticket_helper"

    ticket_id: Mapped[int] = mapped_column(ForeignKey("ticket.id"), primary_key=True)
    person_id: Mapped[int] = mapped_column(ForeignKey("person.id"), primary_key=True)

    person: Mapped[Person] = relationship()


class TicketPhoto(db.Model):
    __tablename__ = "ticket_photo"
    __table_args__ = (CheckConstraint("stage IN ('report', 'after')", name="stage"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    ticket_id: Mapped[int] = mapped_column(ForeignKey("ticket.id"), index=True)
    attachment_id: Mapped[int] = mapped_column(ForeignKey("attachment.id"))
    stage: Mapped[str] = mapped_column(String(10), default="report")


class TicketEvent(db.Model):
    """The ticket's timeline: every status change, comment and repeat report."""

    __tablename__ = "ticket_event"

    id: Mapped[int] = mapped_column(primary_key=True)
    ticket_id: Mapped[int] = mapped_column(ForeignKey("ticket.id"), index=True)
    at: Mapped[datetime] = mapped_column(default=utcnow)
    actor_id: Mapped[int | None] = mapped_column(ForeignKey("account.id"))
    #: reported, assigned, started, held, resumed, completed, verified, declined,
    #: cancelled, comment, occurrence
    kind: Mapped[str] = mapped_column(String(20))
    note: Mapped[str] = mapped_column(Text, default="")
    #: a note the system wrote (core.messages), shown in the reader's language
    note_message: Mapped[Any] = messages.column()
    data: Mapped[dict[str, Any] | None] = mapped_column(JSON)

    actor: Mapped[Account | None] = relationship()

    @property
    def shown_note(self) -> str:
        return messages.shown(self.note_message, self.note)


append_only(TicketEvent.__table__, "the ticket timeline")
