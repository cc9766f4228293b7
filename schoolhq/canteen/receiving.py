"""Goods receiving (进货查验): each delivery as it arrives, one line per product with the
columns of 附录B, accepted or rejected on the spot. Only a supplier with a valid licence
may be chosen; staples need a second receiver who signs; meat needs its quarantine
certificate; nothing past its shelf life is accepted. A record is kept at least its
shelf life + 6 months (2 years without one, 6 months for farm produce): deleting it
before then is refused."""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass, field
from datetime import date, timedelta

from flask_babel import lazy_gettext as _l
from sqlalchemy import select
from sqlalchemy.orm import joinedload, selectinload

from schoolhq.canteen import morning, services, suppliers
from schoolhq.canteen.models import CanteenStaff, Delivery, DeliveryLine
from schoolhq.core import audit
from schoolhq.core.database import locked
from schoolhq.core.errors import NotFound, ServiceError
from schoolhq.core.timeutil import local_today, month_bounds, utcnow
from schoolhq.extensions import db
from schoolhq.people.certificates import months_later

FIELDS = ["received_on", "supplier_id", "receiver_id", "co_receiver_id", "keep_until", "remarks"]
LINE_FIELDS = ["category", "product", "spec", "quantity_milli", "unit", "production_date", "batch", "shelf_life",
               "use_by", "producer", "documents", "look_ok", "temperature_dc", "test_result", "accepted",
               "rejected_reason"]
#: a shelf life longer than this is a typo (3650 for 365)
LONGEST_SHELF_LIFE_DAYS = 3 * 366
_SHELF_LIFE = re.compile(r"^(-?\d+)\s*(天|日|d|days?|个月|月|m|months?|年|y|years?)?$")


def _data() -> dict:
    return services.domain()["goods_receiving"]


def categories() -> list[tuple[str, str]]:
    return [(row["key"], services.words(row)) for row in _data()["categories"]]


def category_name(key: str) -> str:
    return dict(categories()).get(key, key)


def _category(key: str) -> dict:
    return next((row for row in _data()["categories"] if row["key"] == key), {})


def documents() -> list[tuple[str, str]]:
    return [(row["key"], services.words(row)) for row in _data()["documents"]]


def document_name(key: str) -> str:
    return dict(documents()).get(key, key)


def units() -> list[str]:
    return list(_data()["units"])


def is_staple(category: str) -> bool:
    return bool(_category(category).get("staple"))


@dataclass
class ShelfLife:
    text: str
    amount: int
    unit: str  # day, month, year

    def last_day(self, start: date) -> date:
        """The last day a product made (or received) on `start` may be used."""
        if self.unit == "day":
            return start + timedelta(days=self.amount - 1)
        return months_later(start, self.amount * (12 if self.unit == "year" else 1))


def parse_shelf_life(text: str | None) -> ShelfLife | None:
    """保质期 as labels write it: `180天`, `12个月`, `1年`, `7` (days); None when empty."""
    cleaned = unicodedata.normalize("NFKC", text or "").strip().lower().replace(" ", "")
    if not cleaned or cleaned in ("无", "-", "/", "none"):
        return None
    match = _SHELF_LIFE.match(cleaned)
    if match is None:
        raise ServiceError(_l("“%(value)s” is not a shelf life; write it like 180天, 12个月 or 1年.",
                              value=(text or "")[:20]), "shelf_life")
    amount, unit = int(match.group(1)), match.group(2) or "天"
    if amount <= 0:
        raise ServiceError(_l("A shelf life of %(value)s cannot be right: it must be more than zero.",
                              value=(text or "")[:20]), "shelf_life")
    unit_key = "day" if unit in ("天", "日", "d", "day", "days") else "year" if unit in ("年", "y", "year", "years") \
        else "month"
    life = ShelfLife(f"{amount}{ {'day': '天', 'month': '个月', 'year': '年'}[unit_key] }", amount, unit_key)
    if (life.last_day(date(2000, 1, 1)) - date(2000, 1, 1)).days >= LONGEST_SHELF_LIFE_DAYS:
        raise ServiceError(_l("A shelf life of %(value)s is longer than any food keeps; check the label.",
                              value=(text or "")[:20]), "shelf_life")
    return life


