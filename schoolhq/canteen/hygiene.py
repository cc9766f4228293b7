"""The kitchen's three everyday logs: tableware disinfection (each batch against its own
method's limit — a dishwasher rinse is not an infrared cabinet), food additives used
(附录D, or a dated declaration that none are used) and kitchen waste handed to a licensed
collector (附录E). Each is recorded on its day by someone on duty; nothing is dated
after now."""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass
from datetime import date, datetime

from flask_babel import lazy_gettext as _l
from sqlalchemy import func, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import joinedload

from schoolhq.canteen import meals, morning, services, suppliers
from schoolhq.canteen.models import (
    AdditiveDeclaration,
    AdditiveUse,
    CanteenStaff,
    DisinfectionBatch,
    WasteHandover,
)
from schoolhq.core import audit
from schoolhq.core.errors import ServiceError
from schoolhq.core.timeutil import local_time_utc, local_today, utcnow
from schoolhq.extensions import db

_CLOCK = re.compile(r"^(\d{1,2})[:：.](\d{2})$")


def _data(key: str) -> dict:
    return services.domain()[key]


def methods() -> list[tuple[str, str]]:
    return [(row["key"], services.words(row)) for row in _data("tableware_disinfection")["methods"]]


def method(key: str) -> dict:
    return next((row for row in _data("tableware_disinfection")["methods"] if row["key"] == key), {})


def method_name(key: str) -> str:
    return dict(methods()).get(key, key)


def waste_kinds() -> list[tuple[str, str]]:
    return [(row["key"], services.words(row)) for row in _data("kitchen_waste")["kinds"]]


def waste_kind_name(key: str) -> str:
    return dict(waste_kinds()).get(key, key)


def show_reading(batch: DisinfectionBatch) -> str:
    kind = method(batch.method).get("reading")
    if batch.reading is None or kind in (None, "none"):
        return ""
    if kind == "chlorine":
        return f"{batch.reading} mg/L"
    return f"{services.show_temperature(batch.reading)} ℃"


def _at(day: date, text: str | None, field_name: str) -> datetime:
    """A time of day typed on the tablet (`06:30`, `6：30`) on `day`, as UTC; not after now."""
    cleaned = unicodedata.normalize("NFKC", text or "").strip()
    match = _CLOCK.match(cleaned)
    if not match or int(match.group(1)) > 23 or int(match.group(2)) > 59:
        raise ServiceError(_l("“%(value)s” is not a time of day; write it like 06:30.", value=(text or "")[:10]),
                           field_name)
    at = local_time_utc(day, f"{int(match.group(1)):02d}:{match.group(2)}")
    if at > utcnow():
        raise ServiceError(_l("%(time)s has not come yet: record it when it is done.", time=cleaned), field_name)
    return at


def _thousandths(text: str | None, units: tuple[str, ...], field_name: str, explain) -> int:
    """An amount typed with or without its unit (`2.5g`, `35.5 公斤`) in thousandths of
    that unit; `explain(why)` says what went wrong in the user's words."""
    from schoolhq.stock.services import parse_quantity

    cleaned = unicodedata.normalize("NFKC", text or "").strip().lower()
    for unit in units:
        cleaned = cleaned.removesuffix(unit).strip()
    try:
        return parse_quantity(cleaned, field=field_name)
    except ServiceError as error:
        raise ServiceError(explain(error.message), field_name) from None


def _text(value: str | None, limit: int, field_name: str, required=None) -> str:
    value = " ".join((value or "").split())
    if required is not None and not value:
        raise ServiceError(required, field_name)
    if len(value) > limit:
        raise ServiceError(_l("At most %(n)s characters.", n=limit), field_name)
    return value


def _on_duty(person_id: int | None, day: date, field_name: str, missing) -> int:
    """A person recorded doing the work: chosen, still at the school, and on duty when on
    the canteen's roster."""
    from schoolhq.people.services import get_person

    if not person_id:
        raise ServiceError(missing, field_name)
    person = get_person(person_id)
    if person.left_at is not None:
        raise ServiceError(_l("%(name)s has left the school.", name=person.name), field_name)
    if db.session.scalar(select(CanteenStaff.id).where(CanteenStaff.person_id == person.id,
                                                       CanteenStaff.active.is_(True))) is not None:
        morning.ensure_on_duty(person.id, day, field_name)
    return person.id


# Tableware disinfection ---------------------------------------------------------------

@dataclass
class Disinfection:
    method: str
    started: str
    ended: str
    reading: str = ""
    items: str = ""
    quantity: str = ""
    place: str = ""
    meal_kind: str = ""
    operator_id: int | None = None
    checker_id: int | None = None
    central_firm: str = ""
    central_certificate: str = ""
    remarks: str = ""


