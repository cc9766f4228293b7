"""How the audit page reads the water area's entries: a point by its asset, a lab result
by its report number, each linking to its page."""

from __future__ import annotations

from flask_babel import lazy_gettext as _l
from sqlalchemy import select
from sqlalchemy.orm import joinedload

from schoolhq.core.audit import Named, page_of
from schoolhq.core.declare import AuditField, AuditTrail
from schoolhq.extensions import db
from schoolhq.water.models import DispenserCleaning, FilterChange, LabTest, TankCleaning, WaterPoint


def points(ids: set[int], reader) -> dict[int, Named]:
    rows = db.session.scalars(select(WaterPoint).options(joinedload(WaterPoint.asset)).where(WaterPoint.id.in_(ids)))
    return {row.id: Named(f"{row.asset.name} {row.asset.number}",
                          page_of(reader, "water.point_page", asset_id=row.asset_id)) for row in rows}


def tests(ids: set[int], reader) -> dict[int, Named]:
    rows = db.session.scalars(select(LabTest).where(LabTest.id.in_(ids)))
    return {row.id: Named(str(_l("Lab report %(number)s", number=row.report_number)),
                          page_of(reader, "water.test_page", test_id=row.id)) for row in rows}


def filter_changes(ids: set[int], reader) -> dict[int, Named]:
    from schoolhq.water.services import stage_name

    rows = db.session.scalars(select(FilterChange).options(joinedload(FilterChange.point).joinedload(WaterPoint.asset))
                              .where(FilterChange.id.in_(ids)))
    return {row.id: Named(f"{row.point.asset.number} · {stage_name(row.stage)} {row.changed_on.isoformat()}",
                          page_of(reader, "water.point_page", asset_id=row.point.asset_id)) for row in rows}


def _cleanings(model):
    def named(ids: set[int], reader) -> dict[int, Named]:
        rows = db.session.scalars(select(model).options(joinedload(model.point).joinedload(WaterPoint.asset))
                                  .where(model.id.in_(ids)))
        return {row.id: Named(str(_l("Cleaning of %(tank)s, %(day)s", tank=row.point.asset.number,
                                     day=row.cleaned_on.isoformat())),
                              page_of(reader, "water.point_page", asset_id=row.point.asset_id)) for row in rows}

    return named


AUDIT = AuditTrail(
    actions={
        "point.changed": _l("Changed a water point's kind or permit"),
        "point.out_of_use": _l("Took a water point out of use"),
        "point.back_in_use": _l("Brought a water point back into use after a passing test"),
        "lab_test.recorded": _l("Recorded a water lab result"),
        "filter.changed": _l("Recorded a water filter change"),
        "tank.cleaned": _l("Recorded a water tank cleaning"),
        "dispenser.cleaned": _l("Recorded a dispenser cleaning"),
    },
    records={"water_point": points, "water_lab_test": tests, "water_filter_change": filter_changes,
             "water_tank_cleaning": _cleanings(TankCleaning), "water_dispenser_cleaning": _cleanings(DispenserCleaning)},
    fields={
        "kind": AuditField(_l("Kind of water point")),
        "permit_number": AuditField(_l("Hygiene permit (涉水产品卫生许可批件) number")),
        "permit_expires_on": AuditField(_l("Permit valid until")),
        "result": AuditField(_l("Result")),
        "report_number": AuditField(_l("Report number")),
        "reason": AuditField(_l("Why it is taken out of use")),
        "stage": AuditField(_l("Which filter")),
        "filter_model": AuditField(_l("Filter model")),
        "firm": AuditField(_l("Cleaning firm")),
        "firm_licence": AuditField(_l("The firm's hygiene licence number")),
        "by": AuditField(_l("Cleaned by")),
        "disinfectant": AuditField(_l("Disinfectant")),
    },
)
