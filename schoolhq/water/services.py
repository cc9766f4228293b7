"""The water area's rules: a point is an asset of the water_point or water_tank kind with
its kind of point and hygiene permit; a lab result is judged parameter by parameter against
the limits in data/water.yaml; any failing parameter takes the point out of use at once,
opens its repair ticket and tells the logistics office; only a passing test of a sample
taken since brings it back."""

from __future__ import annotations

import math
import re
import unicodedata
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from functools import cache
from pathlib import Path

import yaml
from flask_babel import lazy_gettext as _l
from sqlalchemy import select
from sqlalchemy.orm import joinedload

from schoolhq.core import audit
from schoolhq.core.errors import NotFound, ServiceError
from schoolhq.core.messages import data_words as words
from schoolhq.core.permissions import can
from schoolhq.core.timeutil import add_months, local_today, to_local, utcnow
from schoolhq.core.uploads import save_if_given
from schoolhq.extensions import db
from schoolhq.water.models import (
    DispenserCleaning,
    FilterChange,
    LabTest,
    PointEvent,
    TankCleaning,
    WaterPoint,
)

DATA_FILE = Path(__file__).parent / "data" / "water.yaml"
ASSET_KINDS = ("water_point", "water_tank")
STATUS_LABELS = {"in_use": _l("In use"), "out_of_use": _l("Out of use: do not drink")}
STATUS_TONES = {"in_use": "ok", "out_of_use": "danger"}
RESULT_LABELS = {"pass": _l("Pass"), "fail": _l("Fail")}
EVENT_LABELS = {"set_up": _l("Set up"), "changed": _l("Details changed"), "out_of_use": _l("Taken out of use"),
                "back_in_use": _l("Back in use")}
#: what a lab writes for "not detected"
NOT_DETECTED = {"未检出", "nd", "n.d.", "not detected", "0"}
_BELOW = re.compile(r"^[<＜]\s*(.+)$")
#: how a text parameter (odour, visible matter) is written when it meets its limit
TEXT_PASSES = {"pass", "合格", "符合", "无", "无异臭、异味", "无异臭异味", "none"}


@cache
def domain() -> dict:
    return yaml.safe_load(DATA_FILE.read_text(encoding="utf-8"))




def kinds() -> list[tuple[str, str]]:
    return [(row["key"], words(row)) for row in domain()["water"]["point_kinds"]]


def kind_name(key: str) -> str:
    return dict(kinds()).get(key, key)


def parameters() -> list[dict]:
    return domain()["water"]["lab_tests"]["parameters"]


def limit_text(parameter: dict) -> str:
    if parameter.get("limit"):
        return parameter["limit"]
    low, high = parameter.get("min"), parameter.get("max")
    if low is not None and high is not None:
        return f"{low}–{high}"
    return f"≤ {high}" if high is not None else f"≥ {low}"


# Points -----------------------------------------------------------------------------------

def _water_asset(asset_id: int):
    from schoolhq.assets.models import Asset, AssetKind

    asset = db.session.scalar(select(Asset).join(AssetKind, AssetKind.id == Asset.kind_id)
                              .where(Asset.id == asset_id, AssetKind.key.in_(ASSET_KINDS)))
    if asset is None:
        raise NotFound(_l("No such water point."))
    return asset


def point_of(asset_id: int) -> WaterPoint | None:
    return db.session.scalar(select(WaterPoint).where(WaterPoint.asset_id == asset_id))


def _point(account, asset_id: int, lock: bool = False) -> WaterPoint:
    """The asset's point, set up as its asset kind suggests the first time it is needed."""
    asset = _water_asset(asset_id)
    point = point_of(asset_id)
    if point is None:
        point = WaterPoint(asset_id=asset.id, kind="tank" if asset.kind.key == "water_tank" else "direct_drinking")
        db.session.add(point)
        db.session.flush()
        _event(point, "set_up", account)
    elif lock:
        from schoolhq.core.database import locked

        point = locked(WaterPoint, point.id, _l("No such water point."))
    return point


def _event(point: WaterPoint, kind: str, account, note: str = "", test: LabTest | None = None, at=None) -> None:
    db.session.add(PointEvent(point_id=point.id, kind=kind, actor_id=account.id if account else None, note=note,
                              test_id=test.id if test else None, at=at or utcnow()))