def _reading(rule: dict, text: str) -> int | None:
    kind = rule.get("reading")
    if kind in (None, "none"):
        return None
    if kind == "chlorine":
        cleaned = unicodedata.normalize("NFKC", text or "").strip().lower()
        cleaned = re.sub(r"\s*(mg/l|毫克/升)$", "", cleaned)
        if not cleaned.isdigit() or not 1 <= int(cleaned) <= 5000:
            raise ServiceError(_l("Enter the available chlorine in mg/L, like 250."), "reading")
        return int(cleaned)
    value = services.parse_tenths(
        text, lambda value: _l("“%(value)s” is not a temperature; write it like 120.", value=value),
        lambda value: _l("A disinfection temperature of %(value)s ℃ cannot be right: between 20 and 300.",
                         value=value), 20, 300)
    if value is None:
        raise ServiceError(_l("Enter the temperature reached (℃)."), "reading")
    return value


def record_disinfection(account, data: Disinfection) -> DisinfectionBatch:
    """Today's next batch; one that misses its method's limit is recorded as not met and
    must say what was done."""
    day = local_today()
    rule = method(data.method)
    if not rule:
        raise ServiceError(_l("Choose how the tableware was disinfected."), "method")
    started, ended = _at(day, data.started, "started"), _at(day, data.ended, "ended")
    if ended <= started:
        raise ServiceError(_l("It cannot end (%(end)s) before it started (%(start)s).", end=data.ended,
                              start=data.started), "ended")
    reading = _reading(rule, data.reading)
    firm = _text(data.central_firm, 100, "central_firm")
    certificate = _text(data.central_certificate, 60, "central_certificate")
    if data.method == "central" and not (firm and certificate):
        raise ServiceError(_l("Name the disinfection firm and this batch's certificate number."), "central_certificate")
    quantity = None
    if (data.quantity or "").strip():
        cleaned = unicodedata.normalize("NFKC", data.quantity).strip()
        if not cleaned.isdigit() or not 0 < int(cleaned) <= 100000:
            raise ServiceError(_l("Enter how many pieces, like 300."), "quantity")
        quantity = int(cleaned)
    if data.meal_kind and data.meal_kind not in {kind.key for kind in meals.kinds()}:
        raise ServiceError(_l("That meal is not served."), "meal_kind")
    operator = _on_duty(data.operator_id, day, "operator_id", _l("Choose who disinfected it."))
    checker = None
    if data.checker_id:
        checker = _on_duty(data.checker_id, day, "checker_id", _l("Choose who checked it."))
        if checker == operator:
            raise ServiceError(_l("The checker must be someone other than who disinfected it."), "checker_id")
    minutes = (ended - started).total_seconds() / 60
    meets = data.method == "central" or (reading is not None and reading >= rule["at_least"] * (
        10 if rule["reading"] == "temperature" else 1) and minutes >= rule.get("minutes", 0))
    remarks = _text(data.remarks, 200, "remarks")
    if not meets and not remarks:
        raise ServiceError(_l("Below the limit of %(method)s (%(limit)s for %(minutes)s minutes): say what was done, "
                              "such as disinfecting again.", method=method_name(data.method),
                              limit=f"{rule['at_least']} {'℃' if rule['reading'] == 'temperature' else 'mg/L'}",
                              minutes=rule.get("minutes", 0)), "remarks")
    batch = DisinfectionBatch(
        day=day, meal_kind=data.meal_kind or "", method=data.method, started_at=started, ended_at=ended,
        reading=reading, items=_text(data.items, 200, "items", _l("Say what was disinfected.")), quantity=quantity,
        place=_text(data.place, 60, "place"), operator_id=operator, checker_id=checker, central_firm=firm,
        central_certificate=certificate, meets_limit=meets, remarks=remarks, recorded_by_id=getattr(account, "id", None))
    for _attempt in range(3):  # two tablets numbering the same batch: the second takes the next number
        batch.batch_no = (db.session.scalar(select(func.max(DisinfectionBatch.batch_no))
                                            .where(DisinfectionBatch.day == day)) or 0) + 1
        try:
            with db.session.begin_nested():
                db.session.add(batch)
                db.session.flush()
            break
        except IntegrityError:
            continue
    else:
        raise ServiceError(_l("Someone else recorded a batch at the same moment; record it again."))
    audit.record("canteen", "disinfection.recorded", batch,
                 after=audit.snapshot(batch, ["day", "batch_no", "method", "reading", "items", "operator_id",
                                              "checker_id", "meets_limit", "remarks"]),
                 summary=f"{day.isoformat()} #{batch.batch_no} {method_name(data.method)}")
    return batch


# Food additives -------------------------------------------------------------------------

@dataclass
class Additive:
    additive: str
    amount: str
    food: str
    user_id: int | None
    producer: str = ""
    production_date: date | None = None
    function: str = ""
    food_amount: str = ""
    remarks: str = ""


