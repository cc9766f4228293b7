"""Food samples (留样): every dish of every meal, at least the weight setting (125 g),
in the food-sample fridge, kept 48 hours (a setting) and not discarded before; the
sampler on duty that day; reviewed by the canteen manager. A meal that is over with a
dish not sampled is a failure from that moment."""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass
from datetime import date, timedelta

from flask_babel import lazy_gettext as _l
from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import joinedload, selectinload

from schoolhq.canteen import meals, morning
from schoolhq.canteen.models import Dish, FoodSample, Meal
from schoolhq.core import audit, settings
from schoolhq.core.database import locked
from schoolhq.core.errors import NotFound, ServiceError
from schoolhq.core.timeutil import local_today, month_bounds, to_local, utcnow
from schoolhq.extensions import db

FIELDS = ["dish_id", "weight_g", "sampler_id", "fridge_id", "keep_until", "container_code"]
FRIDGE_KIND = "sample_fridge"
#: the heaviest sample anyone keeps: more is a typo (1250 for 125)
MAX_GRAMS = 2000


def parse_grams(text: str | None) -> int:
    """Grams from what was typed: `150`, `150g`, `150 克`."""
    cleaned = unicodedata.normalize("NFKC", text or "").strip().lower()
    cleaned = re.sub(r"\s*(g|克|grams?)$", "", cleaned)
    if not cleaned:
        raise ServiceError(_l("Weigh the sample and enter its weight in grams."), "weight")
    if not cleaned.isdigit():
        raise ServiceError(_l("“%(value)s” is not a weight; enter whole grams, like 150.", value=(text or "")[:20]),
                           "weight")
    grams = int(cleaned)
    if grams > MAX_GRAMS:
        raise ServiceError(_l("%(g)s g is more than any sample (at most %(max)s g); check the scale.", g=grams,
                              max=MAX_GRAMS), "weight")
    return grams


def minimum_grams() -> int:
    return int(settings.get("canteen.sample_min_g"))


def keep_hours() -> int:
    return int(settings.get("canteen.sample_keep_hours"))


def fridges() -> list:
    """The food-sample fridges on the register (assets of that kind)."""
    from schoolhq.assets.models import Asset, AssetKind, AssetStatus

    return list(db.session.scalars(
        select(Asset).join(AssetKind, AssetKind.id == Asset.kind_id).join(AssetStatus, AssetStatus.key == Asset.status)
        .options(joinedload(Asset.location))
        .where(AssetKind.key == FRIDGE_KIND, AssetStatus.on_register.is_(True)).order_by(Asset.number)))


def _fridge(fridge_id: int | None) -> int | None:
    choices = {asset.id for asset in fridges()}
    if not choices:
        return None  # a canteen without a registered fridge still samples; the ledger says where
    if fridge_id not in choices:
        raise ServiceError(_l("Choose the food-sample fridge."), "fridge_id")
    return fridge_id


def record(account, dish_id: int, weight_text: str, sampler_id: int | None, fridge_id: int | None,
           photo=None) -> FoodSample:
    """The sample of one dish, taken now, on the meal's day."""
    from schoolhq.core.uploads import save_upload

    dish = db.session.get(Dish, dish_id)
    if dish is None or dish.removed:
        raise NotFound(_l("That dish is not on the menu."))
    meal = locked(Meal, dish.meal_id, _l("That meal does not exist."))
    if meal.day != local_today():
        raise ServiceError(_l("A sample is recorded when it is taken, on the meal's day."))
    grams = parse_grams(weight_text)
    if grams < minimum_grams():
        raise ServiceError(_l("%(g)s g is too little: each dish needs at least %(min)s g.", g=grams,
                              min=minimum_grams()), "weight")
    if not sampler_id:
        raise ServiceError(_l("Choose who took the sample."), "sampler_id")
    from schoolhq.people.services import get_person

    get_person(sampler_id)
    morning.ensure_on_duty(sampler_id, meal.day, "sampler_id")
    fridge = _fridge(fridge_id)
    if db.session.scalar(select(FoodSample.id).where(FoodSample.dish_id == dish.id)) is not None:
        raise ServiceError(_l("%(dish)s has been sampled already.", dish=dish.name))
    attachment = save_upload(photo, images_only=True) if photo is not None and getattr(photo, "filename", "") else None
    taken = utcnow()
    sample = FoodSample(dish_id=dish.id, meal_id=meal.id, weight_g=grams, sampled_at=taken, sampler_id=sampler_id,
                        fridge_id=fridge, keep_until=taken + timedelta(hours=keep_hours()),
                        container_code=f"{meal.day:%m%d}-{meals.label_mark(meal.kind)}-{dish.position + 1}",
                        photo_id=attachment.id if attachment else None, recorded_by_id=getattr(account, "id", None))
    db.session.add(sample)
    try:
        with db.session.begin_nested():
            db.session.flush()
    except IntegrityError:  # the same dish saved from two tablets at once
        raise ServiceError(_l("%(dish)s has been sampled already.", dish=dish.name)) from None
    audit.record("canteen", "sample.taken", sample, after=audit.snapshot(sample, FIELDS),
                 summary=f"{meal.day.isoformat()} {dish.name}")
    return sample


