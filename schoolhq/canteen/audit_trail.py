"""How the audit page reads the canteen's entries: the roster and the morning checks,
by the person's name and the day, linking to the day's sheet."""

from __future__ import annotations

from flask_babel import lazy_gettext as _l
from sqlalchemy import select
from sqlalchemy.orm import joinedload

from schoolhq.canteen.models import (
    AdditiveDeclaration,
    AdditiveUse,
    CanteenStaff,
    Delivery,
    Dish,
    DisinfectionBatch,
    FoodSample,
    Meal,
    MorningCheck,
    MorningSheet,
    Supplier,
    SupplierLicence,
    WasteHandover,
)
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


def supplier_records(ids: set[int], reader) -> dict[int, Named]:
    rows = db.session.scalars(select(Supplier).where(Supplier.id.in_(ids)))
    return {row.id: Named(row.name, page_of(reader, "canteen.supplier_page", supplier_id=row.id)) for row in rows}


def licences(ids: set[int], reader) -> dict[int, Named]:
    from schoolhq.canteen.suppliers import licence_kind_name

    rows = db.session.scalars(select(SupplierLicence).options(joinedload(SupplierLicence.supplier))
                              .where(SupplierLicence.id.in_(ids)))
    return {row.id: Named(f"{row.supplier.name} · {licence_kind_name(row.kind)} {row.number}",
                          page_of(reader, "canteen.supplier_page", supplier_id=row.supplier_id)) for row in rows}


def deliveries(ids: set[int], reader) -> dict[int, Named]:
    rows = db.session.scalars(select(Delivery).options(joinedload(Delivery.supplier)).where(Delivery.id.in_(ids)))
    return {row.id: Named(str(_l("Delivery of %(day)s from %(supplier)s", day=row.received_on.isoformat(),
                                 supplier=row.supplier.name)),
                          page_of(reader, "canteen.delivery_page", delivery_id=row.id)) for row in rows}


def companion_meals(ids: set[int], reader) -> dict[int, Named]:
    from schoolhq.canteen.meals import kind_name
    from schoolhq.canteen.models import CompanionMeal

    rows = db.session.scalars(select(CompanionMeal).options(joinedload(CompanionMeal.meal), joinedload(CompanionMeal.person))
                              .where(CompanionMeal.id.in_(ids)))
    return {row.id: Named(f"{row.meal.day.isoformat()} {kind_name(row.meal.kind)} · {row.person.name}",
                          page_of(reader, "canteen.companion_page", day=row.meal.day.isoformat())) for row in rows}


def _of_day(model, column: str, label):
    """A record of the kitchen's day logs, named by its day and linking to that day's page."""
    def named(ids: set[int], reader) -> dict[int, Named]:
        rows = db.session.execute(select(model.id, getattr(model, column)).where(model.id.in_(ids)))
        return {row_id: Named(str(label(day.isoformat())), page_of(reader, "canteen.hygiene_page",
                                                                   day=day.isoformat())) for row_id, day in rows}
    return named


def _method(key):
    from schoolhq.canteen.hygiene import method_name

    return method_name(key)


def _grade(key):
    from schoolhq.canteen.companion import grade_name

    return grade_name(key) if key else "—"