def points() -> list[tuple]:
    """(asset, point or None) for every water point and tank on the register, by place."""
    from schoolhq.assets.models import Asset, AssetKind
    from schoolhq.places.models import Location

    rows = db.session.execute(
        select(Asset, WaterPoint).join(AssetKind, AssetKind.id == Asset.kind_id)
        .join(Location, Location.id == Asset.location_id)
        .outerjoin(WaterPoint, WaterPoint.asset_id == Asset.id)
        .options(joinedload(Asset.location))
        .where(AssetKind.key.in_(ASSET_KINDS), Asset.status.not_in(("disposed", "lost")))
        .order_by(Location.full_name, Asset.number)).all()
    return [tuple(row) for row in rows]


def set_up(account, asset_id: int, kind: str, permit_number: str, permit_expires_on: date | None) -> WaterPoint:
    if kind not in dict(kinds()):
        raise ServiceError(_l("Choose the kind of water point."), "kind")
    point = _point(account, asset_id, lock=True)
    before = {"kind": point.kind, "permit_number": point.permit_number,
              "permit_expires_on": point.permit_expires_on.isoformat() if point.permit_expires_on else None}
    point.kind, point.permit_number = kind, (permit_number or "").strip()[:60]
    point.permit_expires_on = permit_expires_on
    after = {"kind": point.kind, "permit_number": point.permit_number,
             "permit_expires_on": permit_expires_on.isoformat() if permit_expires_on else None}
    if after != before:
        _event(point, "changed", account)
        audit.record("water", "point.changed", point, before=before, after=after, summary=point.asset.number)
    return point


# Lab results ------------------------------------------------------------------------------

@dataclass
class LabInput:
    sampled_on: date | None
    reported_on: date | None
    laboratory: str
    report_number: str
    report_file: object = None
    #: parameter key → the value as the report gives it
    values: dict[str, str] = field(default_factory=dict)
    #: when the report was entered (now; the demo enters its past reports on their day)
    entered_at: datetime | None = None


def judge(parameter: dict, raw: str) -> dict | None:
    """One parameter's value against its limit: {"value", "number", "outcome"}, None when
    left blank; a value no lab writes is refused naming the parameter's field."""
    field_name, name = f"p_{parameter['key']}", parameter["zh"]
    text = unicodedata.normalize("NFKC", str(raw or "")).strip()
    if not text:
        return None
    if parameter.get("min") is None and parameter.get("max") is None:
        passed = text.lower() in TEXT_PASSES or text == parameter.get("limit")
        return {"value": text[:60], "number": None, "outcome": "pass" if passed else "fail"}
    below = False
    if text.lower() in NOT_DETECTED:
        number = 0.0
    else:
        match = _BELOW.match(text)
        if match:
            below, text = True, match.group(1).strip()
        try:
            number = float(text.replace(",", "."))
        except ValueError:
            number = math.nan
        if not math.isfinite(number):
            raise ServiceError(_l("%(name)s: enter the number from the report, such as 0.5, or 未检出.", name=name),
                               field_name)
    if number < 0:
        raise ServiceError(_l("%(name)s cannot be negative.", name=name), field_name)
    if parameter["key"] == "ph" and number > 14:
        raise ServiceError(_l("pH runs from 0 to 14."), field_name)
    low, high = parameter.get("min"), parameter.get("max")
    if below:  # "<1": below the method's detection limit
        failed = low is not None and number <= low or high is not None and high > 0 and number > high
    else:
        failed = low is not None and number < low or high is not None and number > high
    written = unicodedata.normalize("NFKC", str(raw)).strip()[:40]  # as the report has it: "<1", "未检出"
    return {"value": written, "number": number, "outcome": "fail" if failed else "pass"}


