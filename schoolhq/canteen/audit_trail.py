"""How the audit page reads the canteen's entries: the roster and the morning checks,
by the person's name and the day, linking to the day's sheet."""

from __future__ import annotations

from flask_babel import lazy_gettext as _l
from sqlalchemy import select
from sqlalchemy.orm import joinedload

from schoolhq.canteen.models import CanteenStaff, MorningCheck, MorningSheet
from schoolhq.core.audit import Named, page_of
from schoolhq.core.declare import AuditField, AuditTrail
from schoolhq.extensions import db


def staff(ids: set[int], reader) -> dict[int, Named]:
    rows = db.session.scalars(select(CanteenStaff).options(joinedload(CanteenStaff.person))
                              .where(CanteenStaff.id.in_(ids)))
    return {row.id: Named(row.person.name, page_of(reader, "canteen.staff")) for row in rows}


def checks(ids: set[int], reader) -> dict[int, Named]:
    rows = db.session.scalars(select(MorningCheck).options(joinedload(MorningCheck.person))
                              .where(MorningCheck.id.in_(ids)))
    return {row.id: Named(str(_l("%(name)s, %(day)s", name=row.person.name, day=row.day.isoformat())),
                          page_of(reader, "canteen.morning_page", day=row.day.isoformat())) for row in rows}


def sheets(ids: set[int], reader) -> dict[int, Named]:
    rows = db.session.scalars(select(MorningSheet).where(MorningSheet.id.in_(ids)))
    return {row.id: Named(str(_l("Morning check of %(day)s", day=row.day.isoformat())),
                          page_of(reader, "canteen.morning_page", day=row.day.isoformat())) for row in rows}


def _symptoms(keys):
    from schoolhq.canteen.services import symptom_name

    return "、".join(symptom_name(key) for key in keys or []) or _l("No symptoms")


def _temperature(tenths):
    from schoolhq.canteen.services import show_temperature

    return f"{show_temperature(tenths)} ℃" if tenths is not None else "—"


AUDIT = AuditTrail(
    actions={
        "staff.added": _l("Put someone on the canteen staff"),
        "staff.removed": _l("Took someone off the canteen staff"),
        "morning_check.recorded": _l("Recorded a morning check"),
        "morning_sheet.signed": _l("Signed a day's morning checks"),
    },
    records={"canteen_staff": staff, "canteen_morning_check": checks, "canteen_morning_sheet": sheets},
    fields={
        "post": AuditField(_l("Post")),
        "clothing_ok": AuditField(_l("Work clothes and cap")),
        "hygiene_ok": AuditField(_l("Personal hygiene")),
        "symptoms": AuditField(_l("Symptoms"), shows=_symptoms),
        "temperature_dc": AuditField(_l("Temperature (℃)"), shows=_temperature),
        "fit": AuditField(_l("On duty")),
        "action": AuditField(_l("If off duty")),
        "day": AuditField(_l("Day")),
    },
)
