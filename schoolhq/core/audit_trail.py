"""How the audit page reads the core's entries (settings, the calendar, label sheets), and
the fields every area shares: a name, a note, a reason."""

from __future__ import annotations

from flask_babel import lazy_gettext as _l
from sqlalchemy import select

from schoolhq.core.audit import Named, page_of
from schoolhq.core.declare import AuditField, AuditTrail
from schoolhq.core.models import LabelLayout, SchoolTerm
from schoolhq.extensions import db

_DAY_KINDS = {"holiday": _l("Holiday"), "school_day": _l("Make-up school day")}


def _terms(ids: set[int], reader) -> dict[int, Named]:
    return {term.id: Named(term.name, page_of(reader, "core.calendar_page"))
            for term in db.session.scalars(select(SchoolTerm).where(SchoolTerm.id.in_(ids)))}


def _layouts(ids: set[int], reader) -> dict[int, Named]:
    return {layout.id: Named(layout.name, page_of(reader, "core.label_calibration"))
            for layout in db.session.scalars(select(LabelLayout).where(LabelLayout.id.in_(ids)))}


def _weekday(value) -> str:
    from schoolhq.core.forms import WEEKDAYS

    return str(dict(WEEKDAYS).get(str(value), value))


def _language(value) -> str:
    from schoolhq.core.settings import LANGUAGES

    return LANGUAGES.get(value, value)


AUDIT = AuditTrail(
    actions={
        "settings.update": _l("Changed the school settings"),
        "calendar.term_added": _l("Added a term"),
        "calendar.term_removed": _l("Removed a term"),
        "calendar.day_set": _l("Marked a day in the calendar"),
        "calendar.day_cleared": _l("Cleared a day in the calendar"),
        "labels.calibrated": _l("Calibrated a label sheet"),
        # core/catalogue.py names the categories of stock and repairs
        "category.saved": _l("Saved a category"),
    },
    records={"school_term": _terms, "label_layout": _layouts},
    fields={
        "name": AuditField(_l("Name")),
        "title": AuditField(_l("Title")),
        "note": AuditField(_l("Note")),
        "reason": AuditField(_l("Reason")),
        "day": AuditField(_l("Date")),
        "kind": AuditField(_l("Kind"), shows=lambda value: _DAY_KINDS.get(value, value)),
        "starts_on": AuditField(_l("First day")),
        "ends_on": AuditField(_l("Last day")),
        "school_name": AuditField(_l("School name")),
        "timezone": AuditField(_l("Time zone")),
        "default_language": AuditField(_l("Default language"), shows=_language),
        "school_weekdays": AuditField(_l("School weekdays"), shows=_weekday),
        "offset_x": AuditField(_l("Move right by (mm, negative: left)")),
        "offset_y": AuditField(_l("Move down by (mm, negative: up)")),
    },
    # the keys of the settings changed: the changes show them by their labels
    summaries={"settings.update": None},
)