def record_test(account, asset_id: int, data: LabInput) -> LabTest:
    """A lab report on a point. Failing takes the point out of use at once (its page, its QR
    card, its room and the dashboard say so), opens its repair ticket and tells the office;
    passing, on a sample taken since it went out of use, brings it back."""
    today = local_today()
    if data.sampled_on is None:
        raise ServiceError(_l("Give the day the sample was taken."), "sampled_on")
    if data.reported_on is None:
        raise ServiceError(_l("Give the date of the report."), "reported_on")
    if data.sampled_on > today or data.reported_on > today:
        raise ServiceError(_l("A report cannot be dated after today."),
                           "reported_on" if data.reported_on > today else "sampled_on")
    if data.reported_on < data.sampled_on:
        raise ServiceError(_l("The report cannot be dated before the sample was taken."), "reported_on")
    laboratory, number = (data.laboratory or "").strip(), (data.report_number or "").strip()
    if len(laboratory) < 2:
        raise ServiceError(_l("Name the laboratory."), "laboratory")
    if not number:
        raise ServiceError(_l("Give the report number."), "report_number")
    values = {}
    for parameter in parameters():
        judged = judge(parameter, data.values.get(parameter["key"], ""))
        if judged is None and parameter.get("required"):
            raise ServiceError(_l("%(name)s: every report gives it; enter it (未检出 when not detected).",
                                  name=parameter["zh"]), f"p_{parameter['key']}")
        if judged is not None:
            values[parameter["key"]] = judged
    point = _point(account, asset_id, lock=True)
    file_id = save_if_given(data.report_file)
    result = "fail" if any(v["outcome"] == "fail" for v in values.values()) else "pass"
    test = LabTest(point_id=point.id, sampled_on=data.sampled_on, reported_on=data.reported_on,
                   laboratory=laboratory[:100], report_number=number[:60], report_file_id=file_id, values=values,
                   result=result, created_by_id=account.id if account else None, created_at=data.entered_at or utcnow())
    db.session.add(test)
    db.session.flush()
    cleaning = db.session.scalar(select(TankCleaning).where(
        TankCleaning.point_id == point.id, TankCleaning.test_id.is_(None), TankCleaning.cleaned_on <= data.sampled_on)
        .order_by(TankCleaning.cleaned_on.desc()).limit(1))
    if cleaning is not None:
        cleaning.test_id = test.id  # the water test after the cleaning
    audit.record("water", "lab_test.recorded", test, after={"result": result, "report_number": test.report_number},
                 summary=f"{point.asset.number} {test.report_number}")
    if result == "fail":
        failed = [p["zh"] for p in parameters() if values.get(p["key"], {}).get("outcome") == "fail"]
        _take_out(account, point, str(_l("Lab report %(number)s failed: %(what)s", number=test.report_number,
                                         what="、".join(failed))), test, data.entered_at)
    elif point.status == "out_of_use" and data.sampled_on >= to_local(point.out_since).date():
        point.status, point.out_since, point.out_reason = "in_use", None, ""
        _event(point, "back_in_use", account, test.report_number, test, data.entered_at)
        audit.record("water", "point.back_in_use", point, summary=point.asset.number)
    return test


def _take_out(account, point: WaterPoint, reason: str, test: LabTest | None = None, at: datetime | None = None) -> None:
    from flask import url_for

    from schoolhq.auth.services import accounts_with
    from schoolhq.core.notifications import notify

    if point.status != "out_of_use":
        point.status, point.out_since = "out_of_use", at or utcnow()
    point.out_reason = reason[:300]
    _event(point, "out_of_use", account, reason, test, at)
    audit.record("water", "point.out_of_use", point, after={"reason": reason}, summary=point.asset.number)
    ticket = _ticket(account, point, reason)
    if ticket is not None:
        point.ticket_id = ticket.id
    title = _l("Water point out of use: %(place)s", place=point.asset.location.full_name)
    for other in accounts_with("water.manage"):
        notify(other.id, "water", title, reason, url_for("water.point_page", asset_id=point.asset_id))


def _ticket(account, point: WaterPoint, reason: str):
    from schoolhq.repairs.models import RepairCategory
    from schoolhq.repairs.services import Report, open_or_add_occurrence

    category = db.session.scalar(select(RepairCategory).where(RepairCategory.name == "饮水设备",
                                                              RepairCategory.archived_at.is_(None)))
    if category is None:
        return None
    ticket, _created = open_or_add_occurrence(
        f"water:{point.asset_id}", Report(location_id=point.asset.location_id, category_id=category.id,
                                          priority="high", description=reason, asset_id=point.asset_id), account)
    return ticket


def take_out_of_use(account, asset_id: int, reason: str) -> WaterPoint:
    """By hand (a leak, a smell, a broken tap): out of use until a passing test."""
    reason = (reason or "").strip()
    if len(reason) < 2:
        raise ServiceError(_l("Say why it is taken out of use."), "reason")
    point = _point(account, asset_id, lock=True)
    _take_out(account, point, reason)
    return point


# Filters and tank cleaning ------------------------------------------------------------------

def clocks(kind: str) -> list[str]:
    """What a kind of point is kept by: filter, cleaning, lab_test (data/water.yaml)."""
    return next((row["clocks"] for row in domain()["water"]["point_kinds"] if row["key"] == kind), [])


def stages() -> list[tuple[str, str]]:
    return [(row["key"], words(row)) for row in domain()["water"]["filters"]["stages"]]


