"""The canteen's check-round items that its records answer (a pack item's `from_record`):
whether every dish of the round's meal was sampled, whether a leader recorded eating
it, and whether everyone on the roster was seen at the day's morning check. The round
shows what the records say; its submission writes that answer. A school that does not
keep these records here (no canteen staff on the roster) answers the items by hand:
each reader then says None."""

from __future__ import annotations

from datetime import date

from flask import url_for
from flask_babel import lazy_gettext as _l
from sqlalchemy import select

from schoolhq.canteen import meals, morning
from schoolhq.canteen.models import CompanionMeal, Meal
from schoolhq.core.declare import RecordAnswer
from schoolhq.extensions import db


def _kept() -> bool:
    """Whether the canteen keeps its records here: someone is on its roster."""
    from schoolhq.canteen.models import CanteenStaff

    return db.session.scalar(select(CanteenStaff.id).limit(1)) is not None


def _meal_of(round_) -> tuple[date, str, Meal | None]:
    """The day and meal a meal round checks ("2026-12-04 lunch"), and the canteen's meal."""
    kind = (round_.period or "").partition(" ")[2] or "lunch"
    day = round_.period_start
    meal = db.session.scalar(select(Meal).where(Meal.day == day, Meal.kind == kind))
    return day, kind, meal


def samples(round_, _subject_id: int = 0) -> RecordAnswer | None:
    from schoolhq.canteen.samples import of_day

    if not _kept():
        return None
    day, kind, meal = _meal_of(round_)
    link = url_for("canteen.samples_page", day=day.isoformat())
    if meal is None:
        return RecordAnswer("fail", str(_l("No menu recorded for %(meal)s: nothing to show it was sampled.",
                                           meal=meals.kind_name(kind))), link)
    found = next((m for m in of_day(day) if m.meal.id == meal.id), None)
    dishes = found.dishes if found else []
    missing = [dish.name for dish, sample in dishes if sample is None]
    if not dishes:
        return RecordAnswer("fail", str(_l("No dish on the menu of %(meal)s.", meal=meals.kind_name(kind))), link)
    if missing:
        return RecordAnswer("fail", str(_l("Not sampled: %(dishes)s (food-sample log).", dishes="、".join(missing))),
                            link)
    return RecordAnswer("pass", str(_l("All %(n)s dishes sampled (food-sample log).", n=len(dishes))), link)


def accompanied(round_, _subject_id: int = 0) -> RecordAnswer | None:
    if not _kept():
        return None
    day, kind, meal = _meal_of(round_)
    link = url_for("canteen.companion_page", day=day.isoformat())
    names = [] if meal is None else [row.person.name for row in db.session.scalars(
        select(CompanionMeal).where(CompanionMeal.meal_id == meal.id))]
    if not names:
        return RecordAnswer("fail", str(_l("No accompanied-meal record for %(meal)s.", meal=meals.kind_name(kind))),
                            link)
    return RecordAnswer("pass", str(_l("Recorded by %(names)s (accompanied-meal log).", names="、".join(names))), link)


def morning_check(round_, _subject_id: int = 0) -> RecordAnswer | None:
    if not _kept():
        return None
    day = round_.period_start
    link = url_for("canteen.morning_page", day=day.isoformat())
    lines = [line for line in morning.lines(day) if line.member.active or line.check is not None]
    unseen = [line.member.person.name for line in lines if line.check is None]
    if unseen:
        return RecordAnswer("fail", str(_l("Not yet checked: %(names)s.", names="、".join(unseen))), link)
    off = [line.member.person.name for line in lines if not line.check.fit]
    note = _l("All %(n)s checked; off duty: %(names)s (morning-check log).", n=len(lines), names="、".join(off)) \
        if off else _l("All %(n)s checked and on duty (morning-check log).", n=len(lines))
    return RecordAnswer("pass", str(note), link)


RECORD_ITEMS = {"canteen.samples": samples, "canteen.accompanied": accompanied, "canteen.morning": morning_check}
