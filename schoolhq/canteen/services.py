"""The canteen's staff and its data file: who works in the kitchen, in which post, and
the lists and rules the records follow (the morning check's symptoms, the posts)."""

from __future__ import annotations

import re
import unicodedata
from datetime import timedelta
from decimal import Decimal, InvalidOperation
from functools import cache
from pathlib import Path
from typing import Any

import yaml
from flask_babel import get_locale
from flask_babel import lazy_gettext as _l
from sqlalchemy import select
from sqlalchemy.orm import contains_eager

from schoolhq.canteen.models import CanteenStaff
from schoolhq.core import audit
from schoolhq.core.errors import ServiceError
from schoolhq.extensions import db
from schoolhq.people.models import Person

DATA = Path(__file__).parent / "data" / "canteen.yaml"
#: the certificate a canteen worker needs to work (people/data/certificates.yaml)
HEALTH_CERTIFICATE = "health"


@cache
def domain() -> dict[str, Any]:
    return yaml.safe_load(DATA.read_text(encoding="utf-8"))


def zh() -> bool:
    return str(get_locale() or "zh").startswith("zh")


def words(entry: dict[str, Any]) -> str:
    """An entry of the data file ({zh, en}) in the reader's language."""
    from schoolhq.core.messages import data_words

    return data_words(entry)


def symptoms() -> list[tuple[str, str]]:
    return [(row["key"], words(row)) for row in domain()["morning_check"]["symptoms"]]


def symptom_name(key: str) -> str:
    return dict(symptoms()).get(key, key)


def temperature_setting(value) -> str:
    """The fever threshold setting: a temperature like 37.3."""
    tenths = parse_temperature(str(value))
    return f"{tenths // 10}.{tenths % 10}"


def grams_setting(value) -> int:
    """The least weight of a food sample: 50 to 500 g (localities ask 100, 125 or 200)."""
    try:
        grams = int(value)
    except (TypeError, ValueError):
        raise ServiceError(_l("Enter a whole number of grams."), "canteen") from None
    if not 50 <= grams <= 500:
        raise ServiceError(_l("Enter between 50 and 500 grams."), "canteen")
    return grams


def hours_setting(value) -> int:
    """How long a food sample is kept: at least the 48 hours the rules ask, at most a week."""
    try:
        hours = int(value)
    except (TypeError, ValueError):
        raise ServiceError(_l("Enter a whole number of hours."), "canteen") from None
    if not 48 <= hours <= 168:
        raise ServiceError(_l("Enter between 48 and 168 hours: the rules ask at least 48."), "canteen")
    return hours


def parse_tenths(text: str | None, not_a_number, out_of_range, low: int, high: int) -> int | None:
    """Tenths of a degree from what was typed: `36.5`, `36,5`, `36.5℃`, `−18`; None when
    empty. The two messages take the typed `value`."""
    cleaned = unicodedata.normalize("NFKC", text or "").strip().replace(",", ".").replace("−", "-")
    cleaned = re.sub(r"\s*(℃|°C|°|度)$", "", cleaned)
    if not cleaned:
        return None
    try:
        value = Decimal(cleaned)
    except InvalidOperation:
        raise ServiceError(not_a_number((text or "")[:20]), "temperature") from None
    if not value.is_finite() or not Decimal(low) <= value <= Decimal(high):
        raise ServiceError(out_of_range((text or "")[:20]), "temperature")
    return int((value * 10).to_integral_value())


def parse_temperature(text: str | None) -> int | None:
    """A body temperature in tenths of a degree (36.5 → 365); None when empty."""
    return parse_tenths(
        text, lambda value: _l("“%(value)s” is not a temperature; write it like 36.5.", value=value),
        lambda value: _l("A body temperature of %(value)s ℃ cannot be right: between 34 and 43.", value=value),
        34, 43)


def show_temperature(tenths: int | None) -> str:
    return "" if tenths is None else f"{tenths // 10}.{tenths % 10}"


# The roster -----------------------------------------------------------------------------

STAFF_FIELDS = ["person_id", "post", "active"]


def roster(include_inactive: bool = False, person_id: int | None = None) -> list[CanteenStaff]:
    query = (select(CanteenStaff).join(Person, Person.id == CanteenStaff.person_id)
             .options(contains_eager(CanteenStaff.person)).where(Person.left_at.is_(None)))
    if person_id is not None:
        query = query.where(CanteenStaff.person_id == person_id)
    if not include_inactive:
        query = query.where(CanteenStaff.active.is_(True))
    return list(db.session.scalars(query.order_by(CanteenStaff.active.desc(), CanteenStaff.post, Person.pinyin,
                                                  Person.name)))


def _clean_post(post: str) -> str:
    post = (post or "").strip()
    if len(post) > 40:
        raise ServiceError(_l("A post is at most 40 characters."), "post")
    return post