def parse_food_temperature(text: str | None) -> int | None:
    """A temperature on arrival in tenths of a degree (−4.5 → −45); None when empty."""
    return services.parse_tenths(
        text, lambda value: _l("“%(value)s” is not a temperature; write it like -18 or 4.5.", value=value),
        lambda value: _l("A food temperature of %(value)s ℃ cannot be right: between -40 and 100.", value=value),
        -40, 100)


@dataclass
class LineData:
    category: str = ""
    product: str = ""
    spec: str = ""
    quantity: str = ""
    unit: str = ""
    production_date: date | None = None
    batch: str = ""
    shelf_life: str = ""
    producer: str = ""
    documents: list[str] = field(default_factory=list)
    look_ok: bool = True
    temperature: str = ""
    test_result: str = ""
    accepted: bool = True
    rejected_reason: str = ""

    @property
    def blank(self) -> bool:
        """A line the form offered and nobody filled in."""
        return not any((text or "").strip() for text in (self.product, self.quantity, self.batch, self.spec,
                                                          self.shelf_life, self.producer)) \
            and self.production_date is None


@dataclass
class DeliveryData:
    supplier_id: int | None
    receiver_id: int | None
    co_receiver_id: int | None = None
    co_signature: str | None = None
    remarks: str = ""
    lines: list[LineData] = field(default_factory=list)


def _text(value: str | None, limit: int, field_name: str, number: int) -> str:
    value = " ".join((value or "").split())
    if len(value) > limit:
        raise ServiceError(_l("Line %(n)s: at most %(limit)s characters.", n=number, limit=limit),
                           f"lines-{number - 1}-{field_name}")
    return value


def check_line(data: LineData, number: int, received_on: date) -> tuple[DeliveryLine, date]:
    """One checked line and the last day its record must be kept."""
    from schoolhq.stock.services import parse_quantity

    def refuse(message, field_name):
        raise ServiceError(_l("Line %(n)s: %(message)s", n=number, message=message), f"lines-{number - 1}-{field_name}")

    if data.category not in dict(categories()):
        refuse(_l("choose what kind of food it is"), "category")
    product = _text(data.product, 80, "product", number)
    if not product:
        refuse(_l("enter the product's name"), "product")
    try:
        quantity = parse_quantity(data.quantity, field="quantity")
    except ServiceError as error:
        refuse(error.message, "quantity")
    if data.unit not in units():
        refuse(_l("choose the unit"), "unit")
    batch = _text(data.batch, 60, "batch", number)
    if data.production_date is None and not batch:
        refuse(_l("enter the production date or the batch number from the label"), "production_date")
    if data.production_date is not None and data.production_date > received_on:
        refuse(_l("the production date %(made)s is after the delivery (%(received)s); check the label",
                  made=data.production_date.isoformat(), received=received_on.isoformat()), "production_date")
    try:
        life = parse_shelf_life(data.shelf_life)
    except ServiceError as error:
        refuse(error.message, "shelf_life")
    use_by = life.last_day(data.production_date) if life and data.production_date else None
    documents_checked = [key for key in dict(documents()) if key in set(data.documents or [])]
    temperature = None
    try:
        temperature = parse_food_temperature(data.temperature)
    except ServiceError as error:
        refuse(error.message, "temperature")
    reason = _text(data.rejected_reason, 200, "rejected_reason", number)
    category = _category(data.category)
    if data.accepted:
        if use_by is not None and use_by < received_on:
            refuse(_l("%(product)s was good until %(day)s: it can only be rejected", product=product,
                      day=use_by.isoformat()), "accepted")
        if not data.look_ok:
            refuse(_l("%(product)s failed the look check: it can only be rejected", product=product), "accepted")
        if "voucher" not in documents_checked:
            refuse(_l("check the purchase voucher before accepting %(product)s", product=product), "documents")
        if category.get("meat") and "quarantine" not in documents_checked:
            refuse(_l("meat is accepted only with its animal quarantine certificate"), "documents")
        reason = ""
    elif not reason:
        refuse(_l("say why %(product)s is rejected and whether it was returned or destroyed", product=product),
               "rejected_reason")
    if category.get("produce"):
        keep = months_later(received_on, 6)
    elif life is not None:
        keep = months_later((use_by or life.last_day(received_on)) + timedelta(days=1), 6)
    else:
        keep = months_later(received_on, 24)
    line = DeliveryLine(
        position=number - 1, received_on=received_on, category=data.category, product=product,
        spec=_text(data.spec, 60, "spec", number), quantity_milli=quantity, unit=data.unit,
        production_date=data.production_date, batch=batch, shelf_life=life.text if life else "",
        shelf_life_days=((life.last_day(received_on) - received_on).days + 1) if life else None, use_by=use_by,
        producer=_text(data.producer, 200, "producer", number), documents=documents_checked,
        look_ok=bool(data.look_ok), temperature_dc=temperature,
        test_result=_text(data.test_result, 100, "test_result", number), accepted=bool(data.accepted),
        rejected_reason=reason)
    return line, keep