def record_additive(account, data: Additive) -> AdditiveUse:
    day = local_today()
    name = _text(data.additive, 60, "additive", _l("Name the additive."))
    milligrams = _thousandths(data.amount, ("g", "克"), "amount",
                              lambda why: _l("The amount used: %(why)s Write grams, like 2.5.", why=why))
    if data.production_date is not None and data.production_date > day:
        raise ServiceError(_l("The production date cannot be after today."), "production_date")
    use = AdditiveUse(used_on=day, additive=name, producer=_text(data.producer, 100, "producer"),
                      production_date=data.production_date, amount_mg=milligrams,
                      function=_text(data.function, 40, "function"),
                      food=_text(data.food, 60, "food", _l("Name the food it was used in.")),
                      food_amount=_text(data.food_amount, 40, "food_amount"),
                      user_id=_on_duty(data.user_id, day, "user_id", _l("Choose who used it.")),
                      remarks=_text(data.remarks, 200, "remarks"), recorded_by_id=getattr(account, "id", None))
    db.session.add(use)
    db.session.flush()
    audit.record("canteen", "additive.used", use,
                 after=audit.snapshot(use, ["additive", "amount_mg", "food", "user_id"]),
                 summary=f"{day.isoformat()} {name}")
    return use


def declare_no_additives(account, text: str) -> AdditiveDeclaration:
    """本校不使用食品添加剂, dated today and signed in by who declares it."""
    day = local_today()
    words = _text(text, 200, "text", _l("Write the declaration."))
    if db.session.scalar(select(AdditiveUse.id).where(AdditiveUse.used_on == day).limit(1)) is not None:
        raise ServiceError(_l("An additive was used today: the canteen cannot declare it uses none."), "text")
    declaration = AdditiveDeclaration(declared_on=day, text=words, declared_by_id=getattr(account, "id", None))
    db.session.add(declaration)
    db.session.flush()
    audit.record("canteen", "additive.declared_none", declaration, after={"text": words}, summary=day.isoformat())
    return declaration


def latest_declaration() -> AdditiveDeclaration | None:
    return db.session.scalar(select(AdditiveDeclaration).order_by(AdditiveDeclaration.declared_on.desc(),
                                                                  AdditiveDeclaration.id.desc()).limit(1))


# Kitchen waste ---------------------------------------------------------------------------

@dataclass
class Waste:
    kind: str
    quantity: str
    handed: str
    collector_id: int | None
    recorder_id: int | None
    collector_person: str = ""
    remarks: str = ""


def record_waste(account, data: Waste) -> WasteHandover:
    day = local_today()
    if data.kind not in dict(waste_kinds()):
        raise ServiceError(_l("Choose what kind of waste it was."), "kind")
    grams = _thousandths(data.quantity, ("kg", "公斤", "千克"), "quantity",
                         lambda why: _l("The weight: %(why)s Write kilograms, like 35.5.", why=why))
    collector = suppliers.ensure_may_supply(data.collector_id, day, "collector_id", collects=True)
    handover = WasteHandover(
        day=day, kind=data.kind, quantity_g=grams, handed_at=_at(day, data.handed, "handed"),
        collector_id=collector.id, collector_person=_text(data.collector_person, 100, "collector_person"),
        recorder_id=_on_duty(data.recorder_id, day, "recorder_id", _l("Choose who recorded it.")),
        remarks=_text(data.remarks, 200, "remarks"), recorded_by_id=getattr(account, "id", None))
    db.session.add(handover)
    db.session.flush()
    audit.record("canteen", "waste.handed", handover,
                 after=audit.snapshot(handover, ["kind", "quantity_g", "collector_id", "recorder_id"]),
                 summary=f"{day.isoformat()} {collector.name}")
    return handover


# The day and the month -------------------------------------------------------------------

def batches(first: date, after: date) -> list[DisinfectionBatch]:
    return list(db.session.scalars(
        select(DisinfectionBatch).options(joinedload(DisinfectionBatch.operator), joinedload(DisinfectionBatch.checker))
        .where(DisinfectionBatch.day >= first, DisinfectionBatch.day < after)
        .order_by(DisinfectionBatch.day, DisinfectionBatch.batch_no)))


def additive_uses(first: date, after: date) -> list[AdditiveUse]:
    return list(db.session.scalars(select(AdditiveUse).options(joinedload(AdditiveUse.user))
                                   .where(AdditiveUse.used_on >= first, AdditiveUse.used_on < after)
                                   .order_by(AdditiveUse.used_on, AdditiveUse.id)))


def handovers(first: date, after: date) -> list[WasteHandover]:
    return list(db.session.scalars(
        select(WasteHandover).options(joinedload(WasteHandover.collector), joinedload(WasteHandover.recorder))
        .where(WasteHandover.day >= first, WasteHandover.day < after).order_by(WasteHandover.handed_at)))
