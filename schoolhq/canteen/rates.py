"""The rates an education bureau scores a canteen on, for a day or a month, from the
records themselves: 留样完成率 (dishes of meals that are over with a sample), 晨检完成率
(staff on the roster seen at the morning check on school days), 陪餐记录完整率 (meals
over with an accompanied-meal record), 索证索票完整率 (accepted goods with the documents
the data file asks) and 健康证有效率 (staff on the roster with a valid health certificate
on the period's last day). Each is a count over a count, never a stored figure."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, timedelta

from flask_babel import lazy_gettext as _l
from sqlalchemy import func, select

from schoolhq.canteen import meals, services
from schoolhq.canteen.models import (
    CanteenStaff,
    CompanionMeal,
    Delivery,
    DeliveryLine,
    Dish,
    FoodSample,
    Meal,
    MorningCheck,
)
from schoolhq.core.timeutil import local_today, month_bounds, utcnow
from schoolhq.extensions import db

KEYS = ("samples", "morning", "companion", "documents", "certificates")
NAMES = {
    "samples": _l("Food-sample rate (留样完成率)"),
    "morning": _l("Morning-check rate (晨检完成率)"),
    "companion": _l("Accompanied-meal rate (陪餐记录完整率)"),
    "documents": _l("Documents-checked rate (索证索票完整率)"),
    "certificates": _l("Valid health certificates (健康证有效率)"),
}
LINKS = {"samples": "canteen.sample_ledger", "morning": "canteen.morning_ledger",
         "companion": "canteen.companion_ledger", "documents": "canteen.delivery_ledger",
         "certificates": "people.certificate_register"}


@dataclass
class Rate:
    key: str
    done: int
    due: int

    @property
    def name(self) -> str:
        return str(NAMES[self.key])

    @property
    def percent(self) -> float | None:
        """None when nothing was due: no rate, rather than 100%."""
        return None if not self.due else round(100 * self.done / self.due, 1)

    @property
    def complete(self) -> bool:
        return self.done >= self.due

    def shown(self) -> str:
        return "—" if self.percent is None else f"{self.percent:g}%"


def _days(first: date, last: date) -> list[date]:
    return [first + timedelta(days=n) for n in range((last - first).days + 1)]


def _tallies(first: date, last: date) -> dict[date, dict[str, list[int]]]:
    """Each day's [done, due] per rate, in a fixed number of queries for any period."""
    from schoolhq.core.calendar import is_school_day
    from schoolhq.core.timeutil import to_local
    from schoolhq.people.models import Certificate, Person

    days = _days(first, last)
    tally = {day: {key: [0, 0] for key in KEYS} for day in days}
    served = {kind.key for kind in meals.kinds()}
    now = utcnow()
    # plain columns throughout: these are the dashboard's rows, read on every view of it
    over = {meal_id: day for meal_id, day, kind in db.session.execute(
            select(Meal.id, Meal.day, Meal.kind).where(Meal.day >= first, Meal.day <= last))
            if kind in served and now >= meals.ends_at(day, kind)}
    if over:
        for meal_id, dishes, sampled in db.session.execute(
                select(Dish.meal_id, func.count(Dish.id), func.count(FoodSample.id))
                .outerjoin(FoodSample, FoodSample.dish_id == Dish.id)
                .where(Dish.meal_id.in_(list(over)), Dish.removed.is_(False)).group_by(Dish.meal_id)):
            tally[over[meal_id]]["samples"][0] += sampled
            tally[over[meal_id]]["samples"][1] += dishes
        accompanied = set(db.session.scalars(select(CompanionMeal.meal_id).where(CompanionMeal.meal_id.in_(list(over)))))
        for meal_id, day in over.items():
            tally[day]["companion"][0] += meal_id in accompanied
            tally[day]["companion"][1] += 1
    # the morning check: each school day, everyone then on the roster (added by that day,
    # still on it) is due; a person checked who has since left the roster counts on both sides
    roster = [(person_id, to_local(added_at).date()) for person_id, added_at in db.session.execute(
        select(CanteenStaff.person_id, CanteenStaff.added_at).join(Person, Person.id == CanteenStaff.person_id)
        .where(CanteenStaff.active.is_(True), Person.left_at.is_(None)))]
    checked: dict[date, set[int]] = {}
    for day, person_id in db.session.execute(select(MorningCheck.day, MorningCheck.person_id)
                                             .where(MorningCheck.day >= first, MorningCheck.day <= last)):
        checked.setdefault(day, set()).add(person_id)
    for day in days:
        if is_school_day(day):
            seen = checked.get(day, set())
            tally[day]["morning"] = [len(seen), len({p for p, added in roster if added <= day} | seen)]
    # documents: accepted lines with every document the data file asks for their kind of food
    wanted = services.domain()["goods_receiving"]["complete_documents"]
    meat = {row["key"] for row in services.domain()["goods_receiving"]["categories"] if row.get("meat")}
    for day, documents, category in db.session.execute(
            select(Delivery.received_on, DeliveryLine.documents, DeliveryLine.category)
            .join(Delivery, Delivery.id == DeliveryLine.delivery_id)
            .where(Delivery.received_on >= first, Delivery.received_on <= last, DeliveryLine.accepted.is_(True))):
        held = set(documents or [])
        needed = set(wanted["all"]) | (set(wanted["meat"]) if category in meat else set())
        tally[day]["documents"][0] += needed <= held and (not wanted.get("any_of") or bool(held & set(wanted["any_of"])))
        tally[day]["documents"][1] += 1
    # health certificates: of everyone on the roster, valid on each day
    staff = {person_id for person_id, _added in roster}
    held: dict[int, list] = {}
    for certificate in db.session.execute(select(Certificate.person_id, Certificate.issued_on, Certificate.expires_on)
                                          .where(Certificate.person_id.in_(staff),
                                                 Certificate.type_key == services.HEALTH_CERTIFICATE,
                                                 Certificate.withdrawn_at.is_(None), Certificate.issued_on <= last)):
        held.setdefault(certificate.person_id, []).append(certificate)
    for day in days:
        valid = sum(1 for person_id in staff if any(
            c.issued_on <= day and (c.expires_on is None or c.expires_on >= day) for c in held.get(person_id, [])))
        tally[day]["certificates"] = [valid, len(staff)]
    return tally


