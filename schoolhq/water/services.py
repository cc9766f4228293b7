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
from datetime import date, timedelta
from functools import cache
from pathlib import Path

import yaml
from flask_babel import lazy_gettext as _l
from sqlalchemy import select
from sqlalchemy.orm import joinedload

from schoolhq.core import audit
from schoolhq.core.errors import NotFound, ServiceError
from schoolhq.core.permissions import can
from schoolhq.core.timeutil import local_today, to_local, utcnow
from schoolhq.extensions import db
from schoolhq.water.models import LabTest, PointEvent, WaterPoint

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


def words(entry: dict) -> str:
    from schoolhq.core.messages import reader_language

    return entry["en"] if reader_language() == "en" and entry.get("en") else entry["zh"]


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
    file_id = None
    if data.report_file is not None and getattr(data.report_file, "filename", ""):
        from schoolhq.core.uploads import save_upload

        file_id = save_upload(data.report_file).id
    result = "fail" if any(v["outcome"] == "fail" for v in values.values()) else "pass"
    test = LabTest(point_id=point.id, sampled_on=data.sampled_on, reported_on=data.reported_on,
                   laboratory=laboratory[:100], report_number=number[:60], report_file_id=file_id, values=values,
                   result=result, created_by_id=account.id if account else None)
    db.session.add(test)
    db.session.flush()
    audit.record("water", "lab_test.recorded", test, after={"result": result, "report_number": test.report_number},
                 summary=f"{point.asset.number} {test.report_number}")
    if result == "fail":
        failed = [p["zh"] for p in parameters() if values.get(p["key"], {}).get("outcome") == "fail"]
        _take_out(account, point, str(_l("Lab report %(number)s failed: %(what)s", number=test.report_number,
                                         what="、".join(failed))), test)
    elif point.status == "out_of_use" and data.sampled_on >= to_local(point.out_since).date():
        point.status, point.out_since, point.out_reason = "in_use", None, ""
        _event(point, "back_in_use", account, test.report_number, test)
        audit.record("water", "point.back_in_use", point, summary=point.asset.number)
    return test


def _take_out(account, point: WaterPoint, reason: str, test: LabTest | None = None) -> None:
    from flask import url_for

    from schoolhq.auth.services import accounts_with
    from schoolhq.core.notifications import notify

    if point.status != "out_of_use":
        point.status, point.out_since = "out_of_use", utcnow()
    point.out_reason = reason[:300]
    _event(point, "out_of_use", account, reason, test)
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


def history(point: WaterPoint) -> tuple[list[LabTest], list[PointEvent]]:
    tests = list(db.session.scalars(select(LabTest).where(LabTest.point_id == point.id)
                                    .order_by(LabTest.sampled_on.desc(), LabTest.id.desc())))
    events = list(db.session.scalars(select(PointEvent).options(joinedload(PointEvent.actor))
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

