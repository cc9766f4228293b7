"""Checks for tests: a canteen building whose kitchen holds the refrigeration."""

from __future__ import annotations

from sqlalchemy import select

from schoolhq.extensions import db
from schoolhq.places import services as places
from tests.conftest import make_account
from tests.factories.core import school_years


def kitchen():
    """A canteen building with a kitchen holding two fridges, a freezer and a sample fridge."""
    from schoolhq.assets import services as assets
    from schoolhq.assets.models import AssetCategory, AssetKind

    school_years()
    campus = places.create_location("campus", "阳光小学")
    canteen = places.create_location("building", "食堂楼", campus.id)
    room = places.create_location("room", "操作间", canteen.id)
    manager = make_account("canteen", "canteen_manager", name="陈红梅")
    head = make_account("logistics", "logistics_head", name="王海涛")
    category = db.session.scalar(select(AssetCategory).where(AssetCategory.code == "A02000000"))
    kinds = {k.key: k.id for k in db.session.scalars(select(AssetKind))}
    made = {}
    for name, kind in (("冷藏冰箱1", "fridge"), ("冷藏冰箱2", "fridge"), ("冷冻冰柜", "freezer"),
                       ("留样冰箱", "sample_fridge")):
        made[name] = assets.register_asset({"name": name, "category_id": category.id, "kind_id": kinds[kind],
                                            "unit_price_fen": 500000}, room.id, status="in_use")
    db.session.commit()
    return canteen, manager, head, made


#: routes of this area that also narrow by the record: a round is its inspector's
OWN_RECORDS_ONLY = {"checks.round_page", "checks.round_print"}


def route_values() -> dict:
    """Real ids for the route walk (tests/test_routes.py), from the demo school."""
    from schoolhq.checks.models import CheckRound, CheckTemplate

    return {"round_id": db.session.scalar(select(CheckRound.id).where(CheckRound.status == "submitted")
                                          .order_by(CheckRound.id)),
            "template_id": db.session.scalar(select(CheckTemplate.id).order_by(CheckTemplate.id))}
