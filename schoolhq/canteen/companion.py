"""Accompanied meals (陪餐): a rota of school leaders by weekday and meal, a day's swap
when one cannot come, and each leader's signed record of the meal they ate with the
pupils — the dishes from the menu, four aspects graded 优良中差, adverse reactions and
problems. Who is due today sees it on their dashboard until it is recorded."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, timedelta

from flask_babel import lazy_gettext as _l
from sqlalchemy import delete, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import joinedload, selectinload

from schoolhq.canteen import meals, services
from schoolhq.canteen.models import CompanionMeal, CompanionRota, CompanionSwap, Meal
from schoolhq.core import audit
from schoolhq.core.database import locked
from schoolhq.core.errors import ServiceError
from schoolhq.core.forms import WEEKDAYS
from schoolhq.core.timeutil import local_today, month_bounds, utcnow
from schoolhq.extensions import db

PERMISSION = "canteen.accompany"
FIELDS = ["meal_id", "person_id", "teachers", "food_quality", "hygiene", "order", "service", "notes",
          "adverse_reactions", "pupils_opinions", "problems", "follow_up"]


def _data() -> dict:
    return services.domain()["accompanied_meal"]


def grades() -> list[tuple[str, str]]:
    return [(row["key"], services.words(row)) for row in _data()["grades"]]


def grade_name(key: str) -> str:
    return dict(grades()).get(key, key)


def aspects() -> list[tuple[str, str]]:
    return [(row["key"], services.words(row)) for row in _data()["aspects"]]


def leaders() -> list[tuple[int, str]]:
    """Who may be on the rota: everyone with a sign-in who may record an accompanied meal."""
    from schoolhq.auth.models import Account
    from schoolhq.core.permissions import can

    accounts = db.session.scalars(select(Account).options(joinedload(Account.person))
                                  .where(Account.active.is_(True), Account.person_id.is_not(None)))
    return sorted(((a.person_id, a.person.name) for a in accounts
                   if a.person.left_at is None and can(a, PERMISSION)), key=lambda row: row[1])


def rota() -> dict[tuple[int, str], CompanionRota]:
    return {(row.weekday, row.meal_kind): row
            for row in db.session.scalars(select(CompanionRota).options(joinedload(CompanionRota.person)))}


def set_rota(assignments: dict[tuple[int, str], int | None]) -> int:
    """The weekly rota: (weekday, meal kind) → a leader's person id, or None for nobody.
    Returns how many slots changed."""
    served = {kind.key for kind in meals.kinds()}
    allowed = {person_id for person_id, _name in leaders()}
    current = rota()
    changed = 0
    for (weekday, kind), person_id in sorted(assignments.items()):
        if kind not in served or not 0 <= weekday <= 6:
            raise ServiceError(_l("That meal is not served."))
        if person_id is not None and person_id not in allowed:
            raise ServiceError(_l("Only a school leader who may record accompanied meals can be on the rota."),
                               f"slot-{weekday}-{kind}")
        row = current.get((weekday, kind))
        if row is not None and row.person_id == person_id or row is None and person_id is None:
            continue
        before = {"person_id": row.person_id} if row else None
        if person_id is None:
            db.session.delete(row)
        elif row is None:
            db.session.add(CompanionRota(weekday=weekday, meal_kind=kind, person_id=person_id))
        else:
            row.person_id = person_id
        changed += 1
        audit.record("canteen", "rota.changed", None, before=before, after={"person_id": person_id},
                     summary=f"{WEEKDAYS[weekday][1]} {meals.kind_name(kind)}")
    db.session.flush()
    return changed


def swap(day: date, kind: str, person_id: int | None, reason: str) -> CompanionSwap | None:
    """Another leader comes on one day (None: back to the rota)."""
    if kind not in {k.key for k in meals.kinds()}:
        raise ServiceError(_l("That meal is not served."), "meal_kind")
    if day < local_today():
        raise ServiceError(_l("A day that is over cannot be swapped; the record shows who came."), "day")
    reason = " ".join((reason or "").split())
    if len(reason) > 100:
        raise ServiceError(_l("At most %(n)s characters.", n=100), "reason")
    existing = db.session.scalar(select(CompanionSwap).where(CompanionSwap.day == day, CompanionSwap.meal_kind == kind))
    before = {"person_id": existing.person_id} if existing else None
    if person_id is None:
        if existing is not None:
            db.session.execute(delete(CompanionSwap).where(CompanionSwap.id == existing.id))
            audit.record("canteen", "rota.swapped", None, before=before, after={"person_id": None},
                         summary=f"{day.isoformat()} {meals.kind_name(kind)}")
        return None
    if person_id not in {pid for pid, _name in leaders()}:
        raise ServiceError(_l("Only a school leader who may record accompanied meals can be on the rota."), "person_id")
    if existing is None:
        existing = CompanionSwap(day=day, meal_kind=kind, person_id=person_id, reason=reason)
        db.session.add(existing)
    else:
        existing.person_id, existing.reason = person_id, reason
    db.session.flush()
    audit.record("canteen", "rota.swapped", existing, before=before, after={"person_id": person_id, "reason": reason},
                 summary=f"{day.isoformat()} {meals.kind_name(kind)}")
    return existing


def due(first: date, last: date) -> dict[tuple[date, str], int]:
    """Who is due at each served meal between the two days: the rota, changed by swaps."""
    pattern = {(row.weekday, row.meal_kind): row.person_id for row in db.session.scalars(select(CompanionRota))}
    swaps = {(row.day, row.meal_kind): row.person_id for row in db.session.scalars(
        select(CompanionSwap).where(CompanionSwap.day >= first, CompanionSwap.day <= last))}
    answer = {}
    day = first
    while day <= last:
        for kind in meals.kinds():
            person_id = swaps.get((day, kind.key), pattern.get((day.weekday(), kind.key)))
            if person_id:
                answer[(day, kind.key)] = person_id
        day += timedelta(days=1)
    return answer


@dataclass
class Grades:
    food_quality: str
    hygiene: str
    order: str
    service: str


@dataclass
class Record:
    grades: Grades
    teachers: str = ""
    notes: str = ""
    adverse_reactions: bool = False
    pupils_opinions: str = ""
    problems: str = ""
    follow_up: str = ""


def _clean(text: str | None, limit: int, field_name: str) -> str:
    text = " ".join((text or "").split())
    if len(text) > limit:
        raise ServiceError(_l("At most %(n)s characters.", n=limit), field_name)
    return text


def record(account, meal_id: int, data: Record, signature: str | None, photo=None) -> CompanionMeal:
    """The signed record of the meal the signed-in leader ate with the pupils, on its day."""
    from schoolhq.core.uploads import save_signature, save_upload

    if account is None or not getattr(account, "person_id", None):
        raise ServiceError(_l("Only someone with a sign-in records the meal they ate."))
    meal = locked(Meal, meal_id, _l("That meal does not exist."))
    if meal.day != local_today():
        raise ServiceError(_l("An accompanied meal is recorded on the day it is eaten."))
    if utcnow() < meals.starts_at(meal.day, meal.kind):
        raise ServiceError(_l("%(meal)s has not been served yet.", meal=meals.kind_name(meal.kind)))
    allowed = dict(grades())
    for key, _name in aspects():
        if getattr(data.grades, key) not in allowed:
            raise ServiceError(_l("Grade each of the four: food, hygiene, order and service."), key)
    notes = _clean(data.notes, 500, "notes")
    if data.adverse_reactions and not notes:
        raise ServiceError(_l("Say what the adverse reactions were, and who was told."), "notes")
    problems = _clean(data.problems, 300, "problems")
    poor = [name for key, name in aspects() if getattr(data.grades, key) == "poor"]
    if poor and not problems:
        raise ServiceError(_l("%(aspects)s graded poor: say what the problem was.", aspects="、".join(poor)), "problems")
    if db.session.scalar(select(CompanionMeal.id).where(CompanionMeal.meal_id == meal.id,
                                                        CompanionMeal.person_id == account.person_id)):
        raise ServiceError(_l("You have recorded this meal already."))
    teachers = _clean(data.teachers, 200, "teachers")
    pupils = _clean(data.pupils_opinions, 300, "pupils_opinions")
    follow_up = _clean(data.follow_up, 300, "follow_up")
    signed = save_signature(signature, _l("Sign the record first."))
    attachment = save_upload(photo, images_only=True) if photo is not None and getattr(photo, "filename", "") else None
    row = CompanionMeal(meal_id=meal.id, person_id=account.person_id, teachers=teachers,
                        food_quality=data.grades.food_quality, hygiene=data.grades.hygiene, order=data.grades.order,
                        service=data.grades.service, notes=notes, adverse_reactions=bool(data.adverse_reactions),
                        pupils_opinions=pupils, problems=problems, follow_up=follow_up,
                        photo_id=attachment.id if attachment else None, signature_id=signed.id,
                        recorded_at=utcnow(), recorded_by_id=account.id)
    db.session.add(row)
    try:
        with db.session.begin_nested():
            db.session.flush()
    except IntegrityError:  # a double tap
        raise ServiceError(_l("You have recorded this meal already.")) from None
    audit.record("canteen", "companion.recorded", row, after=audit.snapshot(row, FIELDS),
                 summary=f"{meal.day.isoformat()} {meals.kind_name(meal.kind)}")
    if row.adverse_reactions:
        _alert_adverse(row, meal)
    return row


def _alert_adverse(row: CompanionMeal, meal: Meal) -> None:
    """An adverse reaction is reported at once: to the canteen manager and the principal."""
    from schoolhq.auth.models import Account
    from schoolhq.core.notifications import notify
    from schoolhq.core.permissions import can

    title = _l("Adverse reactions after %(day)s %(meal)s, recorded by %(name)s", day=meal.day.isoformat(),
               meal=meals.kind_name(meal.kind), name=row.person.name if row.person else "")
    for account in db.session.scalars(select(Account).where(Account.active.is_(True))):
        if can(account, "canteen.manage") or can(account, PERMISSION) and account.person_id != row.person_id:
            notify(account.id, "canteen", title, link=f"/canteen/companion?day={meal.day.isoformat()}")


@dataclass
class Slot:
    meal: Meal
    kind_name: str
    due_id: int | None
    due_name: str
    records: list[CompanionMeal]


def of_day(day: date) -> list[Slot]:
    """The day's served meals with who is due and what was recorded."""
    from schoolhq.people.models import Person

    order = [kind.key for kind in meals.kinds()]
    rows = db.session.scalars(select(Meal).options(selectinload(Meal.dishes)).where(Meal.day == day)).all()
    records = db.session.scalars(select(CompanionMeal).options(joinedload(CompanionMeal.person))
                                 .where(CompanionMeal.meal_id.in_([m.id for m in rows]))).all() if rows else []
    who = due(day, day)
    names = {p.id: p.name for p in db.session.scalars(select(Person).where(Person.id.in_(set(who.values()))))}
    return [Slot(meal, meals.kind_name(meal.kind), who.get((day, meal.kind)), names.get(who.get((day, meal.kind)), ""),
                 [r for r in records if r.meal_id == meal.id])
            for meal in sorted((m for m in rows if m.kind in order), key=lambda m: order.index(m.kind))]