def add_staff(person_id: int | None, post: str) -> CanteenStaff:
    """Put someone on the canteen's roster (again, if they were taken off)."""
    from schoolhq.people.services import get_person

    if not person_id:
        raise ServiceError(_l("Choose the person."), "person_id")
    person = get_person(person_id)
    if person.left_at is not None:
        raise ServiceError(_l("%(name)s has left the school.", name=person.name), "person_id")
    post = _clean_post(post)
    member = db.session.scalar(select(CanteenStaff).where(CanteenStaff.person_id == person.id))
    if member is not None and member.active:
        raise ServiceError(_l("%(name)s is on the canteen's staff already.", name=person.name), "person_id")
    before = audit.snapshot(member, STAFF_FIELDS) if member else None
    if member is None:
        member = CanteenStaff(person_id=person.id)
        db.session.add(member)
    member.post, member.active = post, True
    db.session.flush()
    audit.record("canteen", "staff.added", member, before=before, after=audit.snapshot(member, STAFF_FIELDS),
                 summary=person.name)
    return member


def end_staff(staff_id: int) -> CanteenStaff:
    """Take someone off the roster; their records stay."""
    from schoolhq.core.database import locked

    member = locked(CanteenStaff, staff_id, _l("That person is not on the canteen's staff."))
    if not member.active:
        return member
    member.active = False
    audit.record("canteen", "staff.removed", member, before={"active": True}, after={"active": False},
                 summary=member.person.name)
    return member


def dashboard_items(account) -> list:
    """For the kitchen, today's morning check while someone is still unseen; for whoever
    oversees the canteen, the dishes of the last week's meals that were not sampled,
    named, each to its day's samples."""
    from flask import url_for

    from schoolhq.canteen import meals, morning, samples
    from schoolhq.core.calendar import is_school_day
    from schoolhq.core.permissions import can
    from schoolhq.core.timeutil import local_today
    from schoolhq.dashboard.services import SHOWN, Entry, Item

    items = []
    today = local_today()
    if can(account, "canteen.record") and is_school_day(today):
        unseen = [line for line in morning.lines(today) if line.check is None and line.member.active]
        if unseen:
            items.append(Item("canteen", _l("Morning check not finished"), len(unseen),
                              url_for("canteen.morning_page"), "warning",
                              [Entry(line.member.person.name, url_for("canteen.morning_page"), line.member.post)
                               for line in unseen[:SHOWN]]))
    if can(account, "canteen.manage"):
        from schoolhq.canteen import suppliers

        lapsing = suppliers.needing_attention(today)
        if lapsing:
            items.append(Item("canteen", _l("Supplier licences run out or missing"), len(lapsing),
                              url_for("canteen.supplier_list"),
                              "danger" if any(found.blocked for _s, found in lapsing) else "warning",
                              [Entry(supplier.name, url_for("canteen.supplier_page", supplier_id=supplier.id),
                                     found.why() or str(_l("runs out on %(day)s", day=found.licence.expires_on.isoformat())))
                               for supplier, found in lapsing[:SHOWN]]))
    from schoolhq.canteen import companion, rates

    items += companion.dashboard_items(account)
    items += rates.dashboard_items(account)
    if can(account, "canteen.view"):
        missing = samples.unsampled(today - timedelta(days=7), today)
        items.append(Item("canteen", _l("Dishes served without a food sample"), len(missing),
                          url_for("canteen.samples_page"), "danger",
                          [Entry(f"{meal.day.isoformat()} {meals.kind_name(meal.kind)} · {dish.name}",
                                 url_for("canteen.samples_page", day=meal.day.isoformat()))
                           for meal, dish in missing[:SHOWN]]))
    return items


def attachment_rule(attachment, account):
    """The canteen's files (a sample's photo, a signed sheet, a supplier's licence scan, a
    delivery's vouchers and second signature): whoever may see the canteen's records."""
    from sqlalchemy import or_

    from schoolhq.canteen.models import Delivery, FoodSample, MorningSheet, SupplierLicence
    from schoolhq.core.permissions import can

    ours = (select(FoodSample.id).where(FoodSample.photo_id == attachment.id),
            select(MorningSheet.id).where(MorningSheet.signature_id == attachment.id),
            select(SupplierLicence.id).where(SupplierLicence.scan_id == attachment.id),
            select(Delivery.id).where(or_(Delivery.voucher_photo_id == attachment.id,
                                          Delivery.co_signature_id == attachment.id)))
    if not any(db.session.scalar(query.limit(1)) is not None for query in ours):
        return None
    return can(account, "canteen.view")


def needing_health_certificates() -> set[int]:
    """Everyone on the roster needs a 健康证, with or without a sign-in (a kitchen helper
    holds no role the certificate type names)."""
    return set(db.session.scalars(select(CanteenStaff.person_id).where(CanteenStaff.active.is_(True))))