def stage_name(key: str) -> str:
    return dict(stages()).get(key, key)


def default_interval(asset, stage: str) -> int:
    """The maker's interval from the register when entered, else the stage's usual one."""
    filters = domain()["water"]["filters"]
    entered = (asset.extra or {}).get("filter_interval_days")
    if str(entered or "").isdigit() and 1 <= int(entered) <= 1095:
        return int(entered)
    return filters["by_stage_days"].get(stage, filters["default_interval_days"])


@dataclass
class FilterInput:
    changed_on: date | None
    stage: str
    filter_model: str
    batch: str = ""
    done_by_id: int | None = None
    vendor: str = ""
    interval_days: str = ""
    #: the filter taken from a store on the stock ledger (item, store, how many)
    stock_item_id: int | None = None
    store_id: int | None = None
    quantity: str = "1"
    note: str = ""


def record_filter_change(account, asset_id: int, data: FilterInput) -> FilterChange:
    """A filter changed: what and who, the filter issued from the store (the stock ledger
    refuses taking more than it holds), and the next change due."""
    point = _point(account, asset_id, lock=True)
    if "filter" not in clocks(point.kind):
        raise ServiceError(_l("This kind of water point has no filter to change."))
    if data.changed_on is None:
        raise ServiceError(_l("Give the day the filter was changed."), "changed_on")
    if data.changed_on > local_today():
        raise ServiceError(_l("A filter cannot be changed after today."), "changed_on")
    if data.stage not in dict(stages()):
        raise ServiceError(_l("Choose which filter was changed."), "stage")
    model = (data.filter_model or "").strip()
    if not model:
        raise ServiceError(_l("Give the filter's model."), "filter_model")
    vendor = (data.vendor or "").strip()
    if not data.done_by_id and not vendor:
        raise ServiceError(_l("Say who changed it: a member of staff or the vendor."), "done_by_id")
    interval = str(data.interval_days or "").strip() or str(default_interval(point.asset, data.stage))
    if not interval.isdigit() or not 1 <= int(interval) <= 1095:
        raise ServiceError(_l("Enter the interval in days, from 1 to 1095."), "interval_days")
    change = FilterChange(point_id=point.id, stage=data.stage, changed_on=data.changed_on, filter_model=model[:60],
                          batch=(data.batch or "").strip()[:60], done_by_id=data.done_by_id or None,
                          vendor=vendor[:100], interval_days=int(interval),
                          next_due_on=data.changed_on + timedelta(days=int(interval)),
                          note=(data.note or "").strip()[:300], created_by_id=account.id if account else None)
    if data.stock_item_id:
        from schoolhq.stock import requisitions

        recipient = data.done_by_id or account.person_id
        issued = requisitions.issue_at_counter(
            account, data.store_id, recipient, [requisitions.CounterLine(data.stock_item_id, data.quantity or "1")],
            str(_l("Filter change at %(point)s", point=f"{point.asset.name} {point.asset.number}")), on_paper=True)
        change.requisition_id = issued.id
    db.session.add(change)
    db.session.flush()
    audit.record("water", "filter.changed", change, after={"stage": data.stage, "filter_model": change.filter_model},
                 summary=point.asset.number)
    return change


@dataclass
class CleaningInput:
    cleaned_on: date | None
    firm: str
    firm_licence: str
    firm_licence_expires_on: date | None
    workers_certified: bool
    disinfectant: str
    concentration: str
    workers_note: str = ""
    report_file: object = None


def cleaning_months() -> int:
    from schoolhq.core import settings

    return settings.get("water.tank_cleaning_months")


def months_setting(value) -> int:
    """How often a tank is cleaned: 1 to 12 months (GB 17051 asks yearly; many places 6)."""
    try:
        months = int(value)
    except (TypeError, ValueError):
        raise ServiceError(_l("Enter a whole number of months."), "water") from None
    if not 1 <= months <= 12:
        raise ServiceError(_l("Enter between 1 and 12 months: GB 17051 asks at least once a year."), "water")
    return months


def _disinfection(data) -> tuple[str, str]:
    """The disinfectant and its concentration a cleaning names, both required."""
    disinfectant, concentration = (data.disinfectant or "").strip(), (data.concentration or "").strip()
    if not disinfectant:
        raise ServiceError(_l("Name the disinfectant."), "disinfectant")
    if not concentration:
        raise ServiceError(_l("Give its concentration, such as 有效氯 50mg/L."), "concentration")
    return disinfectant, concentration


