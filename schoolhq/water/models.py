"""Water points (an asset of the water_point or water_tank kind with its hygiene permit and
whether it may be drunk from), lab results, and the append-only history of a point going
out of use and back."""

from __future__ import annotations

from datetime import date, datetime
from typing import TYPE_CHECKING, Any

from sqlalchemy import JSON, CheckConstraint, ForeignKey, String, Text
from sqlalchemy.orm import Mapped, mapped_column, relationship

from schoolhq.core.database import append_only
from schoolhq.core.timeutil import utcnow
from schoolhq.extensions import db

if TYPE_CHECKING:
    from schoolhq.assets.models import Asset
    from schoolhq.auth.models import Account
    from schoolhq.people.models import Person


class WaterPoint(db.Model):
    __tablename__ = "water_point"
    __table_args__ = (
        CheckConstraint("status IN ('in_use', 'out_of_use')", name="status"),
        CheckConstraint("status = 'in_use' OR out_since IS NOT NULL", name="out_has_since"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    asset_id: Mapped[int] = mapped_column(ForeignKey("asset.id"), unique=True)
    #: direct_drinking, water_boiler, dispenser, tank (data/water.yaml point_kinds)
    kind: Mapped[str] = mapped_column(String(20))
    #: 涉水产品卫生许可批件
    permit_number: Mapped[str] = mapped_column(String(60), default="")
    permit_expires_on: Mapped[date | None]
    status: Mapped[str] = mapped_column(String(12), default="in_use")
    out_since: Mapped[datetime | None]
    out_reason: Mapped[str] = mapped_column(String(300), default="")
    #: the repair ticket the failure opened
    ticket_id: Mapped[int | None] = mapped_column(ForeignKey("ticket.id"))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)

    asset: Mapped[Asset] = relationship()


class LabTest(db.Model):
    """One laboratory report on one point: each parameter's value against its limit, and
    the overall result (any parameter failing fails it)."""

    __tablename__ = "water_lab_test"
    __table_args__ = (
        CheckConstraint("result IN ('pass', 'fail')", name="result"),
        CheckConstraint("reported_on >= sampled_on", name="reported_after_sampled"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    point_id: Mapped[int] = mapped_column(ForeignKey("water_point.id"), index=True)
    sampled_on: Mapped[date]
    reported_on: Mapped[date]
    laboratory: Mapped[str] = mapped_column(String(100))
    report_number: Mapped[str] = mapped_column(String(60))
    report_file_id: Mapped[int | None] = mapped_column(ForeignKey("attachment.id"))
    #: {parameter key: {"value": as written, "number": float or null, "outcome": pass|fail}}
    values: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    result: Mapped[str] = mapped_column(String(4))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    created_by_id: Mapped[int | None] = mapped_column(ForeignKey("account.id"))

    point: Mapped[WaterPoint] = relationship()
    created_by: Mapped[Account | None] = relationship()


class PointEvent(db.Model):
    """A point's history: set up, its permit changed, taken out of use (by a failed test
    or by hand), back in use (by a passing test)."""

    __tablename__ = "water_point_event"

    id: Mapped[int] = mapped_column(primary_key=True)
    point_id: Mapped[int] = mapped_column(ForeignKey("water_point.id"), index=True)
    at: Mapped[datetime] = mapped_column(default=utcnow)
    actor_id: Mapped[int | None] = mapped_column(ForeignKey("account.id"))
    #: set_up, changed, out_of_use, back_in_use
    kind: Mapped[str] = mapped_column(String(12))
    note: Mapped[str] = mapped_column(Text, default="")
    test_id: Mapped[int | None] = mapped_column(ForeignKey("water_lab_test.id"))

    actor: Mapped[Account | None] = relationship()


append_only(PointEvent.__table__, "the water point history")


class FilterChange(db.Model):
    """A filter or treatment medium changed on a point: the filter (model, batch), who did
    it (a member of staff or the vendor's fitter), the filter taken from the store on the
    stock ledger, and when the next change of that stage is due."""

    __tablename__ = "water_filter_change"
    __table_args__ = (CheckConstraint("interval_days BETWEEN 1 AND 1095", name="interval"),
                      CheckConstraint("next_due_on > changed_on", name="due_after_change"))

    id: Mapped[int] = mapped_column(primary_key=True)
    point_id: Mapped[int] = mapped_column(ForeignKey("water_point.id"), index=True)
    #: sediment_pp, activated_carbon, membrane or other (data/water.yaml filters.by_stage_days)
    stage: Mapped[str] = mapped_column(String(20))
    changed_on: Mapped[date]
    filter_model: Mapped[str] = mapped_column(String(60))
    batch: Mapped[str] = mapped_column(String(60), default="")
    done_by_id: Mapped[int | None] = mapped_column(ForeignKey("person.id"))
    vendor: Mapped[str] = mapped_column(String(100), default="")
    #: the counter issue that took the filter out of the store
    requisition_id: Mapped[int | None] = mapped_column(ForeignKey("requisition.id"))
    interval_days: Mapped[int]
    next_due_on: Mapped[date]
    note: Mapped[str] = mapped_column(String(300), default="")
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    created_by_id: Mapped[int | None] = mapped_column(ForeignKey("account.id"))

    point: Mapped[WaterPoint] = relationship()
    done_by: Mapped[Person | None] = relationship()


class TankCleaning(db.Model):
    """A tank cleaned and disinfected by a qualified firm (GB 17051): the firm and its
    hygiene licence, the workers' health certificates checked, the disinfectant and its
    concentration, the firm's report, and the water test after cleaning."""

    __tablename__ = "water_tank_cleaning"

    id: Mapped[int] = mapped_column(primary_key=True)
    point_id: Mapped[int] = mapped_column(ForeignKey("water_point.id"), index=True)
    cleaned_on: Mapped[date]
    firm: Mapped[str] = mapped_column(String(100))
    firm_licence: Mapped[str] = mapped_column(String(60))
    firm_licence_expires_on: Mapped[date]
    workers_certified: Mapped[bool] = mapped_column(default=False)
    workers_note: Mapped[str] = mapped_column(String(200), default="")
    disinfectant: Mapped[str] = mapped_column(String(60))
    concentration: Mapped[str] = mapped_column(String(40))
    report_file_id: Mapped[int | None] = mapped_column(ForeignKey("attachment.id"))
    #: the lab test of a sample taken after the cleaning, once entered
    test_id: Mapped[int | None] = mapped_column(ForeignKey("water_lab_test.id"))
    next_due_on: Mapped[date]
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    created_by_id: Mapped[int | None] = mapped_column(ForeignKey("account.id"))

    point: Mapped[WaterPoint] = relationship()
    test: Mapped[LabTest | None] = relationship()


class DispenserCleaning(db.Model):
    """A bottled-water dispenser cleaned and disinfected by the school's own staff: who,
    the disinfectant and its concentration, and when the next is due (sooner in summer)."""

    __tablename__ = "water_dispenser_cleaning"
    __table_args__ = (CheckConstraint("next_due_on > cleaned_on", name="due_after_cleaning"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    point_id: Mapped[int] = mapped_column(ForeignKey("water_point.id"), index=True)
    cleaned_on: Mapped[date]
    done_by_id: Mapped[int] = mapped_column(ForeignKey("person.id"))
    disinfectant: Mapped[str] = mapped_column(String(60))
    concentration: Mapped[str] = mapped_column(String(40))
    note: Mapped[str] = mapped_column(String(300), default="")
    next_due_on: Mapped[date]
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    created_by_id: Mapped[int | None] = mapped_column(ForeignKey("account.id"))

    point: Mapped[WaterPoint] = relationship()
    done_by: Mapped[Person] = relationship()
