"""The school calendar: terms, holidays and make-up school days, and the one rule
`is_school_day(day)` every recurring job asks."""

from __future__ import annotations

from datetime import date

from flask import g
from flask_babel import lazy_gettext as _l
from sqlalchemy import select

from schoolhq.core import audit, settings
from schoolhq.core.errors import ServiceError, get_or_raise
from schoolhq.core.models import CalendarDay, SchoolTerm
from schoolhq.extensions import db


def _calendar() -> tuple[list[tuple[date, date]], dict[date, str]]:
    if "schoolhq_calendar" not in g:
        terms = [(t.starts_on, t.ends_on) for t in db.session.scalars(select(SchoolTerm))]
        days = {d.day: d.kind for d in db.session.scalars(select(CalendarDay))}
        g.schoolhq_calendar = (terms, days)
    return g.schoolhq_calendar


def _forget() -> None:
    g.pop("schoolhq_calendar", None)


def is_school_day(day: date) -> bool:
    """A weekday inside a term, unless declared a holiday; or a declared make-up day. A
    school whose calendar has no term yet counts every school weekday (the dashboard
    asks its administrator to add the school year), rather than none."""
    terms, exceptions = _calendar()
    kind = exceptions.get(day)
    if kind == "holiday":
        return False
    if kind == "school_day":
        return True
    if day.weekday() not in settings.get("school_weekdays"):
        return False
    return not terms or any(start <= day <= end for start, end in terms)


def has_school_year(today: date) -> bool:
    """Whether a term covers today or starts later: otherwise the calendar needs the next."""
    terms, _exceptions = _calendar()
    return any(end >= today for _start, end in terms)


def dashboard_items(account):
    from flask import url_for

    from schoolhq.core.permissions import unscoped
    from schoolhq.core.timeutil import local_today
    from schoolhq.dashboard.services import Item

    if not unscoped(account, "calendar.manage") or has_school_year(local_today()):
        return []
    return [Item("core", _l("Add the school year to the calendar: until then every weekday counts as a "
                            "school day for checks and repair targets"), 1, url_for("core.calendar_page"),
                 "warning")]


def term_for(day: date) -> SchoolTerm | None:
    return db.session.scalar(
        select(SchoolTerm).where(SchoolTerm.starts_on <= day, SchoolTerm.ends_on >= day)
    )


def terms() -> list[SchoolTerm]:
    return list(db.session.scalars(select(SchoolTerm).order_by(SchoolTerm.starts_on)))


def days() -> list[CalendarDay]:
    return list(db.session.scalars(select(CalendarDay).order_by(CalendarDay.day)))


def add_term(name: str, starts_on: date, ends_on: date) -> SchoolTerm:
    name = (name or "").strip()
    if not name:
        raise ServiceError(_l("A term needs a name."), "name")
    if ends_on < starts_on:
        raise ServiceError(_l("A term cannot end before it starts."), "ends_on")
    overlap = db.session.scalar(
        select(SchoolTerm).where(SchoolTerm.starts_on <= ends_on, SchoolTerm.ends_on >= starts_on)
    )
    if overlap is not None:
        raise ServiceError(_l("This term overlaps %(name)s.", name=overlap.name), "starts_on")
    term = SchoolTerm(name=name, starts_on=starts_on, ends_on=ends_on)
    db.session.add(term)
    db.session.flush()
    audit.record("core", "calendar.term_added", term,
                 after=audit.snapshot(term, ["name", "starts_on", "ends_on"]), summary=name)
    _forget()
    return term


def remove_term(term_id: int) -> None:
    term = get_or_raise(SchoolTerm, term_id, _l("That term does not exist."))
    audit.record("core", "calendar.term_removed", term,
                 before=audit.snapshot(term, ["name", "starts_on", "ends_on"]), summary=term.name)
    db.session.delete(term)
    db.session.flush()
    _forget()


def set_day(day: date, kind: str, name: str = "") -> CalendarDay:
    if kind not in ("holiday", "school_day"):
        raise ServiceError(_l("Choose holiday or make-up school day."), "kind")
    row = db.session.get(CalendarDay, day)
    before = audit.snapshot(row, ["kind", "name"]) if row else None
    if row is None:
        row = CalendarDay(day=day, kind=kind, name=(name or "").strip()[:60])
        db.session.add(row)
    else:
        row.kind, row.name = kind, (name or "").strip()[:60]
    db.session.flush()
    audit.record("core", "calendar.day_set", before=before,
                 after={"day": day.isoformat(), "kind": kind, "name": row.name},
                 summary=day.isoformat())
    _forget()
    return row


def clear_day(day: date) -> None:
    row = db.session.get(CalendarDay, day)
    if row is None:
        raise ServiceError(_l("That day has no entry."))
    audit.record("core", "calendar.day_cleared",
                 before={"day": day.isoformat(), "kind": row.kind, "name": row.name},
                 summary=day.isoformat())
    db.session.delete(row)
    db.session.flush()
    _forget()