def _on_canteen_staff(person_id: int) -> bool:
    return db.session.scalar(select(CanteenStaff.id).where(CanteenStaff.person_id == person_id,
                                                           CanteenStaff.active.is_(True))) is not None


def _receiver(person_id: int | None, day: date, field_name: str):
    from schoolhq.people.services import get_person

    if not person_id:
        raise ServiceError(_l("Choose who received the goods."), field_name)
    person = get_person(person_id)
    if person.left_at is not None:
        raise ServiceError(_l("%(name)s has left the school.", name=person.name), field_name)
    if _on_canteen_staff(person.id):
        morning.ensure_on_duty(person.id, day, field_name)
    return person


def receive(account, data: DeliveryData, voucher_photo=None) -> Delivery:
    """Record a delivery received now: every line is checked before anything is written."""
    from schoolhq.core.uploads import save_signature, save_upload

    today = local_today()
    supplier = suppliers.ensure_may_supply(data.supplier_id, today)
    receiver = _receiver(data.receiver_id, today, "receiver_id")
    checked = [check_line(line, number, today) for number, line in enumerate(data.lines, start=1) if not line.blank]
    if not checked:
        raise ServiceError(_l("Enter at least one product received."), "lines")
    for position, (line, _keep) in enumerate(checked):
        line.position = position
    staples = [line.product for line, _keep in checked if is_staple(line.category)]
    co_receiver = None
    if data.co_receiver_id:
        co_receiver = _receiver(data.co_receiver_id, today, "co_receiver_id")
        if co_receiver.id == receiver.id:
            raise ServiceError(_l("The second receiver must be someone else."), "co_receiver_id")
    if staples and co_receiver is None:
        raise ServiceError(_l("%(products)s are staples: two people receive them. Choose the second receiver.",
                              products="、".join(staples)), "co_receiver_id")
    if co_receiver is not None and (co_receiver.account is None or not co_receiver.account.active):
        raise ServiceError(_l("%(name)s has no sign-in: the second receiver must be someone who answers for it.",
                              name=co_receiver.name), "co_receiver_id")
    remarks = " ".join((data.remarks or "").split())
    if len(remarks) > 300:
        raise ServiceError(_l("Remarks are at most 300 characters."), "remarks")
    signature = save_signature(data.co_signature, _l("The second receiver signs on the tablet.")) \
        if co_receiver is not None else None
    photo = save_upload(voucher_photo, images_only=True) \
        if voucher_photo is not None and getattr(voucher_photo, "filename", "") else None
    delivery = Delivery(received_on=today, received_at=utcnow(), supplier_id=supplier.id, receiver_id=receiver.id,
                        co_receiver_id=co_receiver.id if co_receiver else None,
                        co_signature_id=signature.id if signature else None,
                        voucher_photo_id=photo.id if photo else None, remarks=remarks,
                        keep_until=max(keep for _line_, keep in checked), recorded_by_id=getattr(account, "id", None))
    delivery.lines = [line for line, _keep in checked]
    db.session.add(delivery)
    db.session.flush()
    audit.record("canteen", "delivery.received", delivery,
                 after={**audit.snapshot(delivery, FIELDS), "lines": [audit.snapshot(line, LINE_FIELDS)
                                                                      for line in delivery.lines]},
                 summary=f"{today.isoformat()} {supplier.name}")
    return delivery