def record_cleaning(account, asset_id: int, data: CleaningInput) -> TankCleaning:
    """A tank cleaned by a qualified firm; refused when its hygiene licence had run out or
    the workers' health certificates were not checked."""
    point = _point(account, asset_id, lock=True)
    if point.kind != "tank":
        raise ServiceError(_l("Cleaning by a firm is recorded for water tanks."))
    if data.cleaned_on is None:
        raise ServiceError(_l("Give the day the tank was cleaned."), "cleaned_on")
    if data.cleaned_on > local_today():
        raise ServiceError(_l("A cleaning cannot be dated after today."), "cleaned_on")
    firm, licence = (data.firm or "").strip(), (data.firm_licence or "").strip()
    if len(firm) < 2:
        raise ServiceError(_l("Name the cleaning firm."), "firm")
    if not licence:
        raise ServiceError(_l("Give the firm's hygiene licence number."), "firm_licence")
    if data.firm_licence_expires_on is None:
        raise ServiceError(_l("Give the date the firm's licence runs out."), "firm_licence_expires_on")
    if data.firm_licence_expires_on < data.cleaned_on:
        raise ServiceError(_l("The firm's licence had run out on %(day)s: it was not qualified to clean the tank.",
                              day=data.firm_licence_expires_on.isoformat()), "firm_licence_expires_on")
    if not data.workers_certified:
        raise ServiceError(_l("Check the cleaners' health certificates before they start."), "workers_certified")
    disinfectant, concentration = _disinfection(data)
    file_id = save_if_given(data.report_file)
    cleaning = TankCleaning(point_id=point.id, cleaned_on=data.cleaned_on, firm=firm[:100], firm_licence=licence[:60],
                            firm_licence_expires_on=data.firm_licence_expires_on, workers_certified=True,
                            workers_note=(data.workers_note or "").strip()[:200], disinfectant=disinfectant[:60],
                            concentration=concentration[:40], report_file_id=file_id,
                            next_due_on=add_months(data.cleaned_on, cleaning_months()),
                            created_by_id=account.id if account else None)
    db.session.add(cleaning)
    db.session.flush()
    audit.record("water", "tank.cleaned", cleaning, after={"firm": firm, "firm_licence": licence},
                 summary=point.asset.number)
    return cleaning


@dataclass
class DispenserInput:
    cleaned_on: date | None
    done_by_id: int | None
    disinfectant: str
    concentration: str
    note: str = ""


def dispenser_interval(day: date) -> int:
    """Days to the next cleaning of a dispenser cleaned on `day`: shorter in summer."""
    rule = domain()["water"]["dispenser_cleaning"]
    season = "summer" if day.month in rule["summer_months"] else "winter"
    return rule["interval_days"][season]


def record_dispenser_cleaning(account, asset_id: int, data: DispenserInput) -> DispenserCleaning:
    """A bottled-water dispenser cleaned and disinfected by the school's own staff."""
    from schoolhq.people.models import Person

    point = _point(account, asset_id, lock=True)
    if point.kind != "dispenser":
        raise ServiceError(_l("Cleaning by staff is recorded for bottled-water dispensers; a tank is cleaned by a "
                              "qualified firm."))
    if data.cleaned_on is None:
        raise ServiceError(_l("Give the day the dispenser was cleaned."), "cleaned_on")
    if data.cleaned_on > local_today():
        raise ServiceError(_l("A cleaning cannot be dated after today."), "cleaned_on")
    person = db.session.get(Person, data.done_by_id) if data.done_by_id else None
    if person is None or person.left_at is not None:
        raise ServiceError(_l("Choose who cleaned it."), "done_by_id")
    disinfectant, concentration = _disinfection(data)
    cleaning = DispenserCleaning(point_id=point.id, cleaned_on=data.cleaned_on, done_by_id=person.id,
                                 disinfectant=disinfectant[:60], concentration=concentration[:40],
                                 note=(data.note or "").strip()[:300],
                                 next_due_on=data.cleaned_on + timedelta(days=dispenser_interval(data.cleaned_on)),
                                 created_by_id=account.id if account else None)
    db.session.add(cleaning)
    db.session.flush()
    audit.record("water", "dispenser.cleaned", cleaning, after={"by": person.name, "disinfectant": disinfectant},
                 summary=point.asset.number)
    return cleaning


