"""How the audit page reads the training area's entries: a requirement by its name, a
session by its number and title, each linking to its page."""

from __future__ import annotations

from flask_babel import lazy_gettext as _l
from sqlalchemy import select

from schoolhq.core.audit import Named, page_of
from schoolhq.core.declare import AuditField, AuditTrail
from schoolhq.extensions import db
from schoolhq.training.models import Requirement, TrainingSession


def requirements(ids: set[int], reader) -> dict[int, Named]:
    rows = db.session.scalars(select(Requirement).where(Requirement.id.in_(ids)))
    return {row.id: Named(row.name_zh, page_of(reader, "training.requirement_page", requirement_id=row.id))
            for row in rows}


def sessions(ids: set[int], reader) -> dict[int, Named]:
    rows = db.session.scalars(select(TrainingSession).where(TrainingSession.id.in_(ids)))
    return {row.id: Named(f"{row.number} {row.title}", page_of(reader, "training.session_page", session_id=row.id))
            for row in rows}


AUDIT = AuditTrail(
    actions={
        "requirement.saved": _l("Saved a training requirement"),
        "session.planned": _l("Planned a training session"),
        "session.confirmed": _l("Confirmed a session's attendance"),
        "session.cancelled": _l("Cancelled a training session"),
        "session.sheet_attached": _l("Attached the signed sign-in sheet"),
        "attendance.amended": _l("Amended confirmed attendance"),
        "question.added": _l("Added a question to a test"),
        "practical.assessed": _l("Assessed a practical"),
        "history.imported": _l("Imported past training records"),
    },
    records={"training_requirement": requirements, "training_session": sessions},
    fields={
        "name_zh": AuditField(_l("Training")),
        "validity_months": AuditField(_l("Valid for (months)")),
        "renew_window_days": AuditField(_l("Renewal opens (days before expiry)")),
        "hours_per_year": AuditField(_l("Hours a year")),
        "attended": AuditField(_l("Attended")),
        "mark": AuditField(_l("Attendance")),
        "reason": AuditField(_l("Reason")),
        "person": AuditField(_l("Trainee")),
        "title": AuditField(_l("Session title")),
        "day": AuditField(_l("Day")),
        "question": AuditField(_l("Test question")),
        "passed": AuditField(_l("Passed")),
        "rows": AuditField(_l("Rows")),
        "file": AuditField(_l("File")),
    },
)