def get(delivery_id: int) -> Delivery:
    delivery = db.session.get(Delivery, delivery_id)
    if delivery is None:
        raise NotFound(_l("That delivery does not exist."))
    return delivery


def delete(account, delivery_id: int) -> None:
    """Remove a record whose retention has passed; before then it is refused."""
    delivery = locked(Delivery, delivery_id, _l("That delivery does not exist."))
    if local_today() <= delivery.keep_until:
        raise ServiceError(_l("This record must be kept until %(day)s (the law's retention); it cannot be deleted "
                              "before.", day=delivery.keep_until.isoformat()))
    audit.record("canteen", "delivery.deleted", delivery,
                 before={**audit.snapshot(delivery, FIELDS),
                         "lines": [audit.snapshot(line, LINE_FIELDS) for line in delivery.lines]},
                 summary=f"{delivery.received_on.isoformat()} {delivery.supplier.name}")
    db.session.delete(delivery)
    db.session.flush()


def _loaded():
    return (selectinload(Delivery.lines), joinedload(Delivery.supplier), joinedload(Delivery.receiver),
            joinedload(Delivery.co_receiver))


def of_day(day: date) -> list[Delivery]:
    return list(db.session.scalars(select(Delivery).options(*_loaded()).where(Delivery.received_on == day)
                                   .order_by(Delivery.received_at)))


def month_rows(year: int, month: int) -> list[tuple[Delivery, DeliveryLine]]:
    """The month's lines in the order of the printed ledger, each with its delivery."""
    first, after = month_bounds(date(year, month, 1))
    deliveries = db.session.scalars(select(Delivery).options(*_loaded())
                                    .where(Delivery.received_on >= first, Delivery.received_on < after)
                                    .order_by(Delivery.received_at, Delivery.id)).all()
    return [(delivery, line) for delivery in deliveries for line in delivery.lines]


def receivers(day: date) -> list[tuple[int, str]]:
    """Who may be chosen as a receiver today: the canteen's staff on duty, then everyone
    else with a sign-in who may see the canteen's records (a school leader, the
    logistics head)."""
    from schoolhq.auth.models import Account
    from schoolhq.core.permissions import can

    roster = morning.lines(day)
    staff = [(line.member.person_id, line.member.person.name) for line in roster
             if line.member.active and not (line.check and not line.check.fit) and not line.certificate_problem]
    seen = {line.member.person_id for line in roster}
    others = sorted(((account.person_id, account.person.name) for account in db.session.scalars(
        select(Account).options(joinedload(Account.person))
        .where(Account.active.is_(True), Account.person_id.is_not(None)))
        if account.person_id not in seen and account.person.left_at is None and can(account, "canteen.view")),
        key=lambda row: row[1])
    return staff + others


def of_supplier(supplier_id: int, limit: int = 20) -> list[Delivery]:
    """A supplier's latest deliveries, for its page."""
    return list(db.session.scalars(select(Delivery).options(selectinload(Delivery.lines))
                                   .where(Delivery.supplier_id == supplier_id)
                                   .order_by(Delivery.received_at.desc()).limit(limit)))