def filter_state(point: WaterPoint) -> list[FilterChange]:
    """The latest change of each stage of the point's filters."""
    latest: dict[str, FilterChange] = {}
    for change in db.session.scalars(select(FilterChange).where(FilterChange.point_id == point.id)
                                     .order_by(FilterChange.changed_on, FilterChange.id)):
        latest[change.stage] = change
    return sorted(latest.values(), key=lambda change: change.next_due_on)


def due_soon() -> tuple[list[FilterChange], list[TankCleaning], list[DispenserCleaning]]:
    """Filters whose next change is due within the warning days, and tanks and dispensers
    whose next cleaning is: the newest record of each stage, tank or dispenser only, of
    points still on the register (a machine disposed of has no filter to change). The
    newest are picked in SQL: a decade holds thousands of changes."""
    from sqlalchemy import func

    from schoolhq.assets.models import Asset

    rules, today = domain()["water"], local_today()
    on_register = select(WaterPoint.id).join(Asset, Asset.id == WaterPoint.asset_id).where(
        Asset.status.not_in(("disposed", "lost")))

    def newest(model, done_on, warn_days, *partition):
        rank = func.row_number().over(partition_by=partition, order_by=(done_on.desc(), model.id.desc())).label("rank")
        ranked = select(model.id, model.next_due_on, rank).where(model.point_id.in_(on_register)).subquery()
        ids = select(ranked.c.id).where(ranked.c.rank == 1, ranked.c.next_due_on <= today + timedelta(days=warn_days))
        return list(db.session.scalars(select(model).options(joinedload(model.point).joinedload(WaterPoint.asset))
                                       .where(model.id.in_(ids)).order_by(model.next_due_on, model.id)))

    filter_warn = rules["filters"]["warn_days"]
    return (newest(FilterChange, FilterChange.changed_on, filter_warn, FilterChange.point_id, FilterChange.stage),
            newest(TankCleaning, TankCleaning.cleaned_on, filter_warn, TankCleaning.point_id),
            newest(DispenserCleaning, DispenserCleaning.cleaned_on, rules["dispenser_cleaning"]["warn_days"],
                   DispenserCleaning.point_id))


def kept_records(point: WaterPoint) -> tuple[list[FilterChange], list[TankCleaning], list[DispenserCleaning]]:
    """The point's filter changes, firm cleanings and staff cleanings, newest first; only
    the kinds its kind of point keeps are read."""
    changes = list(db.session.scalars(select(FilterChange).options(joinedload(FilterChange.done_by))
                                      .where(FilterChange.point_id == point.id)
                                      .order_by(FilterChange.changed_on.desc(), FilterChange.id.desc()))) \
        if "filter" in clocks(point.kind) else []
    cleanings = list(db.session.scalars(select(TankCleaning).options(joinedload(TankCleaning.test))
                                        .where(TankCleaning.point_id == point.id)
                                        .order_by(TankCleaning.cleaned_on.desc(), TankCleaning.id.desc()))) \
        if point.kind == "tank" else []
    by_staff = list(db.session.scalars(select(DispenserCleaning).options(joinedload(DispenserCleaning.done_by))
                                       .where(DispenserCleaning.point_id == point.id)
                                       .order_by(DispenserCleaning.cleaned_on.desc(), DispenserCleaning.id.desc()))) \
        if point.kind == "dispenser" else []
    return changes, cleanings, by_staff


