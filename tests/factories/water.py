"""Water for tests: a classroom with a direct-drinking point, a logistics head and a doctor."""

from __future__ import annotations

from datetime import timedelta

from sqlalchemy import select

from schoolhq.core.timeutil import local_today
from schoolhq.extensions import db
from schoolhq.places import services as places
from tests.conftest import make_account

GOOD = {"coliforms": "未检出", "e_coli": "未检出", "colony_count": "12", "turbidity": "0.3", "ph": "7.4",
        "odour_taste": "无", "visible_matter": "无"}


def point():
    """(the point's asset, its room, the logistics head, the school doctor)."""
    from schoolhq.assets import services as assets
    from schoolhq.assets.models import AssetCategory, AssetKind

    campus = places.create_location("campus", "阳光小学")
    building = places.create_location("building", "教学楼", campus.id)
    room = places.create_location("room", "101教室", building.id)
    head = make_account("logistics", "logistics_head", name="王海涛")
    doctor = make_account("doctor", "school_doctor", name="周静")
    category = db.session.scalar(select(AssetCategory).where(AssetCategory.code == "A02000000"))
    kind = db.session.scalar(select(AssetKind).where(AssetKind.key == "water_point"))
    asset = assets.register_asset({"name": "直饮水机", "category_id": category.id, "kind_id": kind.id,
                                   "unit_price_fen": 680000}, room.id, status="in_use")
    db.session.commit()
    return asset, room, head, doctor


def lab(values=None, sampled_days_ago: int = 3, **changes):
    from schoolhq.water.services import LabInput

    today = local_today()
    data = LabInput(sampled_on=today - timedelta(days=sampled_days_ago), reported_on=today,
                    laboratory="市疾控中心检验所", report_number="SJ-001", values=dict(GOOD, **(values or {})))
    for key, value in changes.items():
        setattr(data, key, value)
    return data


def route_values() -> dict:
    """A water point of the demo school and one of its lab results (the route walk)."""
    from schoolhq.water.models import LabTest, WaterPoint

    point_ = db.session.scalar(select(WaterPoint).order_by(WaterPoint.id))
    return {"asset_id": point_.asset_id,
            "test_id": db.session.scalar(select(LabTest.id).order_by(LabTest.id))}
