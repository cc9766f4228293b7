"""The menu: each school day's meals and their dishes, planned a week at a time and
copied from the week before. The dishes of a meal are what its food samples (留样) are
taken of, and what the accompanied-meal record (陪餐) will name."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, timedelta

from flask_babel import lazy_gettext as _l
from sqlalchemy import select
from sqlalchemy.orm import selectinload

from schoolhq.canteen import services
from schoolhq.canteen.models import Dish, FoodSample, Meal
from schoolhq.core import audit
from schoolhq.core.database import locked_or_made
from schoolhq.core.errors import ServiceError
from schoolhq.core.timeutil import local_time_utc, local_today, utcnow
from schoolhq.extensions import db

MAX_DISHES = 20


@dataclass(frozen=True)
class MealKind:
    key: str
    name: str
    ends: str


def kinds() -> list[MealKind]:
    """The meals the canteen serves, in the day's order."""
    return [MealKind(row["key"], services.words(row), row["ends"])
            for row in services.domain()["meals"] if row.get("served", True)]


def kind_name(key: str) -> str:
    row = next((row for row in services.domain()["meals"] if row["key"] == key), None)
    return services.words(row) if row else key


def label_mark(kind: str) -> str:
    """The meal's mark on a sample container's label, in the kitchen's own words: 早, 午, 晚."""
    row = next((row for row in services.domain()["meals"] if row["key"] == kind), None)
    return row["zh"][:1] if row else kind[:1]


def ends_at(day: date, kind: str) -> datetime:
    """When that meal is over (UTC): from then on a dish without a sample is a failure."""
    row = next(row for row in services.domain()["meals"] if row["key"] == kind)
    return local_time_utc(day, row["ends"])


def starts_at(day: date, kind: str) -> datetime:
    """When that meal is served (UTC): an accompanied meal is recorded from then on."""
    row = next(row for row in services.domain()["meals"] if row["key"] == kind)
    return local_time_utc(day, row.get("starts", row["ends"]))


def monday_of(day: date) -> date:
    return day - timedelta(days=day.weekday())


def week_days(monday: date) -> list[date]:
    """Monday to Friday, and a weekend day when the calendar makes it a school day or
    the canteen served a meal on it."""
    from schoolhq.core.calendar import is_school_day

    served = set(db.session.scalars(select(Meal.day).where(Meal.day >= monday + timedelta(days=5),
                                                           Meal.day <= monday + timedelta(days=6))))
    days = [monday + timedelta(days=n) for n in range(7)]
    return [day for day in days if day.weekday() < 5 or day in served or is_school_day(day)]


def meals_between(first: date, last: date) -> dict[tuple[date, str], Meal]:
    rows = db.session.scalars(select(Meal).options(selectinload(Meal.dishes))
                              .where(Meal.day >= first, Meal.day <= last))
    return {(meal.day, meal.kind): meal for meal in rows}


def _meal_to_change(day: date, kind: str) -> Meal:
    """The meal, made when first needed and locked: two tablets saving one meal take turns."""
    if kind not in {k.key for k in kinds()}:
        raise ServiceError(_l("The canteen does not serve that meal."), "kind")
    return locked_or_made(Meal, _l("That meal does not exist."), day=day, kind=kind)


def clean_names(text: str) -> list[str]:
    """A meal's dishes from what was typed: one per line (or separated by 、，,), blank
    lines and repeats dropped."""
    names: list[str] = []
    for part in (text or "").replace("、", "\n").replace("，", "\n").replace(",", "\n").splitlines():
        name = part.strip()
        if not name or name in names:
            continue
        if len(name) > 60:
            raise ServiceError(_l("A dish's name is at most 60 characters: “%(name)s…”.", name=name[:20]), "dishes")
        names.append(name)
    if len(names) > MAX_DISHES:
        raise ServiceError(_l("At most %(n)s dishes in one meal.", n=MAX_DISHES), "dishes")
    return names


def set_dishes(day: date, kind: str, text: str) -> Meal:
    """The meal's dishes, in the order typed. A past meal's menu is its record and stays;
    a dish already sampled stays on the menu."""
    if day < local_today():
        raise ServiceError(_l("The menu of a past day is its record; it cannot change."), "dishes")
    names = clean_names(text)
    meal = _meal_to_change(day, kind)
    before = [d.name for d in meal.dishes if not d.removed]
    sampled = set(db.session.scalars(select(FoodSample.dish_id).where(FoodSample.meal_id == meal.id)))
    kept_sampled = [d for d in meal.dishes if d.id in sampled and not d.removed and d.name not in names]
    if kept_sampled:
        raise ServiceError(_l("%(dish)s has been sampled already and stays on the menu.",
                              dish="、".join(d.name for d in kept_sampled)), "dishes")
    by_name = {d.name: d for d in meal.dishes}
    for position, name in enumerate(names):
        dish = by_name.pop(name, None)
        if dish is None:
            dish = Dish(meal_id=meal.id, name=name)
            db.session.add(dish)
        dish.position, dish.removed = position, False
    for dish in by_name.values():  # no longer on the menu
        if dish.id in sampled:
            continue
        db.session.delete(dish)
    meal.updated_at = utcnow()
    db.session.flush()
    db.session.refresh(meal)
    if before != names:
        audit.record("canteen", "menu.changed", meal, before={"dishes": before}, after={"dishes": names},
                     summary=f"{day.isoformat()} {kind_name(kind)}")
    return meal


def copy_week(monday: date) -> int:
    """Each meal of the week that has no dishes yet gets those of the same meal a week
    earlier; returns how many meals were filled."""
    days = [day for day in week_days(monday) if day >= local_today()]
    if not days:
        raise ServiceError(_l("That week is over; its menu is its record."))
    earlier = meals_between(monday - timedelta(days=7), monday - timedelta(days=1))
    now = meals_between(monday, monday + timedelta(days=6))
    filled = 0
    for day in days:
        for kind in kinds():
            source = earlier.get((day - timedelta(days=7), kind.key))
            target = now.get((day, kind.key))
            names = [d.name for d in source.dishes if not d.removed] if source else []
            if names and not (target and [d for d in target.dishes if not d.removed]):
                set_dishes(day, kind.key, "\n".join(names))
                filled += 1
    if not filled:
        raise ServiceError(_l("Nothing to copy: last week has no dishes for the meals still empty."))
    return filled