def month_archive(month: date) -> list[tuple]:
    """The month's rows of the 饮水设施卫生管理档案: (day, place, point, record, details,
    result, by, asset id), by day then place: lab results, filter changes, tank cleanings,
    and points taken out of use or back. Plain columns, not records: a busy month of a big
    school has hundreds of rows, each with its asset and place."""
    from sqlalchemy.orm import aliased

    from schoolhq.assets.models import Asset
    from schoolhq.auth.models import Account
    from schoolhq.core.timeutil import local_day_bounds_utc, month_bounds
    from schoolhq.people.models import Person
    from schoolhq.places.models import Location

    first, after = month_bounds(month)
    where = (Location.full_name, Asset.name, Asset.number, Asset.id)

    def located(query, model):
        return (query.join(WaterPoint, WaterPoint.id == model.point_id).join(Asset, Asset.id == WaterPoint.asset_id)
                .join(Location, Location.id == Asset.location_id))

    by = aliased(Person)
    labels = {"test": str(_l("Lab test")), "filter": str(_l("Filter changed")),
              "cleaning": str(_l("Tank cleaned and disinfected")),
              "dispenser": str(_l("Dispenser cleaned and disinfected")), "missing": str(_l("test after cleaning missing")),
              **{key: str(label) for key, label in RESULT_LABELS.items()},
              **{key: str(label) for key, label in EVENT_LABELS.items()}}
    names = {p["key"]: p["zh"] for p in parameters()}
    rows = []
    for day, laboratory, number, values, result, person, place, name, asset_number, asset_id in db.session.execute(
            located(select(LabTest.sampled_on, LabTest.laboratory, LabTest.report_number, LabTest.values,
                           LabTest.result, by.name, *where), LabTest)
            .outerjoin(Account, Account.id == LabTest.created_by_id).outerjoin(by, by.id == Account.person_id)
            .where(LabTest.sampled_on >= first, LabTest.sampled_on < after)):
        failed = "、".join(names.get(key, key) for key, value in (values or {}).items() if value.get("outcome") == "fail")
        rows.append((day, place, f"{name} {asset_number}", labels["test"],
                     f"{laboratory} {number}" + (f"（{failed}）" if failed else ""), labels[result], person or "",
                     asset_id))
    stage_names = dict(stages())
    for day, stage, model, batch, next_due, vendor, person, place, name, asset_number, asset_id in db.session.execute(
            located(select(FilterChange.changed_on, FilterChange.stage, FilterChange.filter_model, FilterChange.batch,
                           FilterChange.next_due_on, FilterChange.vendor, by.name, *where), FilterChange)
            .outerjoin(by, by.id == FilterChange.done_by_id)
            .where(FilterChange.changed_on >= first, FilterChange.changed_on < after)):
        rows.append((day, place, f"{name} {asset_number}", labels["filter"],
                     f"{stage_names.get(stage, stage)} {model} {batch}".strip(),
                     str(_l("next %(day)s", day=next_due.isoformat())), person or vendor, asset_id))
    for day, firm, licence, disinfectant, concentration, result, place, name, asset_number, asset_id in db.session.execute(
            located(select(TankCleaning.cleaned_on, TankCleaning.firm, TankCleaning.firm_licence,
                           TankCleaning.disinfectant, TankCleaning.concentration, LabTest.result, *where), TankCleaning)
            .outerjoin(LabTest, LabTest.id == TankCleaning.test_id)
            .where(TankCleaning.cleaned_on >= first, TankCleaning.cleaned_on < after)):
        rows.append((day, place, f"{name} {asset_number}", labels["cleaning"],
                     f"{firm}（{licence}）· {disinfectant} {concentration}", labels[result] if result else labels["missing"],
                     firm, asset_id))
    for day, disinfectant, concentration, next_due, person, place, name, asset_number, asset_id in db.session.execute(
            located(select(DispenserCleaning.cleaned_on, DispenserCleaning.disinfectant,
                           DispenserCleaning.concentration, DispenserCleaning.next_due_on, by.name, *where),
                    DispenserCleaning)
            .join(by, by.id == DispenserCleaning.done_by_id)
            .where(DispenserCleaning.cleaned_on >= first, DispenserCleaning.cleaned_on < after)):
        rows.append((day, place, f"{name} {asset_number}", labels["dispenser"], f"{disinfectant} {concentration}",
                     str(_l("next %(day)s", day=next_due.isoformat())), person, asset_id))
    start, end = local_day_bounds_utc(first)[0], local_day_bounds_utc(after)[0]
    for at, kind, note, person, place, name, asset_number, asset_id in db.session.execute(
            located(select(PointEvent.at, PointEvent.kind, PointEvent.note, by.name, *where), PointEvent)
            .outerjoin(Account, Account.id == PointEvent.actor_id).outerjoin(by, by.id == Account.person_id)
            .where(PointEvent.kind.in_(("out_of_use", "back_in_use")), PointEvent.at >= start, PointEvent.at < end)):
        rows.append((to_local(at).date(), place, f"{name} {asset_number}", labels[kind], note, "", person or "",
                     asset_id))
    return sorted(rows, key=lambda row: (row[0], row[1], row[2]))


def history(point: WaterPoint) -> tuple[list[LabTest], list[PointEvent]]:
    from schoolhq.auth.models import Account

    tests = list(db.session.scalars(select(LabTest).where(LabTest.point_id == point.id)
                                    .order_by(LabTest.sampled_on.desc(), LabTest.id.desc())))
    events = list(db.session.scalars(select(PointEvent).options(joinedload(PointEvent.actor).joinedload(Account.person))
                                     .where(PointEvent.point_id == point.id).order_by(PointEvent.id.desc())))
    return tests, events