def discard(account, sample_id: int) -> FoodSample:
    sample = locked(FoodSample, sample_id, _l("That sample does not exist."))
    if sample.discarded_at is not None:
        return sample
    if utcnow() < sample.keep_until:
        raise ServiceError(_l("%(dish)s is kept until %(until)s; it cannot be discarded before.",
                              dish=sample.dish.name, until=f"{to_local(sample.keep_until):%m-%d %H:%M}"))
    sample.discarded_at, sample.discarded_by_id = utcnow(), getattr(account, "id", None)
    audit.record("canteen", "sample.discarded", sample, before={"discarded": False}, after={"discarded": True},
                 summary=sample.dish.name)
    return sample


def review(account, meal_id: int) -> int:
    """The manager confirms a meal's samples (审核); returns how many were confirmed."""
    meal = locked(Meal, meal_id, _l("That meal does not exist."))
    rows = db.session.scalars(select(FoodSample).where(FoodSample.meal_id == meal.id,
                                                       FoodSample.reviewed_at.is_(None))).all()
    if not rows:
        raise ServiceError(_l("No sample of this meal is waiting for review."))
    for sample in rows:
        sample.reviewed_at, sample.reviewed_by_id = utcnow(), getattr(account, "id", None)
    audit.record("canteen", "samples.reviewed", meal, after={"samples": len(rows)},
                 summary=f"{meal.day.isoformat()} {meals.kind_name(meal.kind)}")
    return len(rows)


@dataclass
class MealSamples:
    meal: Meal
    kind_name: str
    dishes: list[tuple[Dish, FoodSample | None]]
    over: bool

    @property
    def missing(self) -> list[Dish]:
        return [dish for dish, sample in self.dishes if sample is None]


def of_day(day: date) -> list[MealSamples]:
    """The day's meals with each dish's sample, in the day's order."""
    order = [k.key for k in meals.kinds()]
    rows = db.session.scalars(select(Meal).options(selectinload(Meal.dishes)).where(Meal.day == day)).all()
    samples = {s.dish_id: s for s in db.session.scalars(
        select(FoodSample).options(joinedload(FoodSample.sampler))
        .where(FoodSample.meal_id.in_([m.id for m in rows])))} if rows else {}
    now = utcnow()
    result = []
    for meal in sorted((m for m in rows if m.kind in order), key=lambda m: order.index(m.kind)):
        dishes = [(dish, samples.get(dish.id)) for dish in meal.dishes if not dish.removed or dish.id in samples]
        if dishes:
            result.append(MealSamples(meal, meals.kind_name(meal.kind), dishes, now >= meals.ends_at(day, meal.kind)))
    return result


def unsampled(first: date, last: date) -> list[tuple[Meal, Dish]]:
    """The dishes of meals between the two days that are over and were not sampled, the
    latest first: one query, the meal's end judged here."""
    rows = db.session.execute(
        select(Meal, Dish).join(Dish, Dish.meal_id == Meal.id)
        .outerjoin(FoodSample, FoodSample.dish_id == Dish.id)
        .where(Meal.day >= first, Meal.day <= last, Dish.removed.is_(False), FoodSample.id.is_(None))
        .order_by(Meal.day.desc(), Meal.kind, Dish.position)).all()
    now = utcnow()
    served = {k.key for k in meals.kinds()}
    return [(meal, dish) for meal, dish in rows if meal.kind in served and now >= meals.ends_at(meal.day, meal.kind)]


def month_rows(year: int, month: int) -> list[FoodSample]:
    first, after = month_bounds(date(year, month, 1))
    return list(db.session.scalars(
        select(FoodSample).join(Meal, Meal.id == FoodSample.meal_id).join(Dish, Dish.id == FoodSample.dish_id)
        .options(joinedload(FoodSample.dish).joinedload(Dish.meal), joinedload(FoodSample.sampler),
                 joinedload(FoodSample.reviewed_by), joinedload(FoodSample.discarded_by))
        .where(Meal.day >= first, Meal.day < after).order_by(Meal.day, Meal.kind, Dish.position)))