def _line(line):
    """One product of a delivery, as the audit page lists them (one at a time)."""
    if not isinstance(line, dict):
        return str(line)
    return f"{line.get('product', '')} {'✓' if line.get('accepted') else '✗'}"


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
        "supplier.added": _l("Added a supplier"),
        "supplier.changed": _l("Changed a supplier's details"),
        "supplier.stopped": _l("Stopped buying from a supplier"),
        "supplier.resumed": _l("Started buying from a supplier again"),
        "licence.added": _l("Filed a supplier's licence"),
        "delivery.received": _l("Recorded a delivery received"),
        "delivery.deleted": _l("Deleted a delivery record past its retention"),
        "rota.changed": _l("Changed the accompanied-meal rota"),
        "rota.swapped": _l("Swapped a day of the accompanied-meal rota"),
        "companion.recorded": _l("Recorded an accompanied meal"),
        "disinfection.recorded": _l("Recorded a tableware disinfection batch"),
        "additive.used": _l("Recorded a food additive used"),
        "additive.declared_none": _l("Declared that the canteen uses no food additives"),
        "waste.handed": _l("Recorded kitchen waste handed to a collector"),
    },
    records={"canteen_staff": staff, "canteen_morning_check": checks, "canteen_morning_sheet": sheets,
             "canteen_meal": meals, "canteen_food_sample": food_samples, "canteen_supplier": supplier_records,
             "canteen_supplier_licence": licences, "canteen_delivery": deliveries,
             "canteen_companion_meal": companion_meals,
             "canteen_disinfection": _of_day(DisinfectionBatch, "day",
                                             lambda day: _l("Disinfection batch of %(day)s", day=day)),
             "canteen_additive_use": _of_day(AdditiveUse, "used_on", lambda day: _l("Additive used on %(day)s", day=day)),
             "canteen_additive_declaration": _of_day(AdditiveDeclaration, "declared_on",
                                                     lambda day: _l("No-additive declaration of %(day)s", day=day)),
             "canteen_waste_handover": _of_day(WasteHandover, "day", lambda day: _l("Kitchen waste of %(day)s", day=day))},
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
        "keep_until": AuditField(_l("To be kept until")),
        "container_code": AuditField(_l("Container")),
        "discarded": AuditField(_l("Discarded")),
        "samples": AuditField(_l("Samples")),
        "name": AuditField(_l("Name")),
        "kind": AuditField(_l("Kind")),
        "address": AuditField(_l("Address")),
        "contact": AuditField(_l("Contact and phone")),
        "blacklist_checked_on": AuditField(_l("Searched the list of serious violators on")),
        "incidents": AuditField(_l("Food-safety incidents in the past year")),
        "contract_until": AuditField(_l("Supply contract until")),
        "active": AuditField(_l("Supplies the canteen")),
        "supplier_id": AuditField(_l("Supplier"), hidden=True),
        "number": AuditField(_l("Number")),
        "issued_on": AuditField(_l("Issued on")),
        "expires_on": AuditField(_l("Valid until")),
        "received_on": AuditField(_l("Delivered on")),
        "receiver_id": AuditField(_l("Received by"), refers="person"),
        "co_receiver_id": AuditField(_l("Second receiver"), refers="person"),
        "remarks": AuditField(_l("Remarks")),
        "lines": AuditField(_l("Products"), shows=_line),
        "meal_id": AuditField(_l("Meal"), hidden=True),
        "person_id": AuditField(_l("Person concerned"), refers="person"),
        "teachers": AuditField(_l("Teachers who ate too")),
        "food_quality": AuditField(_l("Food quality"), shows=_grade),
        "hygiene": AuditField(_l("Canteen hygiene"), shows=_grade),
        "order": AuditField(_l("Pupils' order"), shows=_grade),
        "service": AuditField(_l("Service"), shows=_grade),
        "notes": AuditField(_l("How the meal went, and any adverse reactions")),
        "adverse_reactions": AuditField(_l("Adverse reactions")),
        "pupils_opinions": AuditField(_l("What pupils said")),
        "problems": AuditField(_l("Problems found")),
        "follow_up": AuditField(_l("What was done about them")),
        "reason": AuditField(_l("Reason for the swap")),
        "batch_no": AuditField(_l("Batch")),
        "method": AuditField(_l("Method"), shows=_method),
        "reading": AuditField(_l("Reading")),
        "items": AuditField(_l("Disinfected")),
        "operator_id": AuditField(_l("Disinfected by"), refers="person"),
        "checker_id": AuditField(_l("Checked by"), refers="person"),
        "meets_limit": AuditField(_l("Up to the limit")),
        "additive": AuditField(_l("Additive")),
        "amount_mg": AuditField(_l("Amount used (g)"), shows=lambda mg: f"{mg / 1000:g}"),
        "food": AuditField(_l("Food made")),
        "user_id": AuditField(_l("Used by"), refers="person"),
        "text": AuditField(_l("Declaration")),
        "quantity_g": AuditField(_l("Weight (kg)"), shows=lambda g: f"{g / 1000:g}"),
        "collector_id": AuditField(_l("Collector"), hidden=True),
        "recorder_id": AuditField(_l("Recorded by"), refers="person"),
    },
)