def get_test(test_id: int) -> LabTest:
    from schoolhq.core.errors import get_or_raise

    return get_or_raise(LabTest, test_id, _l("No such lab result."))


def out_of_use(location_id: int | None = None) -> list[WaterPoint]:
    query = (select(WaterPoint).options(joinedload(WaterPoint.asset)).where(WaterPoint.status == "out_of_use")
             .order_by(WaterPoint.out_since))
    if location_id is not None:
        from schoolhq.assets.models import Asset

        query = query.join(WaterPoint.asset).where(Asset.location_id == location_id)
    return list(db.session.scalars(query))


# What the water area shows elsewhere -------------------------------------------------------

def dashboard_items(account) -> list:
    from flask import url_for

    from schoolhq.dashboard.services import SHOWN, Entry, Item

    if not can(account, "water.view"):
        return []
    items = []
    stopped = out_of_use()
    if stopped:
        items.append(Item("water", _l("Water points out of use"), len(stopped), url_for("water.point_list"), "danger",
                          [Entry(f"{p.asset.location.name} · {p.asset.name} {p.asset.number}",
                                 url_for("water.point_page", asset_id=p.asset_id), p.out_reason[:40])
                           for p in stopped[:SHOWN]]))
    filters, tanks, dispensers = due_soon()
    today = local_today()
    if filters:
        items.append(Item("water", _l("Filter changes due"), len(filters), url_for("water.point_list"),
                          "danger" if any(c.next_due_on < today for c in filters) else "warning",
                          [Entry(f"{c.point.asset.name} {c.point.asset.number} · {stage_name(c.stage)}",
                                 url_for("water.point_page", asset_id=c.point.asset_id), c.next_due_on.isoformat())
                           for c in filters[:SHOWN]]))
    if tanks:
        items.append(Item("water", _l("Tank cleanings due"), len(tanks), url_for("water.point_list"),
                          "danger" if any(c.next_due_on < today for c in tanks) else "warning",
                          [Entry(f"{c.point.asset.name} {c.point.asset.number}",
                                 url_for("water.point_page", asset_id=c.point.asset_id), c.next_due_on.isoformat())
                           for c in tanks[:SHOWN]]))
    if dispensers:
        items.append(Item("water", _l("Dispenser cleanings due"), len(dispensers), url_for("water.point_list"),
                          "danger" if any(c.next_due_on < today for c in dispensers) else "warning",
                          [Entry(f"{c.point.asset.location.name} · {c.point.asset.name} {c.point.asset.number}",
                                 url_for("water.point_page", asset_id=c.point.asset_id), c.next_due_on.isoformat())
                           for c in dispensers[:SHOWN]]))
    soon = local_today() + timedelta(days=30)
    lapsing = list(db.session.scalars(select(WaterPoint).options(joinedload(WaterPoint.asset))
                                      .where(WaterPoint.permit_expires_on.is_not(None),
                                             WaterPoint.permit_expires_on <= soon)
                                      .order_by(WaterPoint.permit_expires_on)))
    if lapsing:
        items.append(Item("water", _l("Water-point hygiene permits running out"), len(lapsing),
                          url_for("water.point_list"), "warning",
                          [Entry(f"{p.asset.name} {p.asset.number}", url_for("water.point_page", asset_id=p.asset_id),
                                 p.permit_expires_on.isoformat()) for p in lapsing[:SHOWN]]))
    return items


def asset_panel(asset, account):
    from flask import render_template
    from markupsafe import Markup

    if asset.kind is None or asset.kind.key not in ASSET_KINDS or not can(account, "water.view"):
        return Markup("")
    return Markup(render_template("water/_asset_panel.html", asset=asset, point=point_of(asset.id),
                                  status_label=STATUS_LABELS))


def room_panel(location, account):
    from flask import render_template
    from markupsafe import Markup

    stopped = out_of_use(location.id)
    if not stopped:
        return Markup("")
    return Markup(render_template("water/_room_panel.html", points=stopped))


def label_notices(target) -> list:
    """What a scanned label says to anyone, signed in or not: a point out of use."""
    if getattr(target, "record", None) is None or target.record[0] != "asset":
        return []
    point = point_of(target.record[1])
    if point is None or point.status != "out_of_use":
        return []
    return [_l("Out of use since %(day)s: do not drink from this point.",
               day=to_local(point.out_since).date().isoformat())]


def attachment_rule(attachment, account):
    found = db.session.scalar(select(LabTest.id).where(LabTest.report_file_id == attachment.id).limit(1))
    if found is None:
        return None
    return can(account, "water.view")

