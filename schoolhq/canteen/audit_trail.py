"""How the audit page reads the canteen's entries: the roster and the morning checks,
by the person's name and the day, linking to the day's sheet."""

from __future__ import annotations

from flask_babel import lazy_gettext as _l
from sqlalchemy import select
from sqlalchemy.orm import joinedload

from schoolhq.canteen.models import CanteenStaff, Dish, FoodSample, Meal, MorningCheck, MorningSheet
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


def meals(ids: set[int], reader) -> dict[int, Named]:
    from schoolhq.canteen.meals import kind_name, monday_of

    rows = db.session.scalars(select(Meal).where(Meal.id.in_(ids)))
    return {row.id: Named(f"{row.day.isoformat()} {kind_name(row.kind)}",
                          page_of(reader, "canteen.menus", week=monday_of(row.day).isoformat())) for row in rows}


def food_samples(ids: set[int], reader) -> dict[int, Named]:
    rows = db.session.scalars(select(FoodSample).options(joinedload(FoodSample.dish).joinedload(Dish.meal))
                              .where(FoodSample.id.in_(ids)))
    return {row.id: Named(str(_l("Sample of %(dish)s, %(day)s", dish=row.dish.name, day=row.dish.meal.day.isoformat())),
                          page_of(reader, "canteen.samples_page", day=row.dish.meal.day.isoformat())) for row in rows}


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
        "menu.changed": _l("Changed a meal's menu"),
        "sample.taken": _l("Recorded a food sample"),
        "sample.discarded": _l("Discarded a food sample"),
        "samples.reviewed": _l("Reviewed a meal's food samples"),
    },
    records={"canteen_staff": staff, "canteen_morning_check": checks, "canteen_morning_sheet": sheets,
             "canteen_meal": meals, "canteen_food_sample": food_samples},
    fields={
        "post": AuditField(_l("Post")),
        "clothing_ok": AuditField(_l("Work clothes and cap")),
        "hygiene_ok": AuditField(_l("Personal hygiene")),
        "symptoms": AuditField(_l("Symptoms"), shows=_symptoms),
        "temperature_dc": AuditField(_l("Temperature (℃)"), shows=_temperature),
        "fit": AuditField(_l("On duty")),
        "action": AuditField(_l("If off duty")),
        "day": AuditField(_l("Day")),
        "dishes": AuditField(_l("Dishes")),
        "dish_id": AuditField(_l("Dish"), hidden=True),
        "weight_g": AuditField(_l("Weight (g)")),
        "sampler_id": AuditField(_l("Sampled by"), refers="person"),
        "fridge_id": AuditField(_l("Fridge"), refers="asset"),
        "keep_until": AuditField(_l("Kept until")),
        "container_code": AuditField(_l("Container")),
        "discarded": AuditField(_l("Discarded")),
        "samples": AuditField(_l("Samples")),
    },
)