def of_period(first: date, last: date) -> list[Rate]:
    """The five rates between the two days (the last no later than today); health
    certificates as they stand on the period's last day."""
    last = min(last, local_today())
    if last < first:
        return [Rate(key, 0, 0) for key in KEYS]
    return _rates_of(_tallies(first, last), last)


def _rates_of(tally: dict[date, dict[str, list[int]]], last: date) -> list[Rate]:
    rates = []
    for key in KEYS:
        if key == "certificates":
            rates.append(Rate(key, *tally[last][key]))
        else:
            rates.append(Rate(key, sum(t[key][0] for t in tally.values()), sum(t[key][1] for t in tally.values())))
    return rates


def of_month(year: int, month: int) -> list[Rate]:
    first, after = month_bounds(date(year, month, 1))
    return of_period(first, after - timedelta(days=1))


def by_day(year: int, month: int) -> list[tuple[date, list[Rate]]]:
    """Each day of the month up to today with its rates, for the printed table."""
    first, after = month_bounds(date(year, month, 1))
    last = min(after - timedelta(days=1), local_today())
    if last < first:
        return []
    tally = _tallies(first, last)
    return [(day, [Rate(key, *tally[day][key]) for key in KEYS]) for day in _days(first, last)]


def dashboard_items(account) -> list:
    """For the canteen manager and the principal: this month's five rates, each to its log."""
    from flask import url_for

    from schoolhq.core.permissions import can
    from schoolhq.dashboard.services import Entry, Item

    if not (can(account, "canteen.manage") or can(account, "canteen.accompany")):
        return []
    today = local_today()
    tally = _tallies(month_bounds(today)[0], today)  # the month so far, today among its days
    month = _rates_of(tally, today)
    day = {rate.key: rate for rate in _rates_of({today: tally[today]}, today)}
    short = sum(1 for rate in month if not rate.complete)
    entries = [Entry(f"{rate.name} {rate.shown()}", url_for("canteen.rates_page"),
                     str(_l("today %(rate)s", rate=day[rate.key].shown()))) for rate in month]
    return [Item("canteen", _l("Canteen rates below 100% this month"), short, url_for("canteen.rates_page"),
                 "warning" if short else "info", entries)]