def unaccompanied(first: date, last: date) -> list[Meal]:
    """Meals served and over between the two days with no accompanied-meal record."""
    rows = db.session.scalars(
        select(Meal).outerjoin(CompanionMeal, CompanionMeal.meal_id == Meal.id)
        .where(Meal.day >= first, Meal.day <= last, CompanionMeal.id.is_(None)).order_by(Meal.day.desc())).all()
    served = {kind.key for kind in meals.kinds()}
    now = utcnow()
    return [meal for meal in rows if meal.kind in served and now >= meals.ends_at(meal.day, meal.kind)]


def month_rows(year: int, month: int) -> list[CompanionMeal]:
    first, after = month_bounds(date(year, month, 1))
    return list(db.session.scalars(
        select(CompanionMeal).join(Meal, Meal.id == CompanionMeal.meal_id)
        .options(joinedload(CompanionMeal.meal).selectinload(Meal.dishes), joinedload(CompanionMeal.person))
        .where(Meal.day >= first, Meal.day < after).order_by(Meal.day, Meal.kind, CompanionMeal.recorded_at)))


def dashboard_items(account) -> list:
    """For the leader due today: the meals they have still to accompany."""
    from flask import url_for

    from schoolhq.core.permissions import can
    from schoolhq.dashboard.services import Entry, Item

    if not can(account, PERMISSION) or not account.person_id:
        return []
    today = local_today()
    mine = [slot for slot in of_day(today) if slot.due_id == account.person_id
            and not any(r.person_id == account.person_id for r in slot.records)]
    if not mine:
        return []
    return [Item("canteen", _l("You eat with the pupils today (陪餐)"), len(mine), url_for("canteen.companion_page"),
                 "warning", [Entry(f"{slot.kind_name} · " + "、".join(d.name for d in slot.meal.dishes if not d.removed),
                                   url_for("canteen.companion_page")) for slot in mine])]
