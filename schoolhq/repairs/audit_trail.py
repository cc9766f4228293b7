"""How the audit page reads the repairs' entries: a ticket by its number, a plan by its
title, a priority by its name."""

from __future__ import annotations

from flask_babel import lazy_gettext as _l
from sqlalchemy import select
from sqlalchemy.orm import joinedload, selectinload

from schoolhq.core.audit import Named, page_of
from schoolhq.core.declare import AuditField, AuditTrail
from schoolhq.extensions import db
from schoolhq.repairs import services
from schoolhq.repairs.models import MaintenancePlan, RepairCategory, RepairPriority, Ticket
from schoolhq.repairs.plans import UNITS


def tickets(ids: set[int], reader) -> dict[int, Named]:
    rows = db.session.scalars(select(Ticket).options(joinedload(Ticket.location), selectinload(Ticket.helpers))
                              .where(Ticket.id.in_(ids)))
    return {ticket.id: Named(ticket.number, page_of(reader, "repairs.ticket", services.may_open(reader, ticket),
                                                    ticket_id=ticket.id))
            for ticket in rows}


def plans(ids: set[int], reader) -> dict[int, Named]:
    return {plan.id: Named(plan.title, page_of(reader, "repairs.plan_list"))
            for plan in db.session.scalars(select(MaintenancePlan).where(MaintenancePlan.id.in_(ids)))}


def categories(ids: set[int], reader) -> dict[int, Named]:
    return {category.id: Named(category.name, page_of(reader, "repairs.settings_page"))
            for category in db.session.scalars(select(RepairCategory).where(RepairCategory.id.in_(ids)))}


def priority_names(keys: set[str]) -> dict[str, str]:
    """A priority's entries keep its key (it has no number): its name."""
    return {priority.key: services.priority_name(priority)
            for priority in db.session.scalars(select(RepairPriority).where(RepairPriority.key.in_(keys)))}


def every_text(value) -> str:
    """A plan's interval as recorded, "3 month": "3 months"."""
    count, _, unit = str(value).partition(" ")
    return f"{count} {UNITS[unit]}" if unit in UNITS else str(value)


AUDIT = AuditTrail(
    actions={
        "ticket.reported": _l("Reported a repair"),
        "priority.updated": _l("Changed a priority's target time"),
        "plan.created": _l("Added a maintenance plan"),
        "plan.deactivated": _l("Stopped a maintenance plan"),
    },
    records={"ticket": tickets, "maintenance_plan": plans, "repair_category": categories},
    fields={
        "location": AuditField(_l("Place")),
        "category": AuditField(_l("Category")),
        "target_hours": AuditField(_l("Target (school hours)")),
        "every": AuditField(_l("Every"), shows=every_text),
    },
    summaries={"priority.updated": priority_names},
)
